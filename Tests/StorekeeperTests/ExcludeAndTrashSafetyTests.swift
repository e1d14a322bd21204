import Foundation
import Glibc
import TestSupport
import Testing

@testable import StorekeeperConfig
@testable import StorekeeperEngine
@testable import StorekeeperIndex
@testable import StorekeeperSystem

/// Deletion safety through the binary: `cleanup.exclude` folders protect what
/// is below them, `check --verbose` says what each pattern protects, the trash
/// restores only into category folders, Storekeeper's own folders are never
/// indexed, and the trash's times do not depend on `TZ`.
@Suite struct ExcludeAndTrashSafetyTests {
    static let longAgo = Int(time(nil)) - 30 * 86_400

    static func tree(exclude: [String] = [], useTrash: Bool = true) throws -> TemporaryTree {
        let tree = try TemporaryTree()
        let list = exclude.map { "\"\($0)\"" }.joined(separator: ", ")
        try tree.writeConfig(
            """
            storage:
              base_path: "\(tree.base)"
              cleanup:
                use_trash: \(useTrash)
                exclude: [\(list)]
            """)
        let result = try tree.storekeeper(["init"])
        precondition(result.status == 0, result.stderr)
        return tree
    }

    static func writeOld(_ tree: TemporaryTree, _ paths: [String]) {
        for path in paths {
            tree.writeFile(path)
            tree.setMtime(Array(path.utf8), longAgo)
        }
    }

    // MARK: cleanup.exclude

