import Glibc
import StorekeeperConfig

/// The index: the one place that knows the SQL of `files`, `usage`, `events`,
/// `categories` and `meta`. Everything else speaks in `IndexedFile`s.
public final class IndexStore {
    let database: Database
    /// The file opened, by device and inode (see `IndexStore+FileCheck`).
    public let openedFile: IndexFileIdentity?
    /// When `checkIntegrity` last passed (monotonic seconds), so a daemon that
    /// cleans every few seconds under pressure does not read the whole file each time.
    var lastPassedIntegrityCheck: Double?

    /// Opens an existing index and brings its schema up to date.
    /// `readOnly` opens for `stats` and `verify`, which never write.
    public init(path: String, readOnly: Bool = false) throws {
        guard access(path, F_OK) == 0 else {
            throw IndexStoreError.missing(path: path)
        }
        openedFile = IndexFileIdentity(path: path)
        database = try Database(path: path, mode: readOnly ? .readOnly : .readWrite)
        if readOnly {
            let version = try database.userVersion
            if version != Database.schemaVersion {
                throw IndexStoreError.schemaMismatch(path: path, found: version, expected: Database.schemaVersion)
            }
        } else {
            try database.migrate()
        }
    }

    /// Creates the index file (and nothing else) when it does not exist yet.
    public static func create(path: String) throws -> IndexStore {
        let database = try Database(path: path)
        try database.migrate()
        return try IndexStore(path: path)
    }

    // MARK: Policy

    /// Replaces the policy in `categories` with the configuration's, and gives
    /// every configured category a `usage` row so quota views list it at zero.
    public func recordPolicy(_ policies: [CategoryPolicy]) throws {
        try write {
            try database.execute("DELETE FROM categories")
            let insert = try database.statement(
                """
                INSERT INTO categories (key, directories, retention_seconds, quota_bytes, on_quota, age_by, priority)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                """)
            let usage = try database.statement("INSERT OR IGNORE INTO usage (category, files, bytes) VALUES (?1, 0, 0)")
            for (priority, policy) in policies.enumerated() {
                try insert.execute([
                    .string(policy.key), .string(policy.directories.joined(separator: "/")),
                    .optional(policy.retentionSeconds), .optional(policy.quotaBytes),
                    .string(policy.onQuota.rawValue), .string(policy.ageBy.rawValue), .int(priority),
                ])
                try usage.execute([.string(policy.key)])
            }
        }
    }

    // MARK: Files

    static let fileColumns =
        "path, category, kind, size, mtime, mtime_ns, inode, path_date, nlink, allocated, restored_at"
    /// How many columns `fileColumns` names.
    static let fileColumnCount: Int32 = 11

    /// A row of `fileColumns`, starting at column `offset`.
    static func file(from row: Row, offset: Int32 = 0) -> IndexedFile {
        IndexedFile(
            path: row.bytes(offset), category: row.string(offset + 1),
            kind: row.string(offset + 2) == "symlink" ? .symlink : .file, size: row.int64(offset + 3),
            mtime: row.int64(offset + 4), mtimeNanoseconds: row.int64(offset + 5),
            inode: UInt64(bitPattern: row.int64(offset + 6)), pathDate: row.optionalInt64(offset + 7),
            nlink: UInt64(bitPattern: row.int64(offset + 8)), allocated: row.int64(offset + 9),
            restoredAt: row.optionalInt64(offset + 10))
    }

    /// Up to `limit` rows under `subtree` (all rows when it is empty) whose path
    /// sorts after `after`, in path order: keyset pages, so no cursor stays open
    /// while the caller writes.
    public func files(inSubtree subtree: [UInt8], after: [UInt8]?, limit: Int) throws -> [IndexedFile] {
        var rows: [IndexedFile] = []
        rows.reserveCapacity(limit)
        if subtree.isEmpty {
            let statement = try database.statement(
                "SELECT \(Self.fileColumns) FROM files WHERE path > ?1 ORDER BY path LIMIT ?2")
            try statement.forEachRow([.text(after ?? []), .int(limit)]) { rows.append(Self.file(from: $0, offset: 0)) }
        } else {
            let range = SubtreeRange(subtree)
            var lower = range.lowerExclusive
            if let after, PathOrder.less(lower, after) { lower = after }
            let statement = try database.statement(
                "SELECT \(Self.fileColumns) FROM files WHERE path > ?1 AND path < ?2 ORDER BY path LIMIT ?3")
            try statement.forEachRow([.text(lower), .text(range.upperExclusive), .int(limit)]) {
                rows.append(Self.file(from: $0, offset: 0))
            }
        }
        return rows
    }

