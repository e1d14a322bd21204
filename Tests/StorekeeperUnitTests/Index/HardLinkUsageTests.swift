import Foundation
import TestSupport
import Testing

@testable import StorekeeperIndex

/// Migration 4: `usage` counts each inode's bytes (apparent and allocated)
/// once per category and leaves `.gitkeep` out, whoever writes `files`, with
/// several names per inode, REPLACE, multi-row statements and renames onto
/// and off `.gitkeep`.
@Suite struct HardLinkUsageTests {
    struct Tally: Equatable, CustomStringConvertible {
        let category: String
        let files: Int64
        let bytes: Int64
        let allocated: Int64
        var description: String { "\(category)|\(files)|\(bytes)|\(allocated)" }
    }

    static let categories = ["temp", "frames", "uploads"]

    let directory: TemporaryDirectory
    let store: IndexStore
    var database: Database { store.database }

    init() throws {
        directory = try TemporaryDirectory()
        store = try IndexStore.create(path: directory.path("index.db"))
    }

    static let recount = """
        SELECT category, sum(names), sum(size), sum(allocated) FROM (
            SELECT category, count(*) AS names, max(size) AS size, max(allocated) AS allocated FROM files
            WHERE path != '.gitkeep' AND path NOT GLOB '*/.gitkeep' GROUP BY category, inode)
        GROUP BY category ORDER BY category
        """

    static func tallies(_ database: Database, _ sql: String) throws -> [Tally] {
        var rows: [Tally] = []
        try database.statement(sql).forEachRow {
            rows.append(Tally(category: $0.string(0), files: $0.int64(1), bytes: $0.int64(2), allocated: $0.int64(3)))
        }
        return rows
    }

    static func expectUsageExact(
        _ database: Database, _ context: @autoclosure () -> String, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let usage = try tallies(
            database,
            """
            SELECT category, files, bytes, allocated FROM usage
            WHERE files != 0 OR bytes != 0 OR allocated != 0 ORDER BY category
            """)
        try #require(usage == (try tallies(database, recount)), "\(context())", sourceLocation: sourceLocation)
    }

    // MARK: Random statements over a few inodes

    static func sqlText(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }

    func randomPath(using random: inout SplitMix64) throws -> String? {
        let count = try database.statement("SELECT count(*) FROM files").firstRow { $0.int64(0) } ?? 0
        guard count > 0 else { return nil }
        return try database.statement("SELECT path FROM files ORDER BY path LIMIT 1 OFFSET ?1")
            .firstRow([.integer(Int64.random(in: 0..<count, using: &random))]) { $0.string(0) }
    }

    /// Paths from a small set, so inserts collide (REPLACE) and some are `.gitkeep`.
    static func randomNewPath(using random: inout SplitMix64) -> String {
        let category = categories.randomElement(using: &random)!
        let name =
            Int.random(in: 0..<6, using: &random) == 0 ? ".gitkeep" : "f\(Int.random(in: 0..<12, using: &random))"
        return "\(category)/d\(Int.random(in: 0..<2, using: &random))/\(name)"
    }

    func randomStatement(using random: inout SplitMix64) throws -> String {
        let newPath = Self.sqlText(Self.randomNewPath(using: &random))
        let category = Self.sqlText(Self.categories.randomElement(using: &random)!)
        // Few inodes: most groups have several names.
        let inode = Int.random(in: 1...8, using: &random)
        let size = Int.random(in: 0...5, using: &random) * 1000
        let allocated = Int.random(in: 0...3, using: &random) * 4096
        let target = try randomPath(using: &random).map(Self.sqlText)
        let columns = "(path, category, kind, size, mtime, inode, entered_at, nlink, allocated)"
        let values = "(\(newPath), \(category), 'file', \(size), 0, \(inode), 0, 2, \(allocated))"
        switch (Int.random(in: 0..<16, using: &random), target) {
        case (0...2, _), (_, nil): return "INSERT OR IGNORE INTO files \(columns) VALUES \(values)"
        case (3, _): return "INSERT OR REPLACE INTO files \(columns) VALUES \(values)"
        case (4, _):
            return """
                INSERT INTO files \(columns) VALUES \(values)
                ON CONFLICT (path) DO UPDATE SET size = excluded.size, inode = excluded.inode
                """
        case (5, let target?): return "UPDATE files SET size = \(size), allocated = \(allocated) WHERE path = \(target)"
        case (6, let target?): return "UPDATE files SET inode = \(inode) WHERE path = \(target)"
        case (7, let target?): return "UPDATE files SET category = \(category) WHERE path = \(target)"
        case (8, let target?): return "UPDATE OR IGNORE files SET path = \(newPath) WHERE path = \(target)"
        case (9, let target?): return "UPDATE OR REPLACE files SET path = \(newPath) WHERE path = \(target)"
        case (10, let target?): return "DELETE FROM files WHERE path = \(target)"
        case (11, _): return "UPDATE files SET size = size + 1000 WHERE inode = \(inode)"
        case (12, _): return "UPDATE files SET inode = inode % 3 + 1 WHERE category = \(category)"
        case (13, _): return "DELETE FROM files WHERE inode = \(inode)"
        case (14, let target?):
            return "UPDATE OR REPLACE files SET path = \(newPath), inode = \(inode) WHERE path = \(target)"
        default: return "UPDATE files SET category = \(category) WHERE inode = \(inode)"
        }
    }

