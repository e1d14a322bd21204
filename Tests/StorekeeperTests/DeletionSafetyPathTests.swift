import Foundation
import Glibc
import StorekeeperEngine
import TestSupport
import Testing

/// Paths decide, not rows: bind mounts of the same filesystem are never
/// crossed (walk, daemon, cleaner, trash purge), and a row edited by hand
/// cannot make the cleaner act outside the base, in `outputs`, or on a file
/// rewritten with its mtime set back.
@Suite(.enabled(if: geteuid() == 0, "bind mounts need root"))
struct DeletionSafetyPathTests {
    static func skipped(_ json: [String: Any], _ category: String) -> [String: Int] {
        ((json["categories"] as? [String: Any])?[category] as? [String: Any])?["skipped"] as? [String: Int] ?? [:]
    }

    static func bind(_ source: String, _ target: String) throws {
        let result = try Shell.run(["mount", "--bind", source, target], in: "/")
        try #require(result.status == 0, "mount --bind \(source) \(target): \(result.stderr)")
    }

    static func unmount(_ target: String) {
        _ = try? Shell.run(["umount", "-l", target], in: "/")
    }

    static func exists(_ path: String) -> Bool {
        var status = stat()
        return lstat(path, &status) == 0
    }

    static func mode(_ path: String) -> mode_t {
        var status = stat()
        return lstat(path, &status) == 0 ? status.st_mode & 0o7777 : 0
    }