    public func file(at path: [UInt8]) throws -> IndexedFile? {
        try database.statement("SELECT \(Self.fileColumns) FROM files WHERE path = ?1")
            .firstRow([.text(path)]) { Self.file(from: $0) }
    }

    /// Every name of one inode (the `files_by_inode` index).
    public func files(withInode inode: UInt64) throws -> [IndexedFile] {
        var rows: [IndexedFile] = []
        try database.statement("SELECT \(Self.fileColumns) FROM files WHERE inode = ?1 ORDER BY path")
            .forEachRow([.integer(Int64(bitPattern: inode))]) { rows.append(Self.file(from: $0)) }
        return rows
    }

    public func insert(_ file: IndexedFile, now: Int64) throws {
        try database.statement(
            """
            INSERT INTO files (path, category, kind, size, mtime, mtime_ns, inode, path_date, nlink, allocated,
                entered_at, restored_at)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,
                (SELECT max(restored_at) FROM restores WHERE ?1 = path OR (?1 > path || '/' AND ?1 < path || '0')))
            """
        ).execute(Self.values(of: file) + [.integer(now)])
    }

    /// `entered_at` moves forward to now: the cleaner compares a file's ctime
    /// with the last time the index wrote what it saw of it.
    public func update(_ file: IndexedFile) throws {
        try database.statement(
            """
            UPDATE files SET category = ?2, kind = ?3, size = ?4, mtime = ?5, mtime_ns = ?6, inode = ?7,
                path_date = ?8, nlink = ?9, allocated = ?10,
                entered_at = max(entered_at, CAST(strftime('%s', 'now') AS INTEGER))
            WHERE path = ?1
            """
        ).execute(Self.values(of: file))
    }

    public func delete(path: [UInt8]) throws {
        try database.statement("DELETE FROM files WHERE path = ?1").execute([.text(path)])
    }

    private static func values(of file: IndexedFile) -> [DatabaseValue] {
        [
            .text(file.path), .string(file.category), .string(file.kind.rawValue), .integer(file.size),
            .integer(file.mtime), .integer(file.mtimeNanoseconds), .integer(Int64(bitPattern: file.inode)),
            .optional(PathDate.timestamp(in: file.path)), .integer(Int64(bitPattern: file.nlink)),
            .integer(file.allocated),
        ]
    }

    /// How long a restore's note waits for the watcher to index what came back.
    static let restoreNoteSeconds: Int64 = 86_400

    /// Notes that `path` (a file, or a folder and all below it) was restored
    /// at `time`: its rows, now and when the watcher or a scan writes them
    /// later, age from then (`restored_at`), so the next cleanup does not take
    /// back what was just brought back with its old mtime.
    public func noteRestore(_ path: [UInt8], at time: Int64) throws {
        try database.statement("DELETE FROM restores WHERE restored_at < ?1")
            .execute([.integer(time.subtractingSaturating(Self.restoreNoteSeconds))])
        try database.statement(
            """
            INSERT INTO restores (path, restored_at) VALUES (?1, ?2)
            ON CONFLICT (path) DO UPDATE SET restored_at = excluded.restored_at
            """
        ).execute([.text(path), .integer(time)])
        let range = SubtreeRange(path)
        try database.statement("UPDATE files SET restored_at = ?2 WHERE path = ?1 OR (path > ?3 AND path < ?4)")
            .execute([.text(path), .integer(time), .text(range.lowerExclusive), .text(range.upperExclusive)])
    }

