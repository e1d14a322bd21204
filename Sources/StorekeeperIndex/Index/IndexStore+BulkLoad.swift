import CSQLite
import StorekeeperSystem

/// A first scan inserts every file of the tree, and a burst thousands a
/// second. Row by row, the insert triggers of `files` cost more than the row
/// itself (a note in `usage_replaced`, an inode lookup, two statements on
/// `usage`). `insertNew` writes a batch with the triggers of its own
/// connection turned off and then does their work for the whole batch: the
/// rows, `usage` and `usage_replaced` end exactly as the triggers would leave
/// them. Nothing changes in the schema, so another connection (`sqlite3`, a
/// `stats`) keeps its triggers all along, and a crash at any point rolls the
/// batch back whole with its transaction.
extension IndexStore {
    /// The triggers that fire on an insert into `files`, and the only ones
    /// whose work `settleUsage` knows how to do.
    static let insertTriggerNames: Set<String> = [
        "files_note_replaced_on_insert", "files_usage_after_insert_alone", "files_usage_after_insert",
    ]

    /// Inserts `files`, none of whose paths is in the index, as `insert` would
    /// one by one. Call it inside `write`. When the schema holds triggers this
    /// code does not know (a newer migration: another insert trigger on
    /// `files`, or any on the tables `settleUsage` writes), it inserts row by
    /// row with the triggers in place.
    public func insertNew(_ files: [IndexedFile], now: Int64) throws {
        precondition(database.isInTransaction, "insertNew runs inside write")
        guard !files.isEmpty else { return }
        guard try knowsEveryTriggerOfABulkInsert() else {
            for file in files { try insert(file, now: now) }
            return
        }
        let lastIDBefore =
            try database.statement("SELECT coalesce(max(id), 0) FROM files").firstRow { $0.int64(0) } ?? 0
        let anyRestore = try database.statement("SELECT EXISTS (SELECT 1 FROM restores)").firstRow { $0.int64(0) } != 0
        let inserted: Void? = try database.withoutTriggers {
            if anyRestore {
                // A restore note may give a row its `restored_at`: `insert` looks it up.
                for file in files { try insert(file, now: now) }
            } else {
                try insertWithoutRestore(files, now: now)
            }
            try settleUsage(of: files, insertedAfter: lastIDBefore)
        }
        if inserted == nil {
            for file in files { try insert(file, now: now) }
        }
    }

    /// True when the triggers a bulk insert turns off are exactly the insert
    /// triggers of `files` that `settleUsage` stands in for.
    private func knowsEveryTriggerOfABulkInsert() throws -> Bool {
        var insertTriggers: Set<String> = []
        var others = false
        try database.statement(
            "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger' "
                + "AND tbl_name IN ('files', 'usage', 'usage_replaced')"
        ).forEachRow { row in
            if row.string(1) != "files" {
                others = true
            } else if row.string(2).contains(" INSERT ON ") {
                insertTriggers.insert(row.string(0))
            }
        }
        return !others && insertTriggers == Self.insertTriggerNames
    }

    /// Rows per INSERT statement: one statement's setup and end cost as much
    /// as a row, so rows go in by the dozen.
    static let rowsPerInsert = 64

    private static func insertSQL(rows: Int) -> String {
        let row = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        return "INSERT INTO files (path, category, kind, size, mtime, mtime_ns, inode, path_date, nlink, allocated, "
            + "entered_at) VALUES " + repeatElement(row, count: rows).joined(separator: ", ")
    }

    /// The rows `insert` writes when no restore note applies, bound without
    /// building an array of values per row.
    private func insertWithoutRestore(_ files: [IndexedFile], now: Int64) throws {
        var start = files.startIndex
        while start < files.endIndex {
            let count = files.endIndex - start >= Self.rowsPerInsert ? Self.rowsPerInsert : 1
            let statement = try database.statement(Self.insertSQL(rows: count))
            let handle = statement.handle
            sqlite3_reset(handle)
            for (row, file) in files[start..<start + count].enumerated() {
                Self.bind(file, now: now, to: handle, from: Int32(row * 11))
            }
            let code = sqlite3_step(handle)
            sqlite3_reset(handle)
            guard code == SQLITE_DONE else {
                database.forget(statement)
                throw DatabaseError(code: code, message: database.lastMessage, sql: statement.sql)
            }
            start += count
        }
    }

