import Foundation
import Glibc
import TestSupport
import Testing

/// Hard links, sparse files, `.gitkeep` and restores through the binary:
/// usage is what `du` says, eviction frees what it says it frees, and the
/// index stays exact for every name of an inode while the daemon watches.
@Suite struct HardLinkTests {
    static func stats(_ tree: TemporaryTree) throws -> [String: [String: Any]] {
        let result = try tree.storekeeper(["stats", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        return try #require(json["categories"] as? [String: [String: Any]])
    }

    /// `du` over a category's files (not its folders, not `.gitkeep`): it counts
    /// each inode once across its arguments, as usage must.
    static func du(_ tree: TemporaryTree, _ folder: String, _ flag: String) throws -> Int {
        let listing = try Shell.run(
            ["bash", "-c", "find \(folder) -type f ! -name .gitkeep -print0 | xargs -0 du -c \(flag) | tail -1"],
            in: tree.base)
        return Int(listing.stdout.split(separator: "\t").first ?? "") ?? -1
    }

    /// What the disk allocates for a file of `size` written bytes here (a
    /// whole block for a small one): what a cleanup of such a file frees.
    static func allocated(forSize size: Int) throws -> Int {
        let directory = try TemporaryTree()
        let path = directory.root + "/probe"
        try Data(repeating: 1, count: size).write(to: URL(fileURLWithPath: path))
        var status = stat()
        guard lstat(path, &status) == 0 else { return -1 }
        return Int(status.st_blocks) * 512
    }

    @Test func usageCountsEachInodeOnceAndAllocatedBytesAsDuDoes() throws {
        let tree = try TemporaryTree.initialized()
        try tree.sh(
            """
            mkdir -p frames/v temp/t
            for i in 1 2 3; do head -c 100000 /dev/urandom > frames/v/f$i; ln frames/v/f$i frames/v/f$i.a; ln frames/v/f$i frames/v/f$i.b; done
            head -c 5000 /dev/urandom > temp/t/small
            truncate -s 6G temp/t/sparse
            """)
        try ScanVerifyTests.initAndScan(tree)
        let categories = try Self.stats(tree)
        for (key, folder) in [("frames", "frames"), ("temp", "temp")] {
            let category = try #require(categories[key])
            #expect(category["bytes"] as? Int == (try Self.du(tree, folder, "-b")), "\(key) apparent")
            #expect(category["allocated_bytes"] as? Int == (try Self.du(tree, folder, "-B1")), "\(key) allocated")
        }
        #expect(categories["frames"]?["files"] as? Int == 9, "names, each counted")
        #expect(categories["temp"]?["files"] as? Int == 2, "the .gitkeep is layout, not content")
        #expect(try tree.sqlite("SELECT count(*) FROM expired_files WHERE path GLOB '*.gitkeep'") == "0")
    }

    @Test func quotaEvictionNeverTakesHardLinkedFramesForSpace() throws {
        let tree = try TemporaryTree.initialized("  quotas:\n    frames: 1000000\n")
        // Six 100 kB frames with two extra names each: 600 kB on disk, 1.8 MB by name.
        try tree.sh(
            """
            mkdir -p frames/v
            for i in 1 2 3 4 5 6; do head -c 100000 /dev/urandom > frames/v/f$i; ln frames/v/f$i frames/v/f$i.a; ln frames/v/f$i frames/v/f$i.b; done
            """)
        try ScanVerifyTests.initAndScan(tree)
        var (status, json, output) = try tree.clean()
        #expect(status == 0, "\(output)")
        #expect(json.category("frames")["files_evicted"] as? Int == 0, "\(output)")
        #expect(json.category("frames")["over_quota"] as? Bool != true, "\(output)")

        // Over quota with one more frame that has no other name: only it goes,
        // and what is freed is its blocks.
        try tree.sh("head -c 500000 /dev/urandom > frames/v/lonely && touch -d '1 hour ago' frames/v/lonely")
        let lonelyBlocks = try Self.du(tree, "frames/v/lonely", "-B1")
        _ = try tree.storekeeper(["scan"])
        (status, json, output) = try tree.clean()
        #expect(status == 0, "\(output)")
        #expect(json.category("frames")["files_evicted"] as? Int == 1, "\(output)")
        #expect(json.category("frames")["bytes_freed"] as? Int == lonelyBlocks, "\(output)")
        #expect(!tree.exists("frames/v/lonely"))
        for i in 1...6 { #expect(tree.exists("frames/v/f\(i).b")) }
    }

    @Test func expiringOneNameOfALinkedFileFreesNothing() throws {
        let tree = try TemporaryTree.initialized()
        try tree.sh(
            """
            mkdir -p temp/j && head -c 100000 /dev/urandom > temp/j/a && ln temp/j/a temp/j/b
            touch -d '3 days ago' temp/j/a
            """)
        try ScanVerifyTests.initAndScan(tree)
        // Removing the first name changes the inode's ctime, which the second
        // name then shows: in a later second than the scan, that change must
        // still count as the run's own, not as a rewrite.
        let indexedAt = Int(try tree.sqlite("SELECT max(entered_at) FROM files")) ?? 0
        try waitFor("a second later than the scan", timeout: 5) { time(nil) > indexedAt }
        let blocks = try Self.du(tree, "temp/j/a", "-B1")
        let (status, json, output) = try tree.clean(["--no-scan"])
        #expect(status == 0, "\(output)")
        let temp = json.category("temp")
        #expect(temp["files_removed"] as? Int == 2, "\(output)")
        // The first name removed freed nothing; the last freed the blocks.
        #expect(temp["bytes_freed"] as? Int == blocks, "\(output)")
    }

    @Test func aSparseFileIsNotMistakenForSpace() throws {
        let tree = try TemporaryTree.initialized("  quotas:\n    temp: 10000000\n")
        try tree.sh(
            """
            mkdir -p temp/j
            for i in 1 2 3 4 5; do head -c 1000000 /dev/urandom > temp/j/real$i; done
            truncate -s 6G temp/j/sparse && touch -d '2 hours ago' temp/j/sparse
            """)
        try ScanVerifyTests.initAndScan(tree)
        let (status, json, output) = try tree.clean()
        #expect(status == 0, "\(output)")
        #expect(json.category("temp")["files_removed"] as? Int == 0, "\(output)")
        for i in 1...5 { #expect(tree.exists("temp/j/real\(i)")) }
        let temp = try #require(try Self.stats(tree)["temp"])
        #expect(temp["bytes"] as? Int == 5_000_000 + 6 * 1024 * 1024 * 1024)
        #expect((temp["allocated_bytes"] as? Int ?? 0) < 6_000_000)
    }

    @Test func aRestoredFileIsNotTrashedAgainByTheNextClean() throws {
        let tree = try TemporaryTree.initialized(useTrash: true)
        try tree.sh("mkdir -p temp/j && echo old > temp/j/old.txt && touch -d '3 days ago' temp/j/old.txt")
        try ScanVerifyTests.initAndScan(tree)
        var (status, json, output) = try tree.clean()
        #expect(json.category("temp")["files_removed"] as? Int == 1, "\(output)")
        #expect(!tree.exists("temp/j/old.txt"))
        let restore = try tree.storekeeper(["trash", "restore", "temp/j/old.txt"])
        #expect(restore.status == 0, "\(restore.stderr)")
        #expect(try tree.sqlite("SELECT restored_at IS NOT NULL FROM files WHERE path = 'temp/j/old.txt'") == "1")
        (status, json, output) = try tree.clean()
        #expect(status == 0, "\(output)")
        #expect(json.category("temp")["files_removed"] as? Int == 0, "\(output)")
        #expect(tree.exists("temp/j/old.txt"))
        #expect(try tree.sqlite("SELECT count(*) FROM expired_files") == "0")
    }

    @Test func theWatcherKeepsEveryNameOfAnInodeExactUnderChurn() throws {
        let tree = try TemporaryTree.initialized()
        try tree.sh("mkdir -p temp/a temp/b frames/x")
        try ScanVerifyTests.initAndScan(tree)
        let daemon = try DaemonProcess(tree)
        defer { _ = try? daemon.stop() }
        // Writes, truncates, utimes, links, unlinks and renames through
        // random names of a few inodes; inotify reports only the name used.
        try tree.sh(
            """
            names=(temp/a/n1 temp/a/n2 temp/b/n3 temp/b/n4 frames/x/n5 frames/x/n6)
            for i in 1 2 3; do head -c 1000 /dev/urandom > temp/a/base$i; done
            RANDOM=7
            for step in $(seq 1 1500); do
              name=${names[$((RANDOM % 6))]}
              other=${names[$((RANDOM % 6))]}
              case $((RANDOM % 9)) in
                0) ln -f temp/a/base$((RANDOM % 3 + 1)) $name ;;
                1) [ -e $name ] && head -c $((RANDOM % 9000)) /dev/urandom >> $name || true ;;
                2) [ -e $name ] && truncate -s $((RANDOM % 20000)) $name || true ;;
                3) [ -e $name ] && touch -d "@$((1600000000 + RANDOM))" $name || true ;;
                4) rm -f $name ;;
                5) [ -e $name ] && ln -f $name $other || true ;;
                6) [ -e $name ] && mv -f $name $other || true ;;
                7) head -c $((RANDOM % 3000)) /dev/urandom >> temp/a/base$((RANDOM % 3 + 1)) ;;
                8) touch -d "@$((1600000000 + RANDOM))" temp/a/base$((RANDOM % 3 + 1)) ;;
              esac
            done
            """)
        let mismatch = try tree.waitUntilIndexMatches(timeout: 60)
        #expect(mismatch == nil, "\(mismatch ?? "")\n\(daemon.log)")
        let linked = try tree.sqlite("SELECT count(*) FROM files WHERE nlink > 1")
        #expect((Int(linked) ?? 0) > 0, "the churn should leave some names linked")
        let temp = try #require(try Self.stats(tree)["temp"])
        #expect(temp["allocated_bytes"] as? Int == (try Self.du(tree, "temp", "-B1")))
    }
}
