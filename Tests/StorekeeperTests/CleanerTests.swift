import Foundation
import Glibc
import StorekeeperSystem
import TestSupport
import Testing

/// The cleaner through the binary: the original Python design's own test
/// suite, every skip reason, and the cases where that design went wrong
/// (docs/architecture.md, "Where Storekeeper comes from").
@Suite struct CleanerTests {
    // MARK: The original Python design's suite, as end-to-end tests of our binary

    @Test func oldTempFilesAreRemovedAndNewOnesKept() throws {
        let tree = try TemporaryTree.initialized()
        try tree.sh(
            "mkdir -p temp/p1 && echo old > temp/p1/old.tmp && touch -d '2 days ago' temp/p1/old.tmp && echo new > temp/p1/new.tmp"
        )
        let (status, json, output) = try tree.clean()
        #expect(status == 0, "\(output)")
        #expect(json.category("temp")["files_removed"] as? Int == 1)
        #expect(!tree.exists("temp/p1/old.tmp"))
        #expect(tree.exists("temp/p1/new.tmp"))
        #expect(json["total_files_removed"] as? Int == 1)
        // Freed is what the disk allocated for the 4-byte file (migration 4).
        #expect(json["total_bytes_freed"] as? Int == (try HardLinkTests.allocated(forSize: 4)))
        #expect(try tree.storekeeper(["verify"]).status == 0)
    }

    @Test func aDryRunChangesNothingOnDiskOrInTheIndex() throws {
        let tree = try TemporaryTree.initialized()
        try tree.sh(
            "mkdir -p temp/p && for i in 1 2 3; do echo $i > temp/p/f$i; done && touch -d '3 days ago' temp/p/*")
        #expect(try tree.storekeeper(["scan"]).status == 0)
        let snapshot =
            "SELECT (SELECT group_concat(path || size || mtime) FROM files), (SELECT group_concat(category || files || bytes) FROM usage), (SELECT count(*) FROM events)"
        let before = try tree.sqlite(snapshot)
        let (status, json, output) = try tree.clean(["--dry-run", "--no-scan"])
        #expect(status == 0, "\(output)")
        #expect(json["dry_run"] as? Bool == true)
        #expect(json.category("temp")["files_removed"] as? Int == 3, "what would be removed")
        #expect(try tree.sqlite(snapshot) == before)
        for i in 1...3 { #expect(tree.exists("temp/p/f\(i)")) }
    }

    @Test func outputsAreKeptAfterAHundredYearsAndOverQuota() throws {
        let tree = try TemporaryTree.initialized("  quotas:\n    outputs: 10\n")
        try tree.sh(
            "mkdir -p outputs/2020-01-01 && head -c 100 /dev/zero > outputs/2020-01-01/final.mp4 && touch -d '100 years ago' outputs/2020-01-01/final.mp4"
        )
        let (status, json, output) = try tree.clean()
        #expect(status == 0, "\(output)")
        #expect(tree.exists("outputs/2020-01-01/final.mp4"))
        #expect(json["total_files_removed"] as? Int == 0)
        #expect(output.contains("outputs"), "the over-quota alert names outputs: \(output)")
    }

    @Test func zeroRetentionWarns() throws {
        let tree = try TemporaryTree.initialized("  retention:\n    temp: 0\n")
        let check = try tree.storekeeper(["check"])
        #expect(check.status == 0)
        #expect(check.stderr.contains("storage.retention.temp"), "\(check.stderr)")
        let (_, json, _) = try tree.clean(["--dry-run"])
        #expect((json["warnings"] as? [String] ?? []).contains { $0.contains("retention is 0") })
    }

    @Test(.enabled(if: geteuid() == 0, "makes a file immutable (chattr +i), which needs root"))
    func anUndeletableFileIsAnErrorThatDoesNotStopTheRun() throws {
        let tree = try TemporaryTree.initialized()
        try tree.sh(
            "mkdir -p temp/p && for i in 1 2 3; do echo $i > temp/p/f$i; done && touch -d '3 days ago' temp/p/*")
        // chmod 444 does not stop unlink, though the earlier design's test assumed it did:
        // an immutable folder does, even for root.
        let chattr = try Shell.run(["chattr", "+i", tree.base + "/temp/p/f2"], in: "/")
        try #require(chattr.status == 0, "chattr +i needs an ext4/xfs/btrfs temp dir: \(chattr.stderr)")
        defer { _ = try? Shell.run(["chattr", "-i", tree.base + "/temp/p/f2"], in: "/") }
        let (status, json, output) = try tree.clean()
        #expect(status == 1, "\(output)")
        let temp = json.category("temp")
        #expect(temp["files_removed"] as? Int == 2)
        #expect((temp["errors"] as? [String])?.first?.contains("temp/p/f2") == true, "\(temp)")
        #expect(tree.exists("temp/p/f2"))
        #expect(!tree.exists("temp/p/f1") && !tree.exists("temp/p/f3"))
        #expect(try tree.sqlite("SELECT count(*) FROM events WHERE action = 'error' AND path = 'temp/p/f2'") == "1")
        // The log, the run's row and the metric agree: a run with an error failed.
        #expect(output.contains("cleanup finished") && output.contains("status=failed"), "\(output)")
        #expect(try tree.sqlite("SELECT status, errors FROM cleanup_runs ORDER BY id DESC LIMIT 1") == "failed|1")
        #expect(
            try tree.storekeeper(["stats", "--prometheus"]).stdout.contains("storekeeper_cleanup_last_run_failed 1\n"))
    }