    /// Binds the 11 values of `file` after parameter `offset`.
    private static func bind(_ file: IndexedFile, now: Int64, to handle: OpaquePointer, from offset: Int32) {
        bindText(file.path, to: handle, at: offset + 1)
        bindText(file.category, to: handle, at: offset + 2)
        bindText(file.kind.rawValue, to: handle, at: offset + 3)
        sqlite3_bind_int64(handle, offset + 4, file.size)
        sqlite3_bind_int64(handle, offset + 5, file.mtime)
        sqlite3_bind_int64(handle, offset + 6, file.mtimeNanoseconds)
        sqlite3_bind_int64(handle, offset + 7, Int64(bitPattern: file.inode))
        if let pathDate = PathDate.timestamp(in: file.path) {
            sqlite3_bind_int64(handle, offset + 8, pathDate)
        } else {
            sqlite3_bind_null(handle, offset + 8)
        }
        sqlite3_bind_int64(handle, offset + 9, Int64(bitPattern: file.nlink))
        sqlite3_bind_int64(handle, offset + 10, file.allocated)
        sqlite3_bind_int64(handle, offset + 11, now)
    }

    /// TEXT holding the exact bytes, as `Statement.bind` writes it.
    private static func bindText<Bytes: Collection<UInt8>>(_ bytes: Bytes, to handle: OpaquePointer, at index: Int32) {
        let bound = bytes.withContiguousStorageIfAvailable { buffer in
            buffer.withMemoryRebound(to: CChar.self) { text in
                guard let start = text.baseAddress else { return sqlite3_bind_text(handle, index, "", 0, nil) }
                return sqlite3_bind_text(handle, index, start, Int32(text.count), SQLITE_TRANSIENT)
            }
        }
        if bound == nil { bindText(Array(bytes), to: handle, at: index) }
    }

    private static func bindText(_ string: String, to handle: OpaquePointer, at index: Int32) {
        bindText(string.utf8, to: handle, at: index)
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
    /// A category by its place in `categories`, so no row hashes a string.
    struct Group: Hashable {
        let category: Int
        let inode: UInt64
    }

    /// Categories in the order first met, layout-only ones included.
    private var categories: [String] = []
    private var names: [Int64] = []
    /// The largest size and allocation per group in the batch, less what
    /// earlier rows of the group already count.
    private var groups: [Group: (size: Int64, allocated: Int64)] = [:]
    private var lastCategory = -1

    private mutating func place(of category: String) -> Int {
        if lastCategory >= 0 && categories[lastCategory] == category { return lastCategory }
        if let known = categories.firstIndex(of: category) {
            lastCategory = known
        } else {
            categories.append(category)
            names.append(0)
            lastCategory = categories.count - 1
        }
        return lastCategory
    }

    mutating func add(_ file: IndexedFile) {
        let category = place(of: file.category)
        guard !Self.isLayout(file.path) else { return }
        names[category] += 1
        let group = Group(category: category, inode: file.inode)
        if let seen = groups[group] {
            groups[group] = (max(seen.size, file.size), max(seen.allocated, file.allocated))
        } else {
            groups[group] = (file.size, file.allocated)
        }
    }

    mutating func alreadyCounted(category: String, inode: UInt64, size: Int64, allocated: Int64) {
        guard let place = categories.firstIndex(of: category) else { return }
        let group = Group(category: place, inode: inode)
        guard let batch = groups[group] else { return }
        groups[group] = (max(batch.size - size, 0), max(batch.allocated - allocated, 0))
    }

    func totals() -> [(category: String, total: (files: Int64, bytes: Int64, allocated: Int64))] {
        var bytes = [(Int64, Int64)](repeating: (0, 0), count: categories.count)
        // Anyone who writes into the tree chooses the sizes: two sparse files
        // can sum past Int64.max. Saturate, as the rest of the index reads an
        // overflowing sum (the row-by-row triggers leave SQLite's REAL there).
        for (group, growth) in groups {
            bytes[group.category].0 = bytes[group.category].0.addingSaturating(growth.size)
            bytes[group.category].1 = bytes[group.category].1.addingSaturating(growth.allocated)
        }
        return categories.indices.map { (categories[$0], (names[$0], bytes[$0].0, bytes[$0].1)) }
    }

    private static let layoutName = Array(".gitkeep".utf8)

    /// `IndexStore.isContent` in bytes: `.gitkeep` at the base or in a folder.
    static func isLayout(_ path: [UInt8]) -> Bool {
        let name = layoutName
        guard path.count >= name.count, path.suffix(name.count).elementsEqual(name) else { return false }
        return path.count == name.count || path[path.count - name.count - 1] == 0x2F
    }
}