    @Test(arguments: [false, true], [5, 77, 2_025] as [UInt64])
    func randomStatementsKeepUsageExactPerInode(recursiveTriggers: Bool, seed: UInt64) throws {
        try database.execute("PRAGMA recursive_triggers = \(recursiveTriggers ? "ON" : "OFF")")
        var random = SplitMix64(seed: seed)
        for step in 0..<1_500 {
            let sql = try randomStatement(using: &random)
            try database.execute(sql)
            try Self.expectUsageExact(database, "seed \(seed), step \(step): \(sql)")
        }
    }

    // MARK: Hand edits in sqlite3

    func sqlite3(_ sql: String) throws {
        let program = try Shell.require("sqlite3", installedBy: "scripts/test installs it (apt-get install sqlite3)")
        let result = try Shell.run([program, "-init", "/dev/null", "-bail", database.path, sql])
        #expect(result.status == 0 && result.stderr.isEmpty, "sqlite3 \(sql): \(result.stderr)")
    }

    func usage(_ category: String) throws -> Tally? {
        try Self.tallies(database, "SELECT category, files, bytes, allocated FROM usage WHERE category = '\(category)'")
            .first
    }

    @Test func hardLinksCountOnceAndGitkeepNotAtAllInTheShell() throws {
        let columns = "(path, category, kind, size, mtime, inode, entered_at, nlink, allocated)"
        try sqlite3(
            """
            INSERT INTO files \(columns) VALUES
                ('frames/a', 'frames', 'file', 100000, 0, 7, 0, 3, 102400),
                ('frames/b', 'frames', 'file', 100000, 0, 7, 0, 3, 102400),
                ('frames/c', 'frames', 'file', 100000, 0, 7, 0, 3, 102400),
                ('frames/.gitkeep', 'frames', 'file', 0, 0, 8, 0, 1, 0),
                ('temp/sparse', 'temp', 'file', 6000000000, 0, 9, 0, 1, 0);
            """)
        #expect(try usage("frames") == Tally(category: "frames", files: 3, bytes: 100_000, allocated: 102_400))
        #expect(try usage("temp") == Tally(category: "temp", files: 1, bytes: 6_000_000_000, allocated: 0))
        let edits = [
            "DELETE FROM files WHERE path = 'frames/a'",
            "UPDATE files SET size = 200000, allocated = 204800 WHERE path = 'frames/b'",
            "UPDATE files SET path = 'frames/d/.gitkeep' WHERE path = 'frames/c'",
            "UPDATE files SET path = 'frames/e' WHERE path = 'frames/.gitkeep'",
            "UPDATE files SET inode = 7 WHERE path = 'frames/e'",
            "INSERT OR REPLACE INTO files \(columns) VALUES ('frames/b', 'frames', 'file', 5, 0, 11, 0, 1, 4096)",
            "UPDATE files SET category = 'frames' WHERE path = 'temp/sparse'",
            "DELETE FROM files WHERE inode = 7",
        ]
        for edit in edits {
            try sqlite3(edit)
            try Self.expectUsageExact(database, "after \(edit)")
        }
        #expect(try usage("frames") == Tally(category: "frames", files: 2, bytes: 6_000_000_005, allocated: 4096))
    }

    // MARK: Migrating an index of version 3