    @Test func concurrentRunsRemoveEachFileOnce() throws {
        let tree = try TemporaryTree.initialized()
        try tree.sh(
            "for d in 1 2 3 4; do mkdir -p temp/j$d && (cd temp/j$d && touch $(seq -f 'f%g' 1 100)); done && touch -d '2 days ago' temp/j*/*"
        )
        #expect(try tree.storekeeper(["scan"]).status == 0)
        let runs = (0..<3).map { _ in Process() }
        let outputs = runs.map { _ in Pipe() }
        for (process, pipe) in zip(runs, outputs) {
            process.executableURL = URL(fileURLWithPath: StorekeeperBinary.path)
            process.arguments = ["clean", "--json", "--config", tree.configPath]
            process.standardOutput = pipe
            process.standardError = FileHandle.nullDevice
            try process.run()
        }
        var removed = 0
        for (process, pipe) in zip(runs, outputs) {
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
            let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            removed += json["total_files_removed"] as? Int ?? 0
        }
        #expect(removed == 400)
        #expect(try tree.sqlite("SELECT count(*) FROM events WHERE action = 'delete' AND cause = 'expired'") == "400")
        #expect(
            try tree.sqlite("SELECT count(DISTINCT path) FROM events WHERE action = 'delete' AND cause = 'expired'")
                == "400")
    }

    // MARK: Where the earlier design went wrong

    @Test func batchSizeSlicesButNeverCapsARun() throws {
        let tree = try TemporaryTree.initialized()
        try tree.writeConfig(
            "storage:\n  base_path: \"\(tree.base)\"\n  cleanup:\n    use_trash: false\n    batch_size: 100\n")
        try tree.sh(
            "mkdir -p temp/big && (cd temp/big && for i in $(seq 1 250); do echo $i > f$i; done) && touch -d '2 days ago' temp/big/*"
        )
        let (status, json, output) = try tree.clean()
        #expect(status == 0, "\(output)")
        #expect(json.category("temp")["files_removed"] as? Int == 250)
        let freed = json.category("temp")["bytes_freed"] as? Int
        let expected = try (1...250).reduce(0) { $0 + (try HardLinkTests.allocated(forSize: String($1).count + 1)) }
        #expect(freed == expected, "bytes are those of the files removed")
        #expect(try tree.sqlite("SELECT files_removed FROM cleanup_runs ORDER BY id DESC LIMIT 1") == "250")
    }

    @Test func contactSheetsAreCleanedInTheirOwnFolder() throws {
        let tree = try TemporaryTree.initialized()
        try tree.sh(
            "mkdir -p contact-sheets/2020-01-01 contact_sheets && echo a > contact-sheets/2020-01-01/s.jpg && echo b > contact_sheets/stray.jpg && touch -d '60 days ago' contact-sheets/2020-01-01/s.jpg contact_sheets/stray.jpg"
        )
        let (status, json, _) = try tree.clean()
        #expect(status == 0)
        #expect(json.category("contact_sheets")["files_removed"] as? Int == 1)
        #expect(!tree.exists("contact-sheets/2020-01-01/s.jpg"))
        #expect(tree.exists("contact_sheets/stray.jpg"), "an unmanaged folder named like the key is never cleaned")
    }

    @Test func quotasEvictOldestFirstDownToNinetyPercent() throws {
        // Quotas count allocated bytes: whole 4 KiB blocks, so a 150-byte file would count 4096.
        let tree = try TemporaryTree.initialized("  quotas:\n    frames: 27307\n")
        // Ten 4096-byte frames, none expired, oldest first by name.
        try tree.sh(
            "mkdir -p frames/v && for i in 0 1 2 3 4 5 6 7 8 9; do head -c 4096 /dev/zero > frames/v/f$i; touch -d \"$((10 - i)) hours ago\" frames/v/f$i; done"
        )
        let (status, json, output) = try tree.clean()
        #expect(status == 0, "\(output)")
        // 40960 bytes > 27307: remove oldest until ≤ 24576 (90 %), i.e. 4 files (24576 left).
        #expect(json.category("frames")["files_evicted"] as? Int == 4)
        for i in 0..<4 { #expect(!tree.exists("frames/v/f\(i)")) }
        for i in 4..<10 { #expect(tree.exists("frames/v/f\(i)")) }
        #expect(try tree.sqlite("SELECT bytes FROM usage WHERE category = 'frames'") == "24576")
        #expect(try tree.sqlite("SELECT count(*) FROM events WHERE action = 'evict' AND cause = 'quota'") == "4")
    }

    @Test func anAlertQuotaOnlyWarns() throws {
        let tree = try TemporaryTree.initialized("  quotas:\n    uploads: 100\n")
        try tree.sh("mkdir -p uploads/2026-11-20 && head -c 500 /dev/zero > uploads/2026-11-20/u.mp4")
        let (status, json, _) = try tree.clean()
        #expect(status == 0)
        #expect(json.category("uploads")["over_quota"] as? Bool == true)
        #expect(tree.exists("uploads/2026-11-20/u.mp4"))
    }

    @Test func emptiedDatedFoldersGoButRootsAndGitkeepsStay() throws {
        let tree = try TemporaryTree.initialized()
        try tree.sh(
            "mkdir -p uploads/2020-01-01/deep temp/only && echo a > uploads/2020-01-01/deep/a && echo b > temp/only/b && touch -d '60 days ago' uploads/2020-01-01/deep/a temp/only/b && mkdir -p uploads/2020-01-02 && echo keep > uploads/2020-01-02/k"
        )
        let (status, json, _) = try tree.clean()
        #expect(status == 0)
        #expect(json["directories_removed"] as? Int == 3)
        #expect(!tree.exists("uploads/2020-01-01"))
        #expect(!tree.exists("temp/only"))
        #expect(tree.exists("uploads/2020-01-02/k"))
        #expect(tree.exists("uploads/.gitkeep") && tree.exists("temp/.gitkeep"))
    }

    // MARK: Verification before every action

    @Test(.enabled(if: geteuid() == 0, "mounts a tmpfs, which needs root"))
    func everySkipReasonLeavesTheFileAndFixesTheRow() throws {
        let tree = try TemporaryTree.initialized()
        try tree.sh(
            """
            mkdir -p temp/s temp/m
            for n in size mtime inode vanished symlink same; do echo content > temp/s/$n; done
            echo content > temp/m/other
            touch -d '3 days ago' temp/s/* temp/m/other
            """)
        #expect(try tree.storekeeper(["scan"]).status == 0)
        try tree.sh(
            """
            echo more >> temp/s/size; touch -d '3 days ago' temp/s/size
            touch temp/s/mtime
            cp -p temp/s/inode temp/s/inode.new && mv temp/s/inode.new temp/s/inode
            rm temp/s/vanished
            rm temp/s/symlink && ln -s /etc/hostname temp/s/symlink
            """)
        let mount = try Shell.run(["mount", "-t", "tmpfs", "tmpfs", tree.base + "/temp/m"], in: "/")
        try #require(mount.status == 0, "mount needs root: \(mount.stderr)")
        defer { _ = try? Shell.run(["umount", "-l", tree.base + "/temp/m"], in: "/") }
        try tree.sh("echo content > temp/m/other && touch -d '3 days ago' temp/m/other")

        let (status, json, output) = try tree.clean(["--no-scan"])
        #expect(status == 0, "\(output)")
        let skipped = json.category("temp")["skipped"] as? [String: Int] ?? [:]
        #expect(
            skipped == [
                "changed_size": 1, "changed_mtime": 1, "replaced_inode": 1, "vanished": 1, "now_symlink": 1,
                "other_filesystem": 1,
            ], "\(skipped)")
        #expect(json.category("temp")["files_removed"] as? Int == 1, "only the unchanged file goes")
        for name in ["size", "mtime", "inode", "symlink"] { #expect(tree.exists("temp/s/\(name)")) }
        #expect(tree.exists("temp/m/other"))
        #expect(try tree.sqlite("SELECT count(*) FROM events WHERE action = 'skip'") == "6")
        // The rows now say what the disk says: the changed files are indexed as they are.
        #expect(try tree.sqlite("SELECT kind FROM files WHERE path = 'temp/s/symlink'") == "symlink")
        #expect(try tree.sqlite("SELECT count(*) FROM files WHERE path = 'temp/s/vanished'") == "0")
    }

    @Test func aSymlinkToAFileOutsideIsRemovedAsALink() throws {
        let tree = try TemporaryTree.initialized()
        let outside = tree.root + "/precious"
        try "keep me".write(toFile: outside, atomically: true, encoding: .utf8)
        try tree.sh("mkdir -p temp/p && ln -s '\(outside)' temp/p/link && touch -h -d '3 days ago' temp/p/link")
        let (status, json, output) = try tree.clean()
        #expect(status == 0, "\(output)")
        #expect(json.category("temp")["files_removed"] as? Int == 1)
        #expect(!tree.exists("temp/p/link"))
        #expect(try String(contentsOfFile: outside, encoding: .utf8) == "keep me")
    }

    @Test func aFolderSwappedForASymlinkIsNeverFollowed() throws {
        let tree = try TemporaryTree.initialized()
        let outside = tree.root + "/elsewhere"
        try tree.sh(
            "mkdir -p temp/job && for i in 1 2 3; do echo $i > temp/job/f$i; done && touch -d '3 days ago' temp/job/*")
        #expect(try tree.storekeeper(["scan"]).status == 0)
        // The indexed folder moves out of the base with its files, and a symlink
        // to it takes its place: every indexed inode is still reachable by name.
        try tree.sh("mv temp/job '\(outside)' && ln -s '\(outside)' temp/job")
        let (status, json, output) = try tree.clean(["--no-scan"])
        #expect(status == 0, "\(output)")
        #expect(json.category("temp")["files_removed"] as? Int == 0)
        #expect((json.category("temp")["skipped"] as? [String: Int])?["parent_replaced"] == 3)
        for i in 1...3 { #expect(FileManager.default.fileExists(atPath: outside + "/f\(i)")) }
    }

    // MARK: Low disk

    @Test(.enabled(if: geteuid() == 0, "mounts a tmpfs, which needs root"))
    func lowDiskPurgesTheTrashAndEvictsUnexpiredFilesOnlyWhenAskedInPriorityOrder() throws {
        let disk = try SmallFilesystem(
            at: FileManager.default.temporaryDirectory.appendingPathComponent("lowdisk-\(UUID().uuidString)").path,
            size: "8m")
        defer { withExtendedLifetime(disk) {} }
        let base = disk.path
        let tree = try TemporaryTree.initialized(
            "  monitoring:\n    alert_threshold_percent: 0\n", useTrash: true, base: base)
        // First, with room to spare, an expired file goes to the trash.
        let inBase = { (script: String) in try Shell.run(["bash", "-c", "set -e; " + script], in: base) }
        let exists = { (path: String) in FileManager.default.fileExists(atPath: base + "/" + path) }
        #expect(
            try inBase("mkdir -p temp/x && head -c 65536 /dev/zero > temp/x/old && touch -d '3 days ago' temp/x/old")
                .status == 0)
        #expect(try tree.clean().json["total_files_removed"] as? Int == 1)
        #expect(try tree.storekeeper(["trash", "list"]).stdout.contains("temp/x/old"))
        // Then 6 MiB of recent files on the 8 MiB filesystem, and a 35 % threshold.
        let fill = try inBase(
            "mkdir -p temp/a frames/v outputs/o && for i in 1 2 3 4; do head -c 524288 /dev/zero > temp/a/t$i; touch -d \"$((10 - i)) hours ago\" temp/a/t$i; head -c 524288 /dev/zero > frames/v/f$i; head -c 524288 /dev/zero > outputs/o/o$i; done"
        )
        #expect(fill.status == 0)
        // The trash is off now: what it holds is purged all the same.
        try tree.writeConfig(
            "storage:\n  base_path: \"\(base)\"\n  cleanup:\n    use_trash: false\n  monitoring:\n    alert_threshold_percent: 35\n"
        )
        #expect(try FileSystemSpace.of(base).freePercent < 35)

        // An alert threshold alone never deletes an unexpired file.
        var (status, json, output) = try tree.clean()
        #expect(status == 0, "\(output)")
        #expect(json["low_disk"] as? Bool == true)
        #expect((json["trash"] as? [String: Int])?["files_purged"] == 1, "the trash goes first, use_trash or not")
        #expect(json["total_files_removed"] as? Int == 0, "\(output)")
        for i in 1...4 { #expect(exists("temp/a/t\(i)") && exists("frames/v/f\(i)") && exists("outputs/o/o\(i)")) }
        #expect(output.contains("unexpired files are kept"), "\(output)")

        // Opted in, below its own threshold: temp first, oldest first; outputs never.
        try tree.writeConfig(
            "storage:\n  base_path: \"\(base)\"\n  cleanup:\n    low_disk:\n      evict_unexpired: true\n"
                + "      evict_below_percent: 35\n  monitoring:\n    alert_threshold_percent: 35\n")
        (status, json, output) = try tree.clean()
        #expect(status == 0, "\(output)")
        let evicted = json.category("temp")["files_evicted"] as? Int ?? 0
        #expect((1...4).contains(evicted), "\(output)")
        #expect(json.category("frames")["files_evicted"] as? Int == 0, "\(output)")
        #expect(!exists("temp/a/t1"), "the oldest temp file goes first")
        for i in 1...4 { #expect(exists("outputs/o/o\(i)")) }
        #expect(exists("temp/.gitkeep"))
        #expect(try FileSystemSpace.of(base).freePercent >= 35)
        #expect(
            try tree.storekeeper(["trash", "list"]).stdout.contains("temp/a/t") == false,
            "evictions under low disk are deleted, not trashed")
        #expect(try tree.storekeeper(["verify"]).status == 0)
    }

    // MARK: With the daemon

    @Test func theDaemonEvictsWhenACategoryCrossesItsQuota() throws {
        let tree = try TemporaryTree.initialized("  quotas:\n    temp: 40960\n")
        let daemon = try DaemonProcess(tree)
        // Twelve 4096-byte files (quotas count whole blocks), oldest first by
        // name, moved in at once: 49152 bytes crosses 40960.
        try tree.sh(
            "mkdir -p ../q && for i in 10 11 12 13 14 15 16 17 18 19 20 21; do head -c 4096 /dev/zero > ../q/f$i; touch -d \"$((30 - i)) minutes ago\" ../q/f$i; done && mv ../q temp/q"
        )
        try waitFor("the daemon to evict down to 90 % of the quota") {
            try tree.sqlite("SELECT bytes FROM usage WHERE category = 'temp'") == "36864"
        }
        for i in 10..<13 { #expect(!tree.exists("temp/q/f\(i)"), "oldest go first") }
        for i in 13..<22 { #expect(tree.exists("temp/q/f\(i)")) }
        try WatcherScenarioTests.expectMatch(tree, daemon)
        #expect(try tree.sqlite("SELECT trigger FROM cleanup_runs ORDER BY id DESC LIMIT 1") == "quota")
    }

    @Test func aManualCleanRunsBesideTheDaemon() throws {
        let tree = try TemporaryTree.initialized()
        let daemon = try DaemonProcess(tree)
        try tree.sh("mkdir -p temp/j && (cd temp/j && touch $(seq -f 'f%g' 1 200)) && touch -d '2 days ago' temp/j/*")
        try WatcherScenarioTests.expectMatch(tree, daemon)
        let (status, json, output) = try tree.clean()
        #expect(status == 0, "\(output)")
        #expect(json["total_files_removed"] as? Int == 200)
        try WatcherScenarioTests.expectMatch(tree, daemon)
    }
}
