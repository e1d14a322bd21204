import Foundation
import Glibc
import TestSupport
import Testing

/// What the daemon and the commands say about the index stays true: the
/// degraded state ends when its cause is gone, an unreadable folder is a
/// reported problem, and a damaged index stops the commands that act on it.
@Suite struct HonestStatusTests {
    /// A daemon in a user namespace of its own, whose inotify watch limit is `limit`.
    static func daemonWithWatchLimit(_ tree: TemporaryTree, _ limit: Int, reconcileSeconds: String) throws
        -> DaemonProcess
    {
        let script = "echo \(limit) > /proc/sys/user/max_inotify_watches && exec \"$@\""
        return try DaemonProcess(
            tree, prefix: ["unshare", "--user", "--map-root-user", "sh", "-c", script, "sh"],
            environment: ["STOREKEEPER_DEGRADED_RECONCILE_SECONDS": reconcileSeconds])
    }

    /// One sample of `name` from the daemon's `/metrics`.
    static func metric(_ daemon: DaemonProcess, _ name: String) throws -> String? {
        try HTTPClient.curl([daemon.url + "/metrics"]).body.split(separator: "\n")
            .first { $0.hasPrefix(name + " ") }.map { String($0.dropFirst(name.count + 1)) }
    }

    static func unwatched(_ daemon: DaemonProcess) -> Int { daemon.health?["unwatched_directories"] as? Int ?? -1 }

    // MARK: The watch limit

    @Test func degradedEndsWhenTheUnwatchedFoldersAreDeletedOrMovedOut() throws {
        let tree = try TemporaryTree()
        #expect(try tree.storekeeper(["init"]).status == 0)
        // uploads/ is walked last, so every folder left unwatched is in it.
        try tree.sh("for d in $(seq 1 40); do mkdir -p uploads/v$d/sub; echo $d > uploads/v$d/f; done")
        // No periodic reconcile within the test: only the delete and move events can end the degraded state.
        let daemon = try Self.daemonWithWatchLimit(tree, 10, reconcileSeconds: "3600")
        #expect(daemon.health?["degraded"] as? Bool == true)
        #expect(Self.unwatched(daemon) > 40, "\(String(describing: daemon.health))")
        #expect(try HTTPClient.curl([daemon.url + "/health"]).status == 503)
        #expect(try Self.metric(daemon, "storekeeper_watcher_degraded") == "1")

        try tree.sh("rm -rf uploads/v1* uploads/v2* && mkdir ../away && mv uploads/v* ../away/")
        do {
            try waitFor("/health to be 200 once no folder is left unwatched") {
                try HTTPClient.curl([daemon.url + "/health"]).status == 200
            }
        } catch {
            Issue.record("\(error): \(String(describing: daemon.health))\n\(daemon.log)")
            throw error
        }
        #expect(try Self.metric(daemon, "storekeeper_watcher_degraded") == "0")
        #expect(try Self.metric(daemon, "storekeeper_watcher_unwatched_directories") == "0")
        #expect(Self.unwatched(daemon) == 0)
        #expect(daemon.log.contains("every directory is watched again"), "\(daemon.log)")
        try WatcherScenarioTests.expectMatch(tree, daemon)
        #expect(try tree.sqlite("SELECT count(*) FROM files WHERE path LIKE 'uploads/v%'") == "0")
    }

    @Test func aReconcileForgetsUnwatchedFoldersThatNoEventReported() throws {
        let tree = try TemporaryTree()
        #expect(try tree.storekeeper(["init"]).status == 0)
        try tree.sh("for d in $(seq 1 20); do mkdir -p uploads/deep/v$d; echo $d > uploads/deep/v$d/f; done")
        // Only the base is watched: removing folders inside unwatched ones raises no event at all.
        let daemon = try Self.daemonWithWatchLimit(tree, 1, reconcileSeconds: "0.5")
        let before = Self.unwatched(daemon)
        #expect(before > 21, "\(String(describing: daemon.health))")

        try tree.sh("rm -rf uploads/deep/v*")
        try waitFor("the periodic reconcile to forget the 20 deleted folders") { Self.unwatched(daemon) == before - 20 }
        try tree.sh("rm -rf uploads/deep")
        try waitFor("the periodic reconcile to forget uploads/deep") { Self.unwatched(daemon) == before - 21 }
        // The top-level folders are still unwatched: still degraded, and still said so.
        #expect(daemon.health?["degraded"] as? Bool == true)
        #expect(try HTTPClient.curl([daemon.url + "/health"]).status == 503)
        try WatcherScenarioTests.expectMatch(tree, daemon)
    }

    // MARK: An unreadable folder

