import Foundation
import Glibc
import TestSupport
import Testing

@testable import StorekeeperCLI
@testable import StorekeeperSystem

/// What `clean` tells an operator beyond its counts: which files go and why
/// (`--list`, the JSON `files` array), a progress line on a terminal, and
/// counts that read as English.
@Suite struct CleanListingTests {
    static func files(_ json: [String: Any]) -> [[String: Any]] { json["files"] as? [[String: Any]] ?? [] }

    @Test func aDryRunListsEachFileThatWouldGoAndWhy() throws {
        let tree = try TemporaryTree.initialized("  quotas:\n    frames: 10000\n")
        // One expired temp file with a newline in its name, and frames over their quota.
        try tree.sh(
            "mkdir -p temp/p frames/v && printf x > $'temp/p/old\\nname' && touch -d '2 days ago' $'temp/p/old\\nname'"
                + " && for i in 0 1 2 3; do head -c 4096 /dev/zero > frames/v/f$i; touch -d \"$((5 - i)) hours ago\" frames/v/f$i; done"
        )

        let listed = try tree.storekeeper(["clean", "--dry-run", "--list"])
        #expect(listed.status == 0, "\(listed.stderr)")
        let lines = listed.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("expired: temp/p/old\\nname (") }, "\(listed.stdout)")
        // 16384 allocated > 10000: the two oldest go, leaving 8192 (≤ 90 %).
        #expect(lines.contains { $0.hasPrefix("over quota: frames/v/f0 (") }, "\(listed.stdout)")
        #expect(lines.contains { $0.hasPrefix("over quota: frames/v/f1 (") }, "\(listed.stdout)")
        #expect(!listed.stdout.contains("frames/v/f2"), "\(listed.stdout)")
        #expect(listed.stdout.contains("Dry run "), "\(listed.stdout)")
        #expect(listed.stdout.contains("would remove 3 files"), "\(listed.stdout)")
        #expect(tree.exists("frames/v/f0"))

        // Without --list the same dry run names no file.
        let quiet = try tree.storekeeper(["clean", "--dry-run"])
        #expect(!quiet.stdout.contains("frames/v/f0"), "\(quiet.stdout)")

        let (status, json, output) = try tree.clean(["--dry-run"])
        #expect(status == 0, "\(output)")
        let files = Self.files(json)
        #expect(files.count == 3, "\(output)")
        #expect(files.contains { $0["path"] as? String == "temp/p/old\\nname" && $0["cause"] as? String == "expired" })
        #expect(files.filter { $0["cause"] as? String == "quota" }.count == 2)
        #expect(json["files_truncated"] as? Bool == false)
    }

    @Test func theJSONListIsBoundedByLimitForRealRunsToo() throws {
        let tree = try TemporaryTree.initialized()
        try tree.sh(
            "mkdir -p temp/p && for i in 1 2 3 4 5; do echo $i > temp/p/f$i; done && touch -d '3 days ago' temp/p/*")

        let (status, json, output) = try tree.clean(["--limit", "2"])
        #expect(status == 0, "\(output)")
        #expect(json["total_files_removed"] as? Int == 5)
        #expect(Self.files(json).count == 2)
        #expect(json["files_truncated"] as? Bool == true)
        for i in 1...5 { #expect(!tree.exists("temp/p/f\(i)")) }

        let bad = try tree.storekeeper(["clean", "--limit", "many"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("--limit"), "\(bad.stderr)")
    }

    @Test func theTextListSaysHowManyItLeftOut() throws {
        let tree = try TemporaryTree.initialized()
        try tree.sh(
            "mkdir -p temp/p && for i in 1 2 3; do echo $i > temp/p/f$i; done && touch -d '3 days ago' temp/p/*")
        let listed = try tree.storekeeper(["clean", "--dry-run", "--list", "--limit", "1"])
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(
            listed.stdout.split(separator: "\n").filter { $0.hasPrefix("expired: ") }.count == 1, "\(listed.stdout)")
        #expect(listed.stdout.contains("... and 2 more files (raise --limit to list them)"), "\(listed.stdout)")
    }

    @Test func countsAreSingularForOneAndNameTheTrash() throws {
        let trashed = try TemporaryTree.initialized(useTrash: true)
        try trashed.sh("mkdir -p temp/p && echo x > temp/p/old && touch -d '2 days ago' temp/p/old")
        let moved = try trashed.storekeeper(["clean"])
        #expect(moved.status == 0, "\(moved.stderr)")
        #expect(moved.stdout.contains(": moved 1 file to the trash, "), "\(moved.stdout)")
        #expect(!moved.stdout.contains("1 files"), "\(moved.stdout)")
        #expect(moved.stdout.contains("0 skipped, 0 errors."), "\(moved.stdout)")

        let deleted = try TemporaryTree.initialized()
        try deleted.sh(
            "mkdir -p temp/p && echo 1 > temp/p/a && echo 2 > temp/p/b && touch -d '2 days ago' temp/p/a temp/p/b")
        let removed = try deleted.storekeeper(["clean"])
        #expect(removed.stdout.contains(": removed 2 files, "), "\(removed.stdout)")
    }

    @Test func formattingCountsChoosesTheNoun() {
        #expect(Formatting.count(1, "file") == "1 file")
        #expect(Formatting.count(0, "file") == "0 files")
        #expect(Formatting.count(2, "category", plural: "categories") == "2 categories")
        #expect(ProgressLine.text(label: "clean", files: 1, elapsed: 0.5) == "clean: 1 file, 2 files/s, 0.5 s")
        #expect(ProgressLine.text(label: "clean", files: 30, elapsed: 0) == "clean: 30 files, 0 files/s, 0.0 s")
    }

    @Test func cleanDrawsProgressOnATerminalAndNotInJSON() throws {
        guard (try? Shell.run(["bash", "-c", "command -v script"], in: "/"))?.status == 0 else {
            print("skipped: script(1) from util-linux is needed to give clean a terminal")
            return
        }
        let tree = try TemporaryTree.initialized()
        try tree.sh(
            "mkdir -p temp/p && for i in 1 2 3; do echo $i > temp/p/f$i; done && touch -d '3 days ago' temp/p/*")
        // script(1) gives the command a pseudo-terminal for stdout and stderr alike.
        func onTerminal(_ arguments: String) throws -> String {
            let command = "'\(StorekeeperBinary.path)' clean \(arguments) --config '\(tree.configPath)'"
            let result = try Shell.run(["script", "-qec", command, "/dev/null"], in: tree.root)
            #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
            return result.stdout
        }
        let dry = try onTerminal("--dry-run")
        #expect(dry.contains("\r\u{1B}[Kclean: 1 file, "), "\(dry.debugDescription)")
        // The line is wiped before the summary is printed.
        let afterLastWipe = dry.components(separatedBy: "\r\u{1B}[K").last ?? ""
        #expect(!afterLastWipe.hasPrefix("clean: ") && afterLastWipe.contains("Dry run "), "\(dry.debugDescription)")
        let json = try onTerminal("--dry-run --json")
        #expect(!json.contains("clean: "), "\(json.debugDescription)")
        // Not a terminal: nothing but the summary.
        let piped = try tree.storekeeper(["clean", "--dry-run"])
        #expect(!piped.stderr.contains("clean: "), "\(piped.stderr)")
    }
}