    /// An expired file in a folder outside the base, and that folder
    /// bind-mounted into `temp/` and into `frames/`.
    static func boundTree() throws -> (tree: TemporaryTree, outside: String, targets: [String]) {
        let tree = try TemporaryTree.initialized()
        let outside = tree.root + "/outside"
        #expect(
            try Shell.run(
                [
                    "bash", "-c",
                    "mkdir -p outside/deep && echo secret > outside/old && echo deep > outside/deep/old && touch -d '90 days ago' outside/old outside/deep/old",
                ], in: tree.root
            ).status == 0)
        try tree.sh("mkdir -p temp/bound frames/bound")
        return (tree, outside, [tree.base + "/temp/bound", tree.base + "/frames/bound"])
    }

    @Test func scanAndCleanDoNotCrossABindMount() throws {
        let (tree, outside, targets) = try Self.boundTree()
        defer { for target in targets { Self.unmount(target) } }
        for target in targets { try Self.bind(outside, target) }

        let scan = try tree.storekeeper(["scan"])
        #expect(scan.status == 0, "\(scan.stderr)")
        #expect(
            scan.stderr.contains("not crossed: temp/bound") && scan.stderr.contains("not crossed: frames/bound"),
            "\(scan.stderr)")
        #expect(try tree.sqlite("SELECT count(*) FROM files WHERE path GLOB '*/bound/*'") == "0")

        let (status, json, output) = try tree.clean()
        #expect(status == 0, "\(output)")
        #expect(json["total_files_removed"] as? Int == 0, "\(output)")
        #expect(Self.exists(outside + "/old") && Self.exists(outside + "/deep/old"))
        let verify = try tree.storekeeper(["verify"])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
    }

    @Test func theDaemonDoesNotIndexBelowABindMount() throws {
        let (tree, outside, targets) = try Self.boundTree()
        defer { for target in targets { Self.unmount(target) } }
        for target in targets { try Self.bind(outside, target) }

        let daemon = try DaemonProcess(tree)
        try tree.sh("mkdir -p temp/job && echo a > temp/job/a")
        let listing = try tree.waitUntilIndexMatches()
        #expect(listing == nil, "index differs from disk:\n\(listing ?? "")\n\(daemon.log)")
        #expect(try tree.sqlite("SELECT count(*) FROM files WHERE path = 'temp/job/a'") == "1")
        #expect(try tree.sqlite("SELECT count(*) FROM files WHERE path GLOB '*/bound/*'") == "0")
        try waitFor("the daemon to log the mount point") { daemon.log.contains("not crossed") }
        #expect(try daemon.stop() == 0)

        let (status, _, output) = try tree.clean(["--no-scan"])
        #expect(status == 0, "\(output)")
        #expect(Self.exists(outside + "/old") && Self.exists(outside + "/deep/old"))
    }

    @Test func emptyingTheTrashLeavesABindMountInsideATrashedFolderAlone() throws {
        let tree = try TemporaryTree.initialized(useTrash: true)
        let outside = tree.root + "/outside"
        #expect(
            try Shell.run(
                ["bash", "-c", "mkdir outside && echo keep > outside/keep && chmod 0755 outside"], in: tree.root
            ).status == 0)
        try tree.sh(
            """
            mkdir -p .trash/files/job/mnt .trash/info
            echo a > .trash/files/job/a
            printf '[Trash Info]\\nPath=\(tree.base)/temp/job\\nDeletionDate=2020-01-01T00:00:00\\n' > .trash/info/job.trashinfo
            """)
        let target = tree.base + "/.trash/files/job/mnt"
        defer { Self.unmount(target) }
        try Self.bind(outside, target)

        let result = try tree.storekeeper(["trash", "empty", "--all"])
        #expect(
            result.status == 1, "a purge that could not remove everything says so: \(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains("job"), "\(result.stderr)")
        #expect(Self.mode(outside) == 0o755)
        #expect(Self.exists(outside + "/keep"))
        #expect(try String(contentsOfFile: outside + "/keep", encoding: .utf8) == "keep\n")
    }

    @Test func handEditedRowsCannotReachOutsideTheBaseOrIntoOutputs() throws {
        let tree = try TemporaryTree.initialized(useTrash: true)
        let victim = tree.root + "/victim"
        #expect(
            try Shell.run(
                ["bash", "-c", "mkdir victim && echo secret > victim/secret && touch -d '90 days ago' victim/secret"],
                in: tree.root
            ).status == 0)
        try tree.sh(
            "mkdir -p temp/x outputs && echo x > temp/x/decoy && echo film > outputs/render.mp4 && touch -d '400 days ago' outputs/render.mp4"
        )
        #expect(try tree.storekeeper(["scan"]).status == 0)

        var outsideStatus = stat()
        #expect(lstat(victim + "/secret", &outsideStatus) == 0)
        _ = try tree.sqlite(
            """
            UPDATE files SET path = 'temp/../../victim/secret', inode = \(outsideStatus.st_ino), size = \(outsideStatus.st_size),
                mtime = \(outsideStatus.st_mtim.tv_sec), mtime_ns = \(outsideStatus.st_mtim.tv_nsec)
            WHERE path = 'temp/x/decoy';
            UPDATE files SET category = 'temp' WHERE path = 'outputs/render.mp4';
            """)
        #expect(try tree.sqlite("SELECT count(*) FROM files WHERE path = 'temp/../../victim/secret'") == "1")
        try tree.sh("rm temp/x/decoy")

        let (status, json, output) = try tree.clean(["--no-scan"])
        #expect(status == 0, "skips are not errors: \(output)")
        #expect(json["total_files_removed"] as? Int == 0, "\(output)")
        #expect(Self.skipped(json, "temp") == ["invalid_path": 1, "protected_category": 1], "\(output)")
        #expect(try String(contentsOfFile: victim + "/secret", encoding: .utf8) == "secret\n")
        #expect(Self.exists(tree.base + "/outputs/render.mp4"))
        #expect(try tree.storekeeper(["trash", "list"]).stdout.contains("render") == false)
        // The row that names no file of the tree is dropped; the scan puts the category right.
        #expect(try tree.sqlite("SELECT count(*) FROM files WHERE path = 'temp/../../victim/secret'") == "0")
        #expect(try tree.storekeeper(["scan"]).status == 0)
        let verify = try tree.storekeeper(["verify"])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
    }

    @Test func aSameSizeRewriteWithTheMtimeSetBackIsSkipped() throws {
        let tree = try TemporaryTree.initialized()
        try tree.sh("mkdir -p temp/r && printf aaaa > temp/r/file && touch -d @1600000000 temp/r/file")
        #expect(try tree.storekeeper(["scan"]).status == 0)
        let enteredAt = Int(try tree.sqlite("SELECT entered_at FROM files WHERE path = 'temp/r/file'")) ?? 0
        #expect(enteredAt > 0)
        // ctime has whole seconds here: the rewrite must land in a later second.
        try waitFor("the clock to pass the second the row was written") { time(nil) > enteredAt }
        try tree.sh("printf bbbb > temp/r/file && touch -d @1600000000 temp/r/file")

        let (status, json, output) = try tree.clean(["--no-scan"])
        #expect(status == 0, "\(output)")
        #expect(Self.skipped(json, "temp") == ["changed_ctime": 1], "\(output)")
        #expect(try String(contentsOfFile: tree.base + "/temp/r/file", encoding: .utf8) == "bbbb")

        // The row was written anew from what is on disk: the next run judges the
        // file as it is, and it is expired.
        let (again, againJSON, againOutput) = try tree.clean(["--no-scan"])
        #expect(again == 0, "\(againOutput)")
        #expect(againJSON["total_files_removed"] as? Int == 1, "\(againOutput)")
    }
}
