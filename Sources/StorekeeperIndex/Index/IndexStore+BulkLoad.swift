import CSQLite

/// A first scan inserts every file of the tree. Row by row, the insert triggers
/// of `files` cost more than the row itself (a note in `usage_replaced`, an
/// inode lookup, two statements on `usage`). `insertNew` writes a batch with
/// those triggers dropped inside its transaction and then does their work for
/// the whole batch: the rows, `usage` and `usage_replaced` end exactly as the
/// triggers would leave them, and a crash at any point rolls the drop back
/// with the rest.
extension IndexStore {
    /// The triggers that fire on an insert into `files`, and the only ones
    /// whose work `settleUsage` knows how to do.
    static let insertTriggerNames: Set<String> = [
        "files_note_replaced_on_insert", "files_usage_after_insert_alone", "files_usage_after_insert",
    ]

    /// Inserts `files`, none of whose paths is in the index, as `insert` would
    /// one by one. Call it inside `write`. When the schema holds insert
    /// triggers this code does not know (a newer migration), it inserts row by
    /// row with the triggers in place.
    public func insertNew(_ files: [IndexedFile], now: Int64) throws {
        precondition(database.isInTransaction, "insertNew runs inside write")
        guard !files.isEmpty else { return }
        let triggers = try insertTriggers()
        guard Set(triggers.map(\.name)) == Self.insertTriggerNames else {
            for file in files { try insert(file, now: now) }
            return
        }
        let lastIDBefore =
            try database.statement("SELECT coalesce(max(id), 0) FROM files").firstRow { $0.int64(0) } ?? 0
        let anyRestore = try database.statement("SELECT EXISTS (SELECT 1 FROM restores)").firstRow { $0.int64(0) } != 0
        for trigger in triggers { try database.execute("DROP TRIGGER \(trigger.name)") }
        if anyRestore {
            // A restore note may give a row its `restored_at`: `insert` looks it up.
            for file in files { try insert(file, now: now) }
        } else {
            let statement = try database.statement(
                """
                INSERT INTO files (path, category, kind, size, mtime, mtime_ns, inode, path_date, nlink, allocated,
                    entered_at)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
                """)
            for file in files { try insertWithoutRestore(file, now: now, using: statement) }
        }
        try settleUsage(of: files, insertedAfter: lastIDBefore)
        for trigger in triggers { try database.execute(trigger.sql) }
    }

    /// Every trigger on `files` that fires on INSERT, with the SQL that created it.
    private func insertTriggers() throws -> [(name: String, sql: String)] {
        var triggers: [(name: String, sql: String)] = []
        try database.statement("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'files'")
            .forEachRow { row in
                let sql = row.string(1)
                if sql.contains(" INSERT ON ") { triggers.append((row.string(0), sql)) }
            }
        return triggers
    }

    /// The row `insert` writes when no restore note applies, bound without
    /// building an array of values per row.
    private func insertWithoutRestore(_ file: IndexedFile, now: Int64, using statement: Statement) throws {
        let handle = statement.handle
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        file.path.withUnsafeBufferPointer { path in
            path.baseAddress!.withMemoryRebound(to: CChar.self, capacity: max(path.count, 1)) {
                _ = sqlite3_bind_text(handle, 1, $0, Int32(path.count), SQLITE_TRANSIENT)
            }
        }
        _ = sqlite3_bind_text(handle, 2, file.category, -1, SQLITE_TRANSIENT)
        _ = sqlite3_bind_text(handle, 3, file.kind.rawValue, -1, SQLITE_TRANSIENT)
        _ = sqlite3_bind_int64(handle, 4, file.size)
        _ = sqlite3_bind_int64(handle, 5, file.mtime)
        _ = sqlite3_bind_int64(handle, 6, file.mtimeNanoseconds)
        _ = sqlite3_bind_int64(handle, 7, Int64(bitPattern: file.inode))
        if let pathDate = PathDate.timestamp(in: file.path) {
            _ = sqlite3_bind_int64(handle, 8, pathDate)
        } else {
            _ = sqlite3_bind_null(handle, 8)
        }
        _ = sqlite3_bind_int64(handle, 9, Int64(bitPattern: file.nlink))
        _ = sqlite3_bind_int64(handle, 10, file.allocated)
        _ = sqlite3_bind_int64(handle, 11, now)
        let code = sqlite3_step(handle)
        guard code == SQLITE_DONE else {
            let error = DatabaseError(code: code, message: database.lastMessage, sql: statement.sql)
            sqlite3_reset(handle)
            database.forget(statement)
            throw error
        }
        sqlite3_reset(handle)
    }

