import Foundation
import TestSupport
import Testing

@testable import StorekeeperConfig
@testable import StorekeeperHTTP
@testable import StorekeeperIndex

/// `usage` is kept by triggers, not by IndexStore, so it must stay exact
/// whoever writes `files`: IndexStore, raw SQL, or an operator in sqlite3.
@Suite struct UsageTriggerTests {
    struct Tally: Equatable, CustomStringConvertible {
        let category: String
        let files: Int64
        let bytes: Int64
        var description: String { "\(category)|\(files)|\(bytes)" }
    }

    static let categories = ["temp", "frames", "contact_sheets", "uploads", "outputs", "/"]

    let directory: TemporaryDirectory
    let store: IndexStore
    var database: Database { store.database }

    init() throws {
        directory = try TemporaryDirectory()
        store = try IndexStore.create(path: directory.path("index.db"))
        // Configured categories get zero rows, which the comparison must ignore.
        try store.recordPolicy(
            Self.categories.prefix(3).map {
                CategoryPolicy(
                    key: $0, directories: [$0], retentionSeconds: 86_400, quotaBytes: nil, onQuota: .evict,
                    ageBy: .mtime)
            })
    }

    // MARK: Checking

    func tallies(_ sql: String) throws -> [Tally] {
        var rows: [Tally] = []
        try database.statement(sql).forEachRow {
            rows.append(Tally(category: $0.string(0), files: $0.int64(1), bytes: $0.int64(2)))
        }
        return rows
    }