    @Test(.enabled(if: geteuid() == 0, "runs storekeeper as nobody (chown, setpriv), which needs root"))
    func anUnreadableFolderIsAProblemUntilItCanBeReadAgain() throws {
        let tree = try TemporaryTree()
        #expect(try tree.storekeeper(["init"]).status == 0)
        tree.writeFile("uploads/locked/a.mp4", size: 4)
        tree.writeFile("uploads/open/b.mp4", size: 4)
        #expect(try tree.storekeeper(["scan"]).status == 0)
        // Root reads any folder: the daemon and verify run as nobody, who owns the tree.
        #expect(try Shell.run(["chown", "-R", "65534:65534", tree.root], in: "/").status == 0)
        chmod(tree.base + "/uploads/locked", 0)
        let daemon = try DaemonProcess(tree, prefix: ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"])

        #expect(daemon.health?["unreadable_directories"] as? Int == 1, "\(daemon.log)")
        #expect(daemon.health?["degraded"] as? Bool == false)
        #expect(daemon.log.contains("directory not readable"), "\(daemon.log)")
        #expect(daemon.log.contains("uploads/locked") && daemon.log.contains("Permission denied"), "\(daemon.log)")
        // Listed as a problem, but 200: a 503 would send the cron fallback cleaning beside the daemon.
        let health = try HTTPClient.curl([daemon.url + "/health"])
        #expect(health.status == 200)
        #expect(health.json?["status"] as? String == "warning", "\(health.body)")
        let problems = health.json?["problems"] as? [String] ?? []
        #expect(problems.contains { $0.contains("1 directories cannot be read") }, "\(health.body)")
        #expect(try Self.metric(daemon, "storekeeper_watcher_unreadable_directories") == "1")
        let stats = try tree.storekeeper(["stats"], asUser: 65534)
        #expect(stats.stdout.contains("1 directories cannot be read"), "\(stats.stdout)")

        let verify = try tree.storekeeper(["verify"], asUser: 65534)
        #expect(verify.status == 1, "\(verify.stdout)\(verify.stderr)")
        #expect(verify.stdout.contains("unreadable: uploads/locked (Permission denied)"), "\(verify.stdout)")

        // A file written while it was locked is found once the folder opens (chmod reports it).
        tree.writeFile("uploads/locked/late.mp4", size: 3)
        chmod(tree.base + "/uploads/locked", 0o755)
        try waitFor("the unreadable count to return to 0") { daemon.health?["unreadable_directories"] as? Int == 0 }
        try waitFor("/health to say ok") {
            try HTTPClient.curl([daemon.url + "/health"]).json?["status"] as? String == "ok"
        }
        try waitFor("the late file to be indexed") {
            try tree.sqlite("SELECT count(*) FROM files WHERE path = 'uploads/locked/late.mp4'") == "1"
        }
        let after = try tree.storekeeper(["verify"], asUser: 65534)
        #expect(after.status == 0, "\(after.stdout)\(after.stderr)")
    }

    // MARK: A damaged index

    /// Writes random bytes over `count` pages of the `files` table's rows, in
    /// the middle of the file: pages `stats` and `clean`'s first queries (which
    /// read the usage table and the category index) never touch.
    static func damageRows(of index: String, in tree: TemporaryTree, count: Int = 4) throws {
        let pages = try Shell.run(
            ["sqlite3", index, "SELECT pageno FROM dbstat WHERE name = 'files' AND pagetype = 'leaf' ORDER BY pageno"],
            in: tree.root
        ).stdout.split(separator: "\n").compactMap { Int($0) }
        try #require(pages.count > count * 2, "too few row pages to damage: \(pages)")
        for page in pages[(pages.count / 2)..<(pages.count / 2 + count)] {
            let dd = try Shell.run(
                ["dd", "if=/dev/urandom", "of=\(index)", "bs=4096", "seek=\(page - 1)", "count=1", "conv=notrunc"],
                in: tree.root)
            try #require(dd.status == 0, "\(dd.stderr)")
        }
    }

    @Test func aDamagedIndexStopsCleanAndVerify() throws {
        let tree = try TemporaryTree()
        #expect(try tree.storekeeper(["init"]).status == 0)
        try tree.sh(
            """
            mkdir -p temp/job uploads/many
            (cd uploads/many && touch $(seq -f 'upload-with-a-long-name-%g.mp4' 1 5000))
            echo old > temp/job/old.part && touch -d '3 days ago' temp/job/old.part
            """)
        #expect(try tree.storekeeper(["scan"]).status == 0)
        let index = tree.base + "/.storekeeper/index.db"
        try Self.damageRows(of: index, in: tree)

        for command in [["clean", "--no-scan"], ["clean"], ["clean", "--dry-run"], ["verify"], ["verify", "--json"]] {
            let result = try tree.storekeeper(command)
            #expect(result.status == 1, "\(command): \(result.stdout)\(result.stderr)")
            #expect(result.stderr.contains("the index \(index) is corrupt: "), "\(command): \(result.stderr)")
            #expect(result.stderr.contains("storekeeper init' and 'storekeeper scan'"), "\(command): \(result.stderr)")
        }
        // The expired file was not touched, and no cleanup run was recorded.
        #expect(FileManager.default.fileExists(atPath: tree.base + "/temp/job/old.part"))
        #expect(!FileManager.default.fileExists(atPath: tree.base + "/.trash/files/old.part"))
        #expect(try tree.sqlite("SELECT count(*) FROM cleanup_runs") == "0")
    }

    @Test func statsSaysTheIndexIsDamagedWhenWhatItReadsIs() throws {
        let tree = try TemporaryTree()
        #expect(try tree.storekeeper(["init"]).status == 0)
        tree.writeFile("uploads/a.mp4", size: 4)
        #expect(try tree.storekeeper(["scan"]).status == 0)
        let index = tree.base + "/.storekeeper/index.db"
        let page = try Shell.run(
            ["sqlite3", index, "SELECT pageno FROM dbstat WHERE name = 'usage' AND pagetype = 'leaf'"], in: tree.root
        ).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let pageNumber = try #require(Int(page), "no usage page: \(page)")
        let dd = try Shell.run(
            ["dd", "if=/dev/urandom", "of=\(index)", "bs=4096", "seek=\(pageNumber - 1)", "count=1", "conv=notrunc"],
            in: tree.root)
        try #require(dd.status == 0, "\(dd.stderr)")

        for command in [["stats"], ["stats", "--json"]] {
            let result = try tree.storekeeper(command)
            #expect(result.status == 1, "\(command): \(result.stdout)\(result.stderr)")
            #expect(result.stderr.contains("the index \(index) is corrupt: "), "\(command): \(result.stderr)")
        }
    }
}