    /// Does for the rows after `lastID` (which are `files`) what the insert
    /// triggers do per row. Per (category, inode) a content file's names each
    /// count once and its bytes once at the largest size, so the triggers'
    /// increments add up to max(batch, earlier rows) − max(earlier rows).
    private func settleUsage(of files: [IndexedFile], insertedAfter lastID: Int64) throws {
        // An insert clears any note of its path (one left by an earlier REPLACE).
        try database.statement(
            """
            DELETE FROM usage_replaced
            WHERE EXISTS (SELECT 1 FROM files WHERE files.path = usage_replaced.path AND files.id > ?1)
            """
        ).execute([.integer(lastID)])
        var growth = BatchUsage()
        for file in files { growth.add(file) }
        // Names written before this batch that share an inode with it: hard
        // links, and almost always none.
        try database.statement(
            """
            SELECT f.category, f.inode, max(f.size), max(f.allocated)
            FROM files AS b JOIN files AS f ON f.inode = b.inode AND f.id <= ?1
            WHERE b.id > ?1 AND \(Self.isContent("f.path"))
            GROUP BY f.category, f.inode
            """
        ).forEachRow([.integer(lastID)]) { row in
            growth.alreadyCounted(
                category: row.string(0), inode: UInt64(bitPattern: row.int64(1)), size: row.int64(2),
                allocated: row.int64(3))
        }
        // Every category inserted into has a row, layout-only ones included.
        let create = try database.statement(
            "INSERT INTO usage (category) SELECT ?1 WHERE NOT EXISTS (SELECT 1 FROM usage WHERE category = ?1)")
        let add = try database.statement(
            "UPDATE usage SET files = files + ?2, bytes = bytes + ?3, allocated = allocated + ?4 WHERE category = ?1")
        for (category, total) in growth.totals() {
            try create.execute([.string(category)])
            try add.execute([
                .string(category), .integer(total.files), .integer(total.bytes), .integer(total.allocated),
            ])
        }
    }
}

/// What one batch of new rows adds to `usage`, per category.
private struct BatchUsage {
    struct Group: Hashable {
        let category: String
        let inode: UInt64
    }

    /// Categories in the order first met, layout-only ones included.
    private var categories: [String] = []
    private var names: [String: Int64] = [:]
    /// The largest size and allocation per group in the batch, less what
    /// earlier rows of the group already count.
    private var groups: [Group: (size: Int64, allocated: Int64)] = [:]

    mutating func add(_ file: IndexedFile) {
        if names[file.category] == nil {
            names[file.category] = 0
            categories.append(file.category)
        }
        guard !Self.isLayout(file.path) else { return }
        names[file.category, default: 0] += 1
        let group = Group(category: file.category, inode: file.inode)
        if let seen = groups[group] {
            groups[group] = (max(seen.size, file.size), max(seen.allocated, file.allocated))
        } else {
            groups[group] = (file.size, file.allocated)
        }
    }

    mutating func alreadyCounted(category: String, inode: UInt64, size: Int64, allocated: Int64) {
        let group = Group(category: category, inode: inode)
        guard let batch = groups[group] else { return }
        groups[group] = (max(batch.size - size, 0), max(batch.allocated - allocated, 0))
    }

    func totals() -> [(category: String, total: (files: Int64, bytes: Int64, allocated: Int64))] {
        var bytes: [String: (Int64, Int64)] = [:]
        for (group, growth) in groups {
            let sum = bytes[group.category, default: (0, 0)]
            bytes[group.category] = (sum.0 + growth.size, sum.1 + growth.allocated)
        }
        return categories.map { category in
            let sum = bytes[category, default: (0, 0)]
            return (category, (names[category, default: 0], sum.0, sum.1))
        }
    }

    private static let layoutName = Array(".gitkeep".utf8)

    /// `IndexStore.isContent` in bytes: `.gitkeep` at the base or in a folder.
    static func isLayout(_ path: [UInt8]) -> Bool {
        let name = layoutName
        guard path.count >= name.count, path.suffix(name.count).elementsEqual(name) else { return false }
        return path.count == name.count || path[path.count - name.count - 1] == 0x2F
    }
}
