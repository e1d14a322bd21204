import StorekeeperConfig
import StorekeeperSystem

extension IndexStore {
    /// Deletes every row under `directory`; returns how many went.
    @discardableResult
    public func deleteSubtree(_ directory: [UInt8]) throws -> Int {
        let range = SubtreeRange(directory)
        try database.statement("DELETE FROM files WHERE path > ?1 AND path < ?2")
            .execute([.text(range.lowerExclusive), .text(range.upperExclusive)])
        return database.changes
    }

    /// A directory renamed from `old` to `new`: every row under it follows, in
    /// one statement. Rows already under `new` are stale (the kernel only renames
    /// onto an empty directory) and are dropped first. Returns the rows moved.
    @discardableResult
    public func moveSubtree(_ old: [UInt8], to new: [UInt8], categorizer: Categorizer) throws -> Int {
        try deleteSubtree(new)
        let range = SubtreeRange(old)
        // substr over the BLOB counts bytes, so non-UTF-8 names survive intact.
        let newPath = "CAST(?3 || substr(CAST(path AS BLOB), ?4) AS TEXT)"
        let oldCategory = categorizer.category(of: old + [PathBytes.separator])
        let newCategory = categorizer.category(of: new + [PathBytes.separator])
        var values: [DatabaseValue] = [
            .text(range.lowerExclusive), .text(range.upperExclusive), .text(new), .int(old.count + 1),
        ]
        let sql: String
        if oldCategory == newCategory {
            sql = "UPDATE files SET path = \(newPath) WHERE path > ?1 AND path < ?2"
        } else {
            // Moved between top-level folders: the usage triggers move the bytes.
            sql = "UPDATE files SET path = \(newPath), category = ?5 WHERE path > ?1 AND path < ?2"
            values.append(.string(newCategory))
        }
        try database.statement(sql).execute(values)
        let moved = database.changes
        if Self.mayCarryDate(old) || Self.mayCarryDate(new) { try refreshPathDates(under: new) }
        return moved
    }

    /// A dated folder (`uploads/2026-11-01/`) in a renamed prefix changes the
    /// path date of everything below it.
    private static func mayCarryDate(_ path: [UInt8]) -> Bool {
        PathBytes.components(path).contains { PathDate.folderDate($0) != nil }
    }

    private func refreshPathDates(under directory: [UInt8]) throws {
        var after: [UInt8]? = nil
        let update = try database.statement("UPDATE files SET path_date = ?2 WHERE path = ?1")
        while true {
            let page = try files(inSubtree: directory, after: after, limit: 5000)
            for file in page {
                let date = PathDate.timestamp(in: file.path)
                if date != file.pathDate { try update.execute([.text(file.path), .optional(date)]) }
            }
            guard let last = page.last, page.count == 5000 else { return }
            after = last.path
        }
    }
}