    @Test func migrationFourRecountsUsageAndEstimatesAllocationBySize() throws {
        let path = directory.path("old.db")
        do {
            let old = try Database(path: path)
            for migration in EmbeddedSchema.migrations where migration.version <= 3 {
                try old.execute(migration.sql)
            }
            try old.execute("PRAGMA user_version = 3")
            try old.execute(
                """
                INSERT INTO files (path, category, kind, size, mtime, inode, entered_at) VALUES
                    ('frames/a', 'frames', 'file', 100, 0, 5, 0),
                    ('frames/b', 'frames', 'file', 100, 0, 5, 0),
                    ('frames/.gitkeep', 'frames', 'file', 0, 0, 6, 0),
                    ('temp/x', 'temp', 'file', 30, 0, 7, 0);
                """)
            #expect(
                try old.statement("SELECT files FROM usage WHERE category = 'frames'").firstRow { $0.int64(0) } == 3)
        }
        let store = try IndexStore(path: path)
        #expect(try store.database.userVersion == Database.schemaVersion)
        try Self.expectUsageExact(store.database, "after migrating")
        #expect(try store.usage(of: "frames") == (files: 2, bytes: 100, allocated: 100))
        #expect(try store.file(at: Array("temp/x".utf8))?.allocated == 30)
        #expect(try store.file(at: Array("temp/x".utf8))?.nlink == 1)
    }

    // MARK: The cleaner's reads

    func insert(_ path: String, inode: UInt64, nlink: UInt64 = 1, mtime: Int64 = 100) throws {
        try store.insert(
            IndexedFile(
                path: Array(path.utf8), category: "temp", kind: .file, size: 10, mtime: mtime, mtimeNanoseconds: 0,
                inode: inode, pathDate: nil, nlink: nlink, allocated: 4096),
            now: 1)
    }

    func candidatePaths(before cutoff: Int64?, forSpace: Bool = false) throws -> [String] {
        try store.candidates(
            category: "temp", ageBy: .mtime, before: cutoff, after: nil, limit: 100, forSpace: forSpace
        )
        .map { String(decoding: $0.file.path, as: UTF8.self) }
    }

    @Test func evictionForSpaceSkipsNamesWithOtherNames() throws {
        try insert("temp/single", inode: 1)
        try insert("temp/linked_a", inode: 2, nlink: 2)
        try insert("temp/linked_b", inode: 2, nlink: 2)
        try insert("temp/.gitkeep", inode: 3)
        #expect(try candidatePaths(before: nil, forSpace: true) == ["temp/single"])
        #expect(try candidatePaths(before: 1_000) == ["temp/single", "temp/linked_a", "temp/linked_b"])
        #expect(
            try store.files(withInode: 2).map(\.path) == [Array("temp/linked_a".utf8), Array("temp/linked_b".utf8)])
    }

    @Test func aRestoredFileAgesFromItsRestoreWhenItsRowComesEarlierOrLater() throws {
        try insert("temp/here_before", inode: 1)
        try store.noteRestore(Array("temp/here_before".utf8), at: 5_000)
        try store.noteRestore(Array("temp/folder".utf8), at: 5_000)
        // The watcher indexes these after the restore's note.
        try insert("temp/folder/inside", inode: 2)
        try insert("temp/folder.txt", inode: 3)
        try insert("temp/other", inode: 4)
        #expect(try store.file(at: Array("temp/here_before".utf8))?.restoredAt == 5_000)
        #expect(try store.file(at: Array("temp/folder/inside".utf8))?.restoredAt == 5_000)
        #expect(try store.file(at: Array("temp/folder.txt".utf8))?.restoredAt == nil)
        #expect(try candidatePaths(before: 1_000) == ["temp/folder.txt", "temp/other"])
        #expect(try candidatePaths(before: 6_000).count == 4)
        // A scan's update keeps what only the index knows.
        var file = try #require(try store.file(at: Array("temp/folder/inside".utf8)))
        file.size = 11
        file.restoredAt = nil
        try store.update(file)
        #expect(try store.file(at: Array("temp/folder/inside".utf8))?.restoredAt == 5_000)
        // Notes older than a day go with the next restore.
        try store.noteRestore(Array("temp/later".utf8), at: 5_000 + IndexStore.restoreNoteSeconds + 1)
        #expect(try database.statement("SELECT count(*) FROM restores").firstRow { $0.int64(0) } == 1)
    }
}
