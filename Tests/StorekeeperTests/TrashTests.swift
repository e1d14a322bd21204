import Foundation
import Glibc
import TestSupport
import Testing

@testable import StorekeeperConfig
@testable import StorekeeperEngine
@testable import StorekeeperHTTP
@testable import StorekeeperIndex
@testable import StorekeeperSystem

/// `storekeeper trash list|restore|empty` through the binary, and real
/// interoperation with trash-cli 0.26 (from PyPI) on the same `.trash` folder.
@Suite struct TrashTests {
    let tree: TemporaryTree
    let trash: Trash
    var trashDirectory: String { tree.base + "/.trash" }

    init() throws {
        tree = try TemporaryTree()
        let result = try tree.storekeeper(["init"])
        precondition(result.status == 0, result.stderr)
        let (configuration, _) = try ConfigurationLoader.load(
            file: tree.configPath, environment: [:], currentDirectory: tree.root)
        trash = try Trash(layout: StorageLayout(configuration), store: try IndexStore(path: configuration.indexPath))
    }

    /// trash-cli's commands, from `$STOREKEEPER_TRASH_CLI_BIN` (scripts/test
    /// installs trash-cli 0.26 in `.build-venv/trash-cli` and exports it), else
    /// from that venv. Debian's trash-cli (0.17) has no `--trash-dir`.
    static func trashCLI(_ program: String) throws -> String {
        let directory =
            ProcessInfo.processInfo.environment["STOREKEEPER_TRASH_CLI_BIN"]
            ?? Repository.root + "/.build-venv/trash-cli/bin"
        let path = directory + "/" + program
        guard FileManager.default.isExecutableFile(atPath: path) else { throw TrashCLIMissing(path: path) }
        return path
    }

    struct TrashCLIMissing: Error, CustomStringConvertible {
        let path: String
        var description: String {
            "trash-cli 0.26 is not installed (\(path) not found): run scripts/test, which creates "
                + ".build-venv/trash-cli with pip and exports STOREKEEPER_TRASH_CLI_BIN, or point that variable "
                + "at the bin/ folder of a trash-cli 0.26 install"
        }
    }

    /// Runs a trash-cli command (no shell) with a home of its own.
    func runTrashCLI(
        _ program: String, _ arguments: [String], input: String? = nil, environment: [String: String] = [:]
    )
        throws -> Shell.Result
    {
        var merged = ["HOME": tree.root]
        merged.merge(environment) { $1 }
        return try Shell.run([try Self.trashCLI(program)] + arguments, in: tree.root, environment: merged, input: input)
    }

    func put(_ relative: [UInt8], deletedAt: Int64 = Int64(time(nil))) throws -> TrashedItem {
        try trash.put(path: relative, category: "temp", deletedAt: deletedAt)
    }

    func listJSON(environment: [String: String] = [:]) throws -> [[String: Any]] {
        let result = try tree.storekeeper(["trash", "list", "--json"], environment: environment)
        try #require(result.status == 0, "\(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        return try #require(json["items"] as? [[String: Any]])
    }

    func exists(_ relative: [UInt8]) -> Bool {
        var status = stat()
        return PathBytes.withCString(tree.absolute(relative)) { lstat($0, &status) } == 0
    }

    static func epoch(_ iso: Any?) -> Int64? {
        (iso as? String).flatMap { ISO8601DateFormatter().date(from: $0) }.map { Int64($0.timeIntervalSince1970) }
    }

    // MARK: The command line

    @Test(arguments: [
        ["trash"], ["trash", "bogus"], ["trash", "restore"], ["trash", "list", "extra"],
        ["trash", "empty", "--older-than", "soon"], ["trash", "empty", "--older-than", "-1"],
        ["trash", "list", "--older-than", "1d"],
        // Deleting for good takes an age with a unit, or --all: never a bare number, never nothing.
        ["trash", "empty"], ["trash", "empty", "--older-than", "2"], ["trash", "empty", "--all", "--older-than", "1d"],
        ["trash", "list", "--all"],
    ])
    func mistakesAreUsageErrors(arguments: [String]) throws {
        let result = try tree.storekeeper(arguments)
        #expect(result.status == 64, "\(arguments): \(result.stderr)")
        #expect(result.stderr.hasPrefix("Error: ") && result.stderr.contains("See 'storekeeper trash --help'."))
        #expect(result.stdout.isEmpty)
    }