    /// `usage` (zero rows aside) against a count of `files`: names, with each
    /// inode's bytes once per category and `.gitkeep` files left out (migration 4).
    func expectUsageExact(_ context: @autoclosure () -> String, sourceLocation: SourceLocation = #_sourceLocation)
        throws
    {
        let usage = try tallies(
            "SELECT category, files, bytes FROM usage WHERE files != 0 OR bytes != 0 ORDER BY category")
        let counted = try tallies(
            """
            SELECT category, sum(names), sum(size) FROM (
                SELECT category, count(*) AS names, max(size) AS size FROM files
                WHERE path != '.gitkeep' AND path NOT GLOB '*/.gitkeep' GROUP BY category, inode)
            GROUP BY category ORDER BY category
            """)
        // Stop at the first divergence: the seed and step in the message replay it.
        try #require(usage == counted, "\(context())", sourceLocation: sourceLocation)
    }

    // MARK: Random sequences

    /// A random existing path, or nil when `files` is empty.
    func randomPath(using random: inout SplitMix64) throws -> [UInt8]? {
        let count = try database.statement("SELECT count(*) FROM files").firstRow { $0.int64(0) } ?? 0
        guard count > 0 else { return nil }
        return try database.statement("SELECT path FROM files ORDER BY path LIMIT 1 OFFSET ?1")
            .firstRow([.integer(Int64.random(in: 0..<count, using: &random))]) { $0.bytes(0) }
    }

    static func randomSize(using random: inout SplitMix64) -> Int64 {
        switch Int.random(in: 0..<10, using: &random) {
        case 0: return 0
        case 1: return Int64.random(in: 1 << 30...1 << 40, using: &random)
        default: return Int64.random(in: 1...100_000, using: &random)
        }
    }

    static func sqlText(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }

    @Test(arguments: [1, 7, 42, 1_234, 2_024] as [UInt64])
    func randomWritesThroughIndexStoreKeepUsageExact(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        var serial = 0
        for step in 0..<2_000 {
            let category = Self.categories.randomElement(using: &random)!
            switch Int.random(in: 0..<10, using: &random) {
            case 0...3:
                serial += 1
                let file = IndexedFile(
                    path: Array("\(category)/job_\(serial % 17)/f\(serial).bin".utf8), category: category,
                    kind: .file, size: Self.randomSize(using: &random), mtime: Int64(serial), mtimeNanoseconds: 0,
                    inode: UInt64(serial), pathDate: nil)
                try store.insert(file, now: Int64(step))
            case 4...6:
                guard let path = try randomPath(using: &random), var file = try store.file(at: path) else { continue }
                switch Int.random(in: 0..<4, using: &random) {
                case 0: file.size = Self.randomSize(using: &random)
                case 1: file.category = category
                case 2:
                    file.size = Self.randomSize(using: &random)
                    file.category = category
                default: file.mtime += 1
                }
                try store.update(file)
            case 7...8:
                guard let path = try randomPath(using: &random) else { continue }
                try store.delete(path: path)
            default:
                // A duplicate insert fails as a whole, its trigger work with it.
                guard let path = try randomPath(using: &random), let file = try store.file(at: path) else { continue }
                #expect(throws: DatabaseError.self) { try store.insert(file, now: 0) }
            }
            if Int.random(in: 0..<50, using: &random) == 0 {
                try expectUsageExact("seed \(seed), step \(step)")
            }
        }
        try expectUsageExact("seed \(seed), end")
    }

    @Test(arguments: [3, 99, 31_337, 65_536, 1_000_003] as [UInt64])
    func randomRawSQLKeepsUsageExact(seed: UInt64) throws {
        struct RolledBack: Error {}
        var random = SplitMix64(seed: seed)
        var serial = 0
        var step = 0
        while step < 2_000 {
            // Batches of writes in one transaction, a fifth of them rolled back.
            let batch = Int.random(in: 1...40, using: &random)
            let rollBack = Int.random(in: 0..<5, using: &random) == 0
            do {
                try database.transaction {
                    for _ in 0..<batch {
                        step += 1
                        try randomRawWrite(using: &random, serial: &serial)
                    }
                    if rollBack { throw RolledBack() }
                }
            } catch is RolledBack {}
            if Int.random(in: 0..<5, using: &random) == 0 {
                try expectUsageExact("seed \(seed), step \(step)")
            }
        }
        try expectUsageExact("seed \(seed), end")
    }

    /// One statement an operator might type: single-row and bulk edits, upserts, renames.
    func randomRawWrite(using random: inout SplitMix64, serial: inout Int) throws {
        let category = Self.sqlText(Self.categories.randomElement(using: &random)!)
        let size = Self.randomSize(using: &random)
        let target = try randomPath(using: &random).map { Self.sqlText(String(decoding: $0, as: UTF8.self)) }
        serial += 1
        let newPath = Self.sqlText("raw/\(serial % 23)/f\(serial)")
        let sql: String
        switch (Int.random(in: 0..<12, using: &random), target) {
        case (0...2, _), (_, nil):
            sql = """
                INSERT INTO files (path, category, kind, size, mtime, inode, entered_at)
                VALUES (\(newPath), \(category), 'file', \(size), \(serial), \(serial), 0)
                """
        case (3, let target?): sql = "UPDATE files SET size = \(size) WHERE path = \(target)"
        case (4, let target?): sql = "UPDATE files SET category = \(category) WHERE path = \(target)"
        case (5, let target?): sql = "UPDATE files SET category = \(category), size = \(size) WHERE path = \(target)"
        case (6, let target?): sql = "UPDATE files SET path = path || '.moved', mtime = 0 WHERE path = \(target)"
        case (7, let target?): sql = "DELETE FROM files WHERE path = \(target)"
        case (8, _): sql = "UPDATE files SET size = size + 1 WHERE category = \(category)"
        case (9, _): sql = "UPDATE files SET category = \(category) WHERE inode % 5 = \(serial % 5)"
        case (10, _): sql = "DELETE FROM files WHERE category = \(category) AND size < \(size / 4)"
        case (_, let target?):
            sql = """
                INSERT INTO files (path, category, kind, size, mtime, inode, entered_at)
                VALUES (\(target), \(category), 'file', \(size), 0, 0, 0)
                ON CONFLICT (path) DO UPDATE SET category = excluded.category, size = excluded.size
                """
        }
        try database.execute(sql)
    }

    // MARK: The sqlite3 shell

    func sqlite3(_ sql: String) throws -> Shell.Result {
        let program = try Shell.require("sqlite3", installedBy: "scripts/test installs it (apt-get install sqlite3)")
        let result = try Shell.run([program, "-init", "/dev/null", "-bail", database.path, sql])
        #expect(result.status == 0 && result.stderr.isEmpty, "sqlite3 \(sql): \(result.stderr)")
        return result
    }

    func insert(_ path: String, _ category: String, size: Int64) throws {
        try store.insert(
            IndexedFile(
                path: Array(path.utf8), category: category, kind: .file, size: size, mtime: 1, mtimeNanoseconds: 0,
                inode: 1, pathDate: nil),
            now: 1)
    }

    @Test func handEditsInTheSqlite3ShellKeepUsageExact() throws {
        try insert("temp/a.tmp", "temp", size: 10)
        try insert("temp/b.tmp", "temp", size: 20)
        try insert("frames/x.jpg", "frames", size: 300)
        let edits = [
            "UPDATE files SET size = 15 WHERE path = 'temp/a.tmp'",
            "UPDATE files SET category = 'frames' WHERE path = 'temp/b.tmp'",
            "DELETE FROM files WHERE path = 'frames/x.jpg'",
            """
            INSERT INTO files (path, category, kind, size, mtime, inode, entered_at)
            VALUES ('uploads/new.mov', 'uploads', 'file', 4000, 0, 9, 0)
            """,
            """
            BEGIN; UPDATE files SET size = size * 2; DELETE FROM files WHERE category = 'uploads'; COMMIT;
            """,
        ]
        for edit in edits {
            _ = try sqlite3(edit)
            try expectUsageExact("after \(edit)")
        }
        #expect(
            try tallies("SELECT category, files, bytes FROM usage WHERE files != 0 ORDER BY category")
                == [Tally(category: "frames", files: 1, bytes: 40), Tally(category: "temp", files: 1, bytes: 30)])
    }