    /// The reported case: a folder named with or without a trailing slash
    /// protected nothing, and both expired files below it were deleted.
    @Test(arguments: [
        "uploads/important", "uploads/important/", "uploads/important/**", "/uploads/important", "important/",
    ])
    func anExcludedFolderKeepsEverythingBelowIt(pattern: String) throws {
        let tree = try Self.tree(exclude: [pattern])
        let kept = ["uploads/important/a.bin", "uploads/important/2026-11-01/deep/b.bin"]
        Self.writeOld(tree, kept + ["uploads/other/c.bin", "uploads/important-not/d.bin"])

        let clean = try tree.storekeeper(["clean"])
        #expect(clean.status == 0, "\(clean.stdout)\(clean.stderr)")
        for path in kept { #expect(tree.exists(path), "\(pattern) lost \(path)") }
        #expect(!tree.exists("uploads/other/c.bin") && !tree.exists("uploads/important-not/d.bin"))
        #expect(try tree.sqlite("SELECT count(*) FROM trash") == "2")
        #expect(try tree.sqlite("SELECT files FROM cleanup_skips WHERE reason = 'excluded'") == "2")
        #expect(try tree.storekeeper(["verify"]).status == 0)
    }

    @Test func namePatternsProtectAtAnyDepth() throws {
        let tree = try Self.tree(exclude: ["*.keep", "**/keep-*"], useTrash: false)
        let kept = [
            "temp/a.keep", "temp/job/b.keep", "uploads/x/keep-1.jpg", "uploads/keep-dir/y/z.jpg",
            "temp/c.keep/inside.tmp",
        ]
        let gone = ["temp/a.keep.bak", "uploads/x/dont-keep-1.jpg"]
        Self.writeOld(tree, kept + gone)

        let clean = try tree.storekeeper(["clean"])
        #expect(clean.status == 0, "\(clean.stdout)\(clean.stderr)")
        for path in kept { #expect(tree.exists(path), "\(path)") }
        for path in gone { #expect(!tree.exists(path), "\(path)") }
    }

    @Test func checkVerboseCountsWhatEachPatternProtects() throws {
        let tree = try Self.tree(exclude: ["uploads/important/", "*.keep", "upload/important"])
        for path in ["uploads/important/a.bin", "uploads/important/b/c.keep", "temp/d.keep", "temp/e.tmp"] {
            tree.writeFile(path)
        }
        #expect(try tree.storekeeper(["scan"]).status == 0)
        let indexed = try tree.sqlite("SELECT count(*) FROM files")  // with what init wrote

        let plain = try tree.storekeeper(["check"])
        #expect(plain.status == 0 && !plain.stdout.contains("protects") && !plain.stderr.contains("matches none"))

        let verbose = try tree.storekeeper(["check", "--verbose"])
        #expect(verbose.status == 0, "\(verbose.stderr)")
        #expect(verbose.stdout.contains("exclude (of \(indexed) indexed files)"), "\(verbose.stdout)")
        for (pattern, count) in [("uploads/important/", 2), ("*.keep", 2), ("upload/important", 0)] {
            #expect(
                verbose.lines.contains { $0.hasPrefix("    \(pattern) ") && $0.hasSuffix("protects \(count)") },
                "\(verbose.stdout)")
        }
        #expect(
            verbose.stderr
                == "warning: cleanup.exclude 'upload/important' matches none of the \(indexed) indexed files: it protects nothing now\n"
        )

        let json = try tree.storekeeper(["check", "--verbose", "--json"])
        #expect(json.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["indexed_files"] as? Int == Int(indexed) && (object["warnings"] as? [String])?.count == 1)
        let counts = (object["exclude"] as? [[String: Any]] ?? []).map { "\($0["pattern"] ?? "")=\($0["files"] ?? "")" }
        #expect(counts == ["uploads/important/=2", "*.keep=2", "upload/important=0"])
    }

    @Test func checkVerboseWithoutAnIndexSaysSoAndPasses() throws {
        let tree = try TemporaryTree()
        try tree.writeConfig("storage:\n  base_path: \"\(tree.base)\"\n  cleanup:\n    exclude: [keep/]\n")
        let result = try tree.storekeeper(["check", "--verbose"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("exclude (no index to count)") && result.stdout.contains("keep/"))
    }

    @Test func checkRefusesAPatternItCannotMatch() throws {
        let tree = try TemporaryTree()
        try tree.writeConfig("storage:\n  base_path: \"\(tree.base)\"\n  cleanup:\n    exclude: [\"uploads/[x\"]\n")
        let result = try tree.storekeeper(["check"])
        #expect(result.status == 78)
        #expect(
            result.stderr.contains("storage.cleanup.exclude: 'uploads/[x' is not a valid exclude pattern"),
            "\(result.stderr)")
    }

    // MARK: Restore targets

    /// What trash-cli or a hand would leave: an info file naming `path`
    /// under the base, and its file.
    static func plant(_ tree: TemporaryTree, name: String, path: String, contents: String = "x") throws {
        let info = TrashInfo(
            path: Array((tree.base + "/" + path).utf8), deletionDate: DeletionDate(localTimeOf: Int64(time(nil))))
        try Data(info.serialized).write(to: URL(fileURLWithPath: tree.base + "/.trash/info/\(name).trashinfo"))
        try contents.write(toFile: tree.base + "/.trash/files/\(name)", atomically: false, encoding: .utf8)
    }

    @Test(arguments: [
        ".storekeeper/evil.db", ".trash/info/injected.trashinfo", ".trash/files/x", "evil.db", "unmanaged/evil.db",
    ])
    func restoreRefusesEverythingButCategoryFolders(target: String) throws {
        let tree = try Self.tree()
        _ = try tree.storekeeper(["trash", "list"])  // creates .trash
        try Self.plant(tree, name: "evil", path: target)

        let result = try tree.storekeeper(["trash", "restore", target])
        #expect(result.status == 1)
        #expect(result.stderr.contains("is not inside a category folder"), "\(result.stderr)")
        #expect(result.stderr.contains(target))
        #expect(!tree.exists(target))
        #expect(tree.exists(".trash/files/evil") && tree.exists(".trash/info/evil.trashinfo"))
        #expect(try tree.storekeeper(["scan"]).status == 0)
        #expect(
            try tree.sqlite(
                "SELECT count(*) FROM files WHERE path LIKE '.storekeeper/%' OR path LIKE '.trash/%' OR path = 'evil.db'"
            ) == "0")
    }

    @Test func restoreIntoACategoryFolderStillWorks() throws {
        let tree = try Self.tree()
        _ = try tree.storekeeper(["trash", "list"])
        try Self.plant(tree, name: "good", path: "uploads/2026-11-01/good.jpg", contents: "good")

        let result = try tree.storekeeper(["trash", "restore", "uploads/2026-11-01/good.jpg"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try String(contentsOfFile: tree.base + "/uploads/2026-11-01/good.jpg", encoding: .utf8) == "good")
        #expect(try tree.sqlite("SELECT category FROM files WHERE path = 'uploads/2026-11-01/good.jpg'") == "uploads")
    }

    // MARK: Storekeeper's own folders are never content

    @Test func theWalkNeverEntersTheReservedFolders() throws {
        let tree = try Self.tree()
        try tree.sh(
            "mkdir -p .trash/files .trash/info temp && echo a > .storekeeper/planted && echo b > .trash/files/f && echo c > temp/t"
        )
        let walker = try TreeWalker(basePath: tree.base)
        for subtree in [".storekeeper", ".trash", ".trash/files", ".storekeeper/"] {
            var seen: [[UInt8]] = []
            try walker.walk(subtree: Array(subtree.utf8)) { item in
                if case .entry(let path, _) = item { seen.append(path) }
            }
            #expect(seen.isEmpty, "\(subtree): \(seen.map { PathBytes.display($0) })")
        }

        let store = try IndexStore(path: tree.base + "/.storekeeper/index.db")
        let scanner = Scanner(
            store: store, categorizer: Categorizer(policies: CategoryPolicy.builtIns), basePath: tree.base)
        _ = try scanner.reconcile(subtree: Array(".storekeeper".utf8), logSummary: false)
        _ = try scanner.reconcile(subtree: Array(".trash".utf8), logSummary: false)
        #expect(try tree.storekeeper(["scan"]).status == 0)
        #expect(
            try tree.sqlite("SELECT count(*) FROM files WHERE path LIKE '.storekeeper/%' OR path LIKE '.trash/%'")
                == "0")
        #expect(try tree.sqlite("SELECT count(*) FROM files WHERE path = 'temp/t'") == "1")
    }