    @Test func listShowsTimeSizeAndEscapedPathsOldestFirst() throws {
        tree.writeFile("uploads/2026-11-01/clip one.mp4", size: 2048)
        let odd: [UInt8] = Array("temp/job/new\nline".utf8) + [0xFF]
        tree.writeFile(odd, size: 5)
        _ = try put(Array("uploads/2026-11-01/clip one.mp4".utf8), deletedAt: 1_790_000_000)
        _ = try put(odd, deletedAt: 1_780_000_000)
        tree.writeFile(Array(".trash/files/stray".utf8), size: 3)

        let result = try tree.storekeeper(["trash", "list"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.lines.count == 4)
        #expect(result.lines[0] == "2026-05-28T20:26:40Z         5 B  temp/job/new\\nline\\xFF")
        #expect(result.lines[1] == "2026-09-21T14:13:20Z     2.0 KiB  uploads/2026-11-01/clip one.mp4")
        #expect(result.lines[2].hasSuffix("3 B  .trash/files/stray  [no .trashinfo in info/ (orphan)]"))
        #expect(result.lines[3] == "3 items, 2.0 KiB in \(trashDirectory).")

        let items = try listJSON()
        #expect(
            items.map { $0["original_path"] as? String } == [
                "temp/job/new\\nline\\xFF", "uploads/2026-11-01/clip one.mp4", nil,
            ])
        #expect(items[1]["size"] as? Int == 2048 && items[1]["category"] as? String == "temp")
        #expect(items[1]["deleted_at"] as? String == "2026-09-21T14:13:20Z" && items[1]["problem"] is NSNull)
        #expect(items[2]["problem"] as? String == "no .trashinfo in info/ (orphan)")
    }

    @Test func restorePutsFilesBackIndexedAndRefusesToOverwrite() throws {
        let newline = Array("uploads/2026-11-01/new\nline.jpg".utf8)
        let invalid = Array("temp/job/bad".utf8) + [0xFF] + Array(".bin".utf8)
        tree.writeFile(newline, size: 11)
        tree.writeFile(invalid, size: 12)
        #expect(try tree.storekeeper(["scan"]).status == 0)
        _ = try put(newline)
        _ = try put(invalid)
        _ = try tree.sh("rm -r uploads/2026-11-01 temp/job")
        #expect(try tree.storekeeper(["scan"]).status == 0)

        // Named as `list` prints them: escapes for what argv cannot carry, or absolute.
        let first = try tree.storekeeper(["trash", "restore", "uploads/2026-11-01/new\\nline.jpg"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.hasPrefix("Restored uploads/2026-11-01/new\\nline.jpg (11 B, deleted "))
        let second = try tree.storekeeper(["trash", "restore", "--json", tree.base + "/temp/job/bad\\xFF.bin"])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout.contains("\"original_path\": \"temp/job/bad\\\\xFF.bin\""))
        #expect(exists(newline) && exists(invalid))
        // Without a daemon, restore indexed what it put back.
        #expect(try tree.storekeeper(["verify"]).status == 0)
        #expect(try tree.sqlite("SELECT files, bytes FROM trash_usage") == "0|0")
        #expect(try tree.sqlite("SELECT count(*) FROM events WHERE action = 'restore' AND cause = 'manual'") == "2")

        let again = try tree.storekeeper(["trash", "restore", "uploads/2026-11-01/new\\nline.jpg"])
        #expect(again.status == 1 && again.stderr.hasPrefix("Error: nothing in the trash was deleted from"))
        _ = try put(newline)
        tree.writeFile(newline, size: 1)
        let occupied = try tree.storekeeper(["trash", "restore", "uploads/2026-11-01/new\\nline.jpg"])
        #expect(occupied.status == 1 && occupied.stderr.contains("exists again; restoring would overwrite it"))
        let outside = try tree.storekeeper(["trash", "restore", "/etc/passwd"])
        #expect(outside.status == 64 && outside.stderr.contains("is not under the base"))
    }