    @Test func replaceInTheShellKeepsUsageExact() throws {
        try insert("temp/a.tmp", "temp", size: 10)
        try insert("temp/b.tmp", "temp", size: 20)
        // SQLite fires no delete trigger for rows REPLACE removes unless
        // recursive_triggers is on, which the sqlite3 shell never turns on.
        _ = try sqlite3(
            """
            INSERT OR REPLACE INTO files (path, category, kind, size, mtime, inode, entered_at)
            VALUES ('temp/a.tmp', 'temp', 'file', 7, 0, 1, 0)
            """)
        try expectUsageExact("after INSERT OR REPLACE")
        _ = try sqlite3("UPDATE OR REPLACE files SET path = 'temp/a.tmp' WHERE path = 'temp/b.tmp'")
        try expectUsageExact("after UPDATE OR REPLACE")
        // A statement that collides but does not replace leaves usage as it was.
        _ = try sqlite3(
            """
            INSERT OR IGNORE INTO files (path, category, kind, size, mtime, inode, entered_at)
            VALUES ('temp/a.tmp', 'temp', 'file', 99, 0, 1, 0)
            """)
        try expectUsageExact("after INSERT OR IGNORE")
        _ = try sqlite3(
            """
            INSERT INTO files (path, category, kind, size, mtime, inode, entered_at)
            VALUES ('temp/a.tmp', 'frames', 'file', 5, 0, 1, 0)
            ON CONFLICT (path) DO UPDATE SET size = excluded.size, category = excluded.category
            """)
        try expectUsageExact("after an upsert")
        // The note the upsert left behind must not be settled by a later no-op rename.
        _ = try sqlite3("UPDATE files SET path = path")
        try expectUsageExact("after a rename onto itself")
        _ = try sqlite3("DELETE FROM files WHERE path = 'temp/a.tmp'")
        _ = try sqlite3(
            """
            INSERT INTO files (path, category, kind, size, mtime, inode, entered_at)
            VALUES ('temp/a.tmp', 'temp', 'file', 3, 0, 1, 0)
            """)
        try expectUsageExact("after delete and a fresh insert")
        // With recursive_triggers on, delete triggers fire for REPLACE too: still exact.
        _ = try sqlite3(
            """
            PRAGMA recursive_triggers = ON;
            INSERT OR REPLACE INTO files (path, category, kind, size, mtime, inode, entered_at)
            VALUES ('temp/a.tmp', 'temp', 'file', 11, 0, 1, 0);
            """)
        try expectUsageExact("after REPLACE with recursive_triggers")
    }

    // MARK: Paths that are not UTF-8

    @Test func pathBytesRoundTripAndPlainPathsWorkInTheShell() throws {
        let paths: [[UInt8]] = [
            Array("temp/a.tmp".utf8),
            Array("temp/caf".utf8) + [0xE9] + Array(".tmp".utf8),  // Latin-1 é
            Array("temp/".utf8) + [0xFF, 0xFE, 0x80],
            Array("temp/caf\u{E9}.tmp".utf8),  // UTF-8 é
            Array("temp/new\nline".utf8),
        ]
        for (offset, path) in paths.enumerated() {
            try store.insert(
                IndexedFile(
                    path: path, category: "temp", kind: .file, size: Int64(offset + 1), mtime: 0,
                    mtimeNanoseconds: 0, inode: UInt64(offset), pathDate: nil),
                now: 0)
        }
        for path in paths {
            #expect(try store.file(at: path)?.path == path)
        }
        let listed = try store.files(inSubtree: Array("temp".utf8), after: nil, limit: 100).map(\.path)
        #expect(listed == paths.sorted(by: PathOrder.less))
        #expect(try store.files(inSubtree: [], after: nil, limit: 100).map(\.path) == listed)
        try expectUsageExact("after non-UTF-8 inserts")

        let hex = { (bytes: [UInt8]) in bytes.map { String(format: "%02X", $0) }.joined() }
        #expect(try sqlite3("SELECT hex(path) FROM files WHERE path = 'temp/a.tmp'").lines == [hex(paths[0])])
        #expect(try sqlite3("SELECT hex(path) FROM files ORDER BY path").lines == listed.map(hex))
        #expect(try sqlite3("SELECT size FROM files WHERE path = CAST(X'\(hex(paths[2]))' AS TEXT)").lines == ["3"])
        _ = try sqlite3("DELETE FROM files WHERE path = CAST(X'\(hex(paths[1]))' AS TEXT)")
        #expect(try store.file(at: paths[1]) == nil)
        try expectUsageExact("after deleting a non-UTF-8 path in the shell")
    }
}

/// SplitMix64: a tiny seeded generator, so a failing sequence can be replayed.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE5_E9B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