    // MARK: Events

    public func record(_ event: IndexEvent) throws {
        try database.statement(
            """
            INSERT INTO events (time, action, path, new_path, category, size, cause, detail)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
            """
        ).execute(Self.values(of: event))
    }

    /// Events logged together, in order: a burst's creations. One statement
    /// per `eventsPerInsert` rows, the way `insertNew` writes files.
    public func record(_ events: [IndexEvent]) throws {
        var start = events.startIndex
        while events.endIndex - start >= Self.eventsPerInsert {
            let chunk = events[start..<start + Self.eventsPerInsert]
            try database.statement(Self.multipleEventsSQL).execute(chunk.flatMap(Self.values(of:)))
            start += Self.eventsPerInsert
        }
        for event in events[start...] { try record(event) }
    }

    static let eventsPerInsert = 32

    private static let multipleEventsSQL =
        "INSERT INTO events (time, action, path, new_path, category, size, cause, detail) VALUES "
        + repeatElement("(?, ?, ?, ?, ?, ?, ?, ?)", count: eventsPerInsert).joined(separator: ", ")

    private static func values(of event: IndexEvent) -> [DatabaseValue] {
        [
            .integer(event.time), .string(event.action.rawValue), event.path.map(DatabaseValue.text) ?? .null,
            event.newPath.map(DatabaseValue.text) ?? .null, event.category.map(DatabaseValue.string) ?? .null,
            .optional(event.size), .string(event.cause), event.detail.map(DatabaseValue.string) ?? .null,
        ]
    }

    // MARK: Usage and policy, for stats

    /// SQL that holds for content files: a `.gitkeep` (at the base or in a
    /// folder) keeps its folder in git and is layout, as `IndexedFile.isLayout` says.
    static func isContent(_ path: String = "path") -> String {
        "\(path) != '.gitkeep' AND \(path) NOT GLOB '*/.gitkeep'"
    }

    public func usage() throws -> [CategoryUsage] {
        var rows: [CategoryUsage] = []
        try database.statement(
            """
            SELECT u.category, u.files, u.bytes, c.key IS NOT NULL, c.retention_seconds, c.quota_bytes,
                   c.on_quota, c.priority,
                   (SELECT f.mtime FROM files AS f
                    WHERE f.category = u.category AND \(Self.isContent("f.path"))
                    ORDER BY f.mtime LIMIT 1),
                   u.allocated
            FROM usage AS u LEFT JOIN categories AS c ON c.key = u.category
            ORDER BY c.priority IS NULL, c.priority, u.category
            """
        ).forEachRow { row in
            rows.append(
                CategoryUsage(
                    category: row.string(0), files: row.int64(1), bytes: row.int64(2), managed: row.int64(3) != 0,
                    retentionSeconds: row.optionalInt64(4), quotaBytes: row.optionalInt64(5),
                    onQuota: row.optionalString(6), oldestMtime: row.optionalInt64(8), allocated: row.int64(9)))
        }
        return rows
    }

    // MARK: Meta

    public func meta(_ key: String) throws -> String? {
        try database.statement("SELECT value FROM meta WHERE key = ?1").firstRow([.string(key)]) {
            $0.optionalString(0)
        } ?? nil
    }

    public func setMeta(_ key: String, _ value: String) throws {
        try database.statement(
            "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
        )
        .execute([.string(key), .string(value)])
    }
}

public enum IndexStoreError: Error, CustomStringConvertible {
    case missing(path: String)
    case schemaMismatch(path: String, found: Int, expected: Int)

    public var description: String {
        switch self {
        case .missing(let path):
            return "no index at \(path): run 'storekeeper init' first"
        case .schemaMismatch(let path, let found, let expected) where found > expected:
            return "the index \(path) has schema version \(found), newer than this storekeeper's \(expected): "
                + "use a newer storekeeper"
        case .schemaMismatch(let path, let found, let expected):
            return "the index \(path) has schema version \(found), this storekeeper expects \(expected): "
                + "run a writing command (scan, init) to migrate it"
        }
    }
}