    @Test func restoreWhileTheDaemonRunsIsSeenByIt() throws {
        let daemon = try DaemonProcess(tree)
        tree.writeFile("uploads/2026-11-02/a.mov", size: 300)
        #expect(try tree.waitUntilIndexMatches() == nil)
        _ = try put(Array("uploads/2026-11-02/a.mov".utf8))
        #expect(try tree.waitUntilIndexMatches() == nil)
        #expect(try tree.sqlite("SELECT count(*) FROM files WHERE path = 'uploads/2026-11-02/a.mov'") == "0")

        let result = try tree.storekeeper(["trash", "restore", "uploads/2026-11-02/a.mov"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try tree.waitUntilIndexMatches() == nil)
        #expect(try tree.sqlite("SELECT size FROM files WHERE path = 'uploads/2026-11-02/a.mov'") == "300")
        #expect(try daemon.stop() == 0)
    }

    @Test func emptyGoesByDeletionDate() throws {
        let now = Int64(time(nil))
        tree.writeFile("temp/old.tmp", size: 100)
        tree.writeFile("temp/young.tmp", size: 10)
        _ = try put(Array("temp/old.tmp".utf8), deletedAt: now - 10 * 86_400)
        _ = try put(Array("temp/young.tmp".utf8), deletedAt: now - 3_600)

        let result = try tree.storekeeper(["trash", "empty", "--older-than", "7d", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(json["files_removed"] as? Int == 1 && json["bytes_freed"] as? Int == 100)
        #expect(json["older_than_seconds"] as? Int == 604_800 && (json["errors"] as? [Any])?.isEmpty == true)
        #expect(try listJSON().map { $0["original_path"] as? String } == ["temp/young.tmp"])
        #expect(try tree.sqlite("SELECT files, bytes FROM trash_usage") == "1|10")
        #expect(try tree.sqlite("SELECT path, cause FROM events WHERE action = 'delete'") == "temp/old.tmp|manual")

        let all = try tree.storekeeper(["trash", "empty", "--all"])
        #expect(all.status == 0 && all.stdout == "Removed 1 item (10 B) from the trash.\n")
        #expect(try tree.storekeeper(["trash", "list"]).stdout == "The trash is empty (\(trashDirectory)).\n")
    }

    // MARK: trash-cli reads ours

    @Test func trashListShowsWhatWeTrashedWithAbsolutePaths() throws {
        let names = ["uploads/2026-11-01/clip one.mp4", "temp/job/100% é.bin"]
        var expected: Set<String> = []
        for (index, name) in names.enumerated() {
            tree.writeFile(name)
            let deletedAt = 1_790_000_000 + Int64(index) * 3_600
            _ = try put(Array(name.utf8), deletedAt: deletedAt)
            let local = "\(DeletionDate(localTimeOf: deletedAt))".replacingOccurrences(of: "T", with: " ")
            expected.insert("\(local) \(tree.base)/\(name)")
        }
        let result = try runTrashCLI("trash-list", ["--trash-dir", trashDirectory])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(Set(result.lines) == expected)
    }

    /// The real path: `clean` trashes an expired file, in a zone east of UTC;
    /// trash-list shows it with its absolute path and that zone's wall-clock time.
    @Test func whatCleanTrashesTrashListShowsInLocalTime() throws {
        tree.writeFile("temp/job/old.tmp", size: 6)
        tree.setMtime(Array("temp/job/old.tmp".utf8), Int(time(nil)) - 3 * 86_400)
        let zone = ["TZ": "XST-5:30"]
        let clean = try tree.storekeeper(["clean"], environment: zone)
        #expect(clean.status == 0, "\(clean.stdout)\(clean.stderr)")

        let deletedAt = try tree.sqlite("SELECT deleted_at FROM trash WHERE original_path = 'temp/job/old.tmp'")
        let local = try Shell.run(
            ["date", "-d", "@\(deletedAt)", "+%Y-%m-%d %H:%M:%S"], in: tree.root, environment: zone)
        let listed = try runTrashCLI("trash-list", ["--trash-dir", trashDirectory])
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(listed.lines == [local.stdout.trimmingCharacters(in: .newlines) + " \(tree.base)/temp/job/old.tmp"])
    }

    @Test func trashRestorePutsOurItemBack() throws {
        let name = Array("uploads/2026-11-03/a b.jpg".utf8)
        tree.writeFile(name, size: 33)
        _ = try put(name)
        _ = try tree.sh("rm -r uploads/2026-11-03")

        // trash-restore asks which item to restore; "0" picks the only one.
        let result = try runTrashCLI(
            "trash-restore", ["--trash-dir", trashDirectory, tree.base + "/uploads/2026-11-03"], input: "0\n")
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("\(tree.base)/uploads/2026-11-03/a b.jpg"))
        #expect(exists(name))
        #expect(try listJSON().isEmpty)
        #expect(try tree.sqlite("SELECT files, bytes FROM trash_usage") == "0|0")
    }

    // MARK: We read trash-cli's

    @Test func whatTrashPutTrashedIsListedAndRestoredByUs() throws {
        tree.writeFile("uploads/2026-11-04/clip.mp4", size: 44)
        let odd = Array("temp/bad".utf8) + [0xFF] + Array(" name.bin".utf8)
        tree.writeFile(odd, size: 5)
        #expect(try tree.storekeeper(["scan"]).status == 0)
        let put = try runTrashCLI(
            "trash-put", ["--trash-dir", trashDirectory, tree.base + "/uploads/2026-11-04/clip.mp4"])
        #expect(put.status == 0, "\(put.stderr)")
        // argv cannot carry the 0xFF byte from here: bash's $'…' can.
        _ = try tree.sh(
            "HOME=\(tree.root) \(try Self.trashCLI("trash-put")) --trash-dir .trash $'temp/bad\\xff name.bin'")

        let items = try listJSON()
        #expect(
            Set(items.compactMap { $0["original_path"] as? String }) == [
                "uploads/2026-11-04/clip.mp4", "temp/bad\\xFF name.bin",
            ])
        #expect(Set(items.compactMap { $0["size"] as? Int }) == [44, 5])
        #expect(items.allSatisfy { $0["problem"] is NSNull && $0["category"] is NSNull })
        #expect(try tree.sqlite("SELECT files, bytes FROM trash_usage") == "2|49")

        for path in ["uploads/2026-11-04/clip.mp4", "temp/bad\\xFF name.bin"] {
            let result = try tree.storekeeper(["trash", "restore", path])
            #expect(result.status == 0, "\(path): \(result.stderr)")
        }
        #expect(exists(Array("uploads/2026-11-04/clip.mp4".utf8)) && exists(odd))
        #expect(try tree.storekeeper(["verify"]).status == 0)
    }

    /// DeletionDate is local time without a zone: read in the zone it was
    /// written in, it is the moment of deletion; read in another, it is off.
    /// It is read once, when the item gets its row: a later listing in
    /// another zone keeps the row's instant.
    @Test func deletionDatesAreReadAsLocalTime() throws {
        tree.writeFile("temp/a.tmp")
        let zone = ["TZ": "XST-5:30"]
        let before = Int64(time(nil))
        #expect(
            try runTrashCLI("trash-put", ["--trash-dir", trashDirectory, tree.base + "/temp/a.tmp"], environment: zone)
                .status == 0)
        let after = Int64(time(nil))

        let utc = try #require(Self.epoch(try listJSON(environment: ["TZ": "UTC"]).first?["deleted_at"]))
        _ = try tree.sqlite("DELETE FROM trash")
        let local = try #require(Self.epoch(try listJSON(environment: zone).first?["deleted_at"]))
        #expect(local >= before && local <= after)
        #expect(utc - local == 19_800)
        #expect(Self.epoch(try listJSON(environment: ["TZ": "UTC"]).first?["deleted_at"]) == local)
    }
}
