import Foundation
import TestSupport
import Testing

@testable import StorekeeperIndex

/// `trash_usage` is kept by triggers, like `usage`: exact whoever writes
/// `trash` — the trash code, raw SQL, or an operator in the sqlite3 shell.
@Suite struct TrashUsageTriggerTests {
    let directory: TemporaryDirectory
    let store: IndexStore
    var database: Database { store.database }

    init() throws {
        directory = try TemporaryDirectory()
        store = try IndexStore.create(path: directory.path("index.db"))
    }

    func expectExact(_ context: @autoclosure () -> String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let counted = try database.statement("SELECT count(*), coalesce(sum(size), 0) FROM trash")
            .firstRow { [$0.int64(0), $0.int64(1)] }
        let usage = try store.trashUsage()
        try #require([usage.files, usage.bytes] == counted, "\(context())", sourceLocation: sourceLocation)
        #expect(try database.statement("SELECT count(*) FROM trash_usage").firstRow { $0.int64(0) } == 1)
    }

    func sqlite3(_ sql: String) throws {
        let program = try Shell.require("sqlite3", installedBy: "scripts/test installs it (apt-get install sqlite3)")
        let result = try Shell.run([program, "-init", "/dev/null", "-bail", database.path, sql])
        #expect(result.status == 0 && result.stderr.isEmpty, "sqlite3 \(sql): \(result.stderr)")
    }

    static func insert(_ name: String, size: Int64, verb: String = "INSERT") -> String {
        """
        \(verb) INTO trash (trash_name, original_path, category, size, deleted_at)
        VALUES ('\(name)', 'temp/\(name)', 'temp', \(size), 0)
        """
    }

    @Test func aFreshIndexHasOneZeroRow() throws {
        #expect(try store.trashUsage() == (0, 0))
        try expectExact("fresh")
    }

    @Test func handEditsAndReplaceKeepTrashUsageExact() throws {
        let edits = [
            Self.insert("a", size: 10),
            Self.insert("b", size: 20),
            "UPDATE trash SET size = 15 WHERE trash_name = 'a'",
            // REPLACE removes the colliding row without a delete trigger.
            Self.insert("a", size: 7, verb: "INSERT OR REPLACE"),
            "UPDATE OR REPLACE trash SET trash_name = 'a' WHERE trash_name = 'b'",
            // Collides without replacing: nothing changes, a stale note at most.
            Self.insert("a", size: 99, verb: "INSERT OR IGNORE"),
            Self.insert("a", size: 5) + " ON CONFLICT (trash_name) DO UPDATE SET size = excluded.size",
            "DELETE FROM trash WHERE trash_name = 'a'",
            Self.insert("a", size: 3),
            "PRAGMA recursive_triggers = ON; " + Self.insert("a", size: 11, verb: "INSERT OR REPLACE"),
            "BEGIN; " + Self.insert("c", size: 1) + "; UPDATE trash SET size = size * 2; COMMIT;",
            "DELETE FROM trash",
        ]
        for edit in edits {
            try sqlite3(edit)
            try expectExact("after \(edit)")
        }
        #expect(try store.trashUsage() == (0, 0))
    }

    @Test(arguments: [5, 77, 4_242] as [UInt64])
    func randomWritesKeepTrashUsageExact(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        for step in 0..<1_500 {
            let name = "n\(Int.random(in: 0..<40, using: &random))"
            let size = Int64.random(in: 0...1_000_000, using: &random)
            let sql: String
            switch Int.random(in: 0..<8, using: &random) {
            case 0, 1: sql = Self.insert(name, size: size, verb: "INSERT OR IGNORE")
            case 2: sql = Self.insert(name, size: size, verb: "INSERT OR REPLACE")
            case 3: sql = "UPDATE trash SET size = \(size) WHERE trash_name = '\(name)'"
            case 4:
                sql = "UPDATE OR REPLACE trash SET trash_name = '\(name)' WHERE rowid = (SELECT min(rowid) FROM trash)"
            case 5: sql = "DELETE FROM trash WHERE trash_name = '\(name)'"
            case 6: sql = Self.insert(name, size: size) + " ON CONFLICT (trash_name) DO UPDATE SET size = excluded.size"
            default:
                // Through the trash code's own statement.
                try store.saveTrashRow(
                    TrashedItem(
                        trashName: Array(name.utf8), originalPath: Array("temp/\(name)".utf8), deletedAt: 0, size: size,
                        category: nil))
                continue
            }
            try database.execute(sql)
            if step % 25 == 0 { try expectExact("seed \(seed), step \(step): \(sql)") }
        }
        try expectExact("seed \(seed), end")
    }
}