    @Test func theDaemonNeverIndexesTheReservedFolders() throws {
        let tree = try Self.tree()
        try tree.sh("mkdir -p .trash/files .trash/info temp")
        let daemon = try DaemonProcess(tree)
        try tree.sh(
            "mkdir -p .storekeeper/sub .trash/files/dir && echo a > .storekeeper/sub/x && echo b > .trash/files/dir/y "
                + "&& echo c > .trash/info/z.trashinfo && echo d > temp/marker")
        try waitFor("the marker to be indexed") {
            try tree.sqlite("SELECT count(*) FROM files WHERE path = 'temp/marker'") == "1"
        }
        #expect(try daemon.stop() == 0)
        #expect(
            try tree.sqlite("SELECT count(*) FROM files WHERE path LIKE '.storekeeper/%' OR path LIKE '.trash/%'")
                == "0")
    }

    // MARK: Time zones

    static func trashTable(_ tree: TemporaryTree) throws -> String {
        try tree.sqlite("SELECT trash_name, original_path, category, size, deleted_at FROM trash ORDER BY trash_name")
    }

    /// The reported case: after a `clean` in UTC, a listing in another zone
    /// moved the deletion by 14 h and lost the category, and an `empty` in
    /// Kiritimati purged an item trashed seconds before.
    @Test func trashTimesDoNotDependOnTheTimeZone() throws {
        let tree = try Self.tree()
        Self.writeOld(tree, ["temp/job/old.tmp"])
        let clean = try tree.storekeeper(["clean"], environment: ["TZ": "UTC"])
        #expect(clean.status == 0, "\(clean.stdout)\(clean.stderr)")
        let before = try Self.trashTable(tree)
        #expect(before.hasPrefix("old.tmp|temp/job/old.tmp|temp|10|"), "\(before)")

        let kiritimati = ["TZ": "Pacific/Kiritimati"]
        #expect(try tree.storekeeper(["trash", "list"], environment: kiritimati).status == 0)
        #expect(try Self.trashTable(tree) == before)
        let empty = try tree.storekeeper(["trash", "empty", "--older-than", "12h"], environment: kiritimati)
        #expect(empty.status == 0, "\(empty.stderr)")
        #expect(empty.stdout.contains("Removed 0 items"), "\(empty.stdout)")
        #expect(tree.exists(".trash/files/old.tmp"))

        let list = try tree.storekeeper(["trash", "list", "--json"], environment: ["TZ": "America/Los_Angeles"])
        #expect(list.status == 0)
        #expect(list.stdout.contains("\"category\": \"temp\""), "\(list.stdout)")
        #expect(try Self.trashTable(tree) == before)
    }

    /// The file keeps the freedesktop form: local time without a zone, in the
    /// zone of the process that trashed it, which is what trash-cli reads.
    @Test func theInfoFileHoldsLocalTimeWithoutAZone() throws {
        let tree = try Self.tree()
        Self.writeOld(tree, ["temp/old.tmp"])
        #expect(try tree.storekeeper(["clean"], environment: ["TZ": "Pacific/Kiritimati"]).status == 0)
        let deletedAt = try tree.sqlite("SELECT deleted_at FROM trash")
        let local = try Shell.run(
            ["date", "-d", "@\(deletedAt)", "+%Y-%m-%dT%H:%M:%S"], in: tree.root,
            environment: ["TZ": "Pacific/Kiritimati"])
        let info = try String(contentsOfFile: tree.base + "/.trash/info/old.tmp.trashinfo", encoding: .utf8)
        #expect(info == "[Trash Info]\nPath=\(tree.base)/temp/old.tmp\nDeletionDate=\(local.stdout)")
    }
}
