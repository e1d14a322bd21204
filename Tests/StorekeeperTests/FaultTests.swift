import Foundation
import Glibc
import TestSupport
import Testing

/// An operator's bad day: the disk fills up, a policy step keeps failing,
/// someone holds the index's write lock or deletes the index, a cleanup is
/// killed. Each scenario ends with the daemon alive (or rebuilt where that is
/// the design), the expired file gone where it should be, and `verify` exit 0.
@Suite struct FaultTests {
    /// A tree whose base is `base` (or the usual one), with scheduled cleanups
    /// pushed to New Year so that only what the test asks for runs.
    static func tree(base: (TemporaryTree) throws -> String? = { _ in nil }, _ extra: String = "") throws
        -> TemporaryTree
    {
        let tree = try TemporaryTree()
        let basePath = try base(tree) ?? tree.base
        try tree.writeConfig(
            """
            storage:
              base_path: "\(basePath)"
              cleanup:
                use_trash: true
                schedule: "0 0 1 1 *"
                temp_schedule: "0 0 1 1 *"
              monitoring:
                alert_threshold_percent: 10
            \(extra)
            """)
        let result = try tree.storekeeper(["init"])
        precondition(result.status == 0, result.stderr)
        return tree
    }

    static func health(_ url: String) throws -> HTTPClient.Response {
        try HTTPClient.curl([url + "/health"])
    }

    static func problems(_ response: HTTPClient.Response) -> [String] {
        response.json?["problems"] as? [String] ?? []
    }

    // MARK: A full disk

    @Test(.enabled(if: geteuid() == 0, "mounts a tmpfs, which needs root"))
    func aFullDiskIsCleanedAndNeitherTheDaemonNorTheCommandsStop() throws {
        var small: SmallFilesystem?
        let tree = try Self.tree(base: { tree in
            small = try SmallFilesystem(tree, size: "16m")
            return small!.path
        })
        let disk = try #require(small)
        defer { withExtendedLifetime(disk) {} }
        try disk.sh(
            "mkdir -p temp/job && head -c 4000000 /dev/zero > temp/job/old.tmp && touch -d '3 days ago' temp/job/old.tmp"
        )
        try Self.fillUnderARunningDaemon(tree, disk)
        try Self.cleanAtFullWithoutADaemon(tree, disk)
        try Self.restartAtFull(tree, disk)
    }

    /// The disk fills up under a running daemon, the index on it too.
    static func fillUnderARunningDaemon(_ tree: TemporaryTree, _ disk: SmallFilesystem) throws {
        let daemon = try DaemonProcess(tree)
        let url = daemon.url
        try waitFor("the space reserve", timeout: 30) { disk.exists(".storekeeper/reserve") }
        #expect(try disk.fill("outputs/fill"))
        try waitFor("the expired file to be removed", timeout: 60) { !disk.exists("temp/job/old.tmp") }
        #expect(try disk.fill("outputs/fill-more"), "the disk is full")
        // A few thousand new empty files while nothing is left: the index
        // cannot take them all now, and says so; nothing is dropped.
        try disk.sh("mkdir -p uploads/burst && for i in $(seq 1 3000); do : > uploads/burst/e$i || break; done")
        try waitFor("the burst to be indexed or the full disk to be reported", timeout: 60) {
            let indexed = try tree.sqlite("SELECT count(*) FROM files WHERE path GLOB 'uploads/burst/*'") == "3000"
            let problems = Self.problems(try Self.health(url))
            return indexed || problems.contains { $0.hasPrefix("the disk is full") }
        }
        #expect(daemon.process.isRunning, "the daemon died on a full disk:\n\(daemon.log)")
        try waitFor("/health to raise the low-disk alert", timeout: 30) {
            Self.problems(try Self.health(url)).contains { $0.hasPrefix("free disk space is low") }
        }
        try disk.sh("rm outputs/fill-more")
        try WatcherScenarioTests.expectMatch(tree, daemon)
        #expect(
            try tree.sqlite("SELECT status FROM cleanup_runs WHERE trigger = 'low_disk' ORDER BY id DESC LIMIT 1")
                == "ok")
        #expect(
            try tree.sqlite("SELECT count(*) FROM events WHERE path = 'temp/job/old.tmp' AND action = 'delete'") == "1")
        #expect(try daemon.stop() == 0)
    }

    /// No daemon and no reserve: `clean` and `trash empty` at 100 %.
    static func cleanAtFullWithoutADaemon(_ tree: TemporaryTree, _ disk: SmallFilesystem) throws {
        try disk.sh(
            "mkdir -p temp/job && head -c 1000000 /dev/zero > temp/job/older.tmp && touch -d '3 days ago' temp/job/older.tmp"
        )
        #expect(try tree.storekeeper(["clean"]).status == 0)
        #expect(try tree.storekeeper(["trash", "list"]).stdout.contains("temp/job/older.tmp"))
        try disk.sh(
            "mkdir -p temp/job && head -c 2000000 /dev/zero > temp/job/oldest.tmp && touch -d '3 days ago' temp/job/oldest.tmp"
        )
        #expect(try tree.storekeeper(["scan"]).status == 0)
        try disk.sh("rm -f .storekeeper/reserve")
        #expect(try disk.fill("outputs/fill-more"), "the disk is full")
        let clean = try tree.storekeeper(["clean"])
        #expect(clean.status == 0, "\(clean.stdout)\(clean.stderr)")
        #expect(!disk.exists("temp/job/oldest.tmp"), "deleted, not trashed: a trash on a full disk frees nothing")
        #expect(try disk.fill("outputs/fill-last"))
        let empty = try tree.storekeeper(["trash", "empty", "--all"])
        #expect(empty.status == 0, "\(empty.stdout)\(empty.stderr)")
        #expect(try tree.storekeeper(["trash", "list"]).stdout.contains("older.tmp") == false)
    }

    /// A restart at 100 %: the daemon starts (its reserve gives the index
    /// room), and the index is exact once space is back.
    static func restartAtFull(_ tree: TemporaryTree, _ disk: SmallFilesystem) throws {
        try disk.sh("rm outputs/fill-more outputs/fill-last")
        var daemon = try DaemonProcess(tree)
        try waitFor("the space reserve", timeout: 30) { disk.exists(".storekeeper/reserve") }
        #expect(try daemon.stop() == 0)
        #expect(try disk.fill("outputs/fill-more"))
        daemon = try DaemonProcess(tree)
        try disk.sh("touch uploads/after-restart")
        try waitFor("the new file to be indexed", timeout: 60) {
            try tree.sqlite("SELECT count(*) FROM files WHERE path = 'uploads/after-restart'") == "1"
        }
        try disk.sh("rm outputs/fill-more")
        try WatcherScenarioTests.expectMatch(tree, daemon)
        #expect(daemon.process.isRunning, "\(daemon.log)")
    }

    @Test(.enabled(if: geteuid() == 0, "mounts a tmpfs, which needs root"))
    func aDryRunWhoseExpiryWouldMakeRoomReportsNoShortfall() throws {
        var small: SmallFilesystem?
        let tree = try Self.tree(base: { tree in
            small = try SmallFilesystem(tree, size: "8m")
            return small!.path
        })
        let disk = try #require(small)
        defer { withExtendedLifetime(disk) {} }
        // 35 %: the 6 MB expired file on the 8 MiB filesystem makes the disk low.
        try tree.writeConfig(
            "storage:\n  base_path: \"\(disk.path)\"\n  monitoring:\n    alert_threshold_percent: 35\n")
        try disk.sh(
            "mkdir -p temp/job && head -c 6000000 /dev/zero > temp/job/old.tmp && touch -d '3 days ago' temp/job/old.tmp"
        )
        let dry = try tree.storekeeper(["clean", "--dry-run"])
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("LOW DISK"))
        #expect(!dry.stderr.contains("shortfall_bytes=-"), "\(dry.stderr)")
        #expect(!dry.stderr.contains(" error "), "a dry run that would make room raises no error: \(dry.stderr)")
        #expect(disk.exists("temp/job/old.tmp"))
    }

    // MARK: A failing step

    @Test func aPolicyStepThatFailsIsContainedReportedAndRetried() throws {
        let tree = try Self.tree(
            """
              quotas:
                temp: 1MiB
            """)
        try tree.sh("mkdir -p temp/job && head -c 2000000 /dev/zero > temp/job/big.tmp && printf x > .trash")
        let daemon = try DaemonProcess(tree)
        let url = daemon.url
        try waitFor("the policy step to fail", timeout: 30) { daemon.log.contains("step=policy") }
        // The watcher goes on while the step fails.
        try tree.sh("mkdir -p uploads/day && head -c 10 /dev/zero > uploads/day/new.mp4")
        try WatcherScenarioTests.expectMatch(tree, daemon)
        try waitFor("/health to list the failing step", timeout: 30) {
            let health = try Self.health(url)
            return health.status == 503
                && Self.problems(health).contains { $0.hasPrefix("policy failing since") && $0.contains(".trash") }
        }
        let metrics = try HTTPClient.curl([url + "/metrics"]).body
        #expect(!metrics.contains("storekeeper_daemon_step_failures_total{step=\"policy\"} 0\n"), "\(metrics)")
        #expect(metrics.contains("storekeeper_daemon_problems 1\n"), "\(metrics)")
        // A run that failed before its first file is a row, an alert line and a metric.
        #expect(try tree.sqlite("SELECT status FROM cleanup_runs ORDER BY id DESC LIMIT 1") == "failed")
        #expect(try tree.sqlite("SELECT detail FROM cleanup_runs ORDER BY id DESC LIMIT 1").contains(".trash"))
        try waitFor("the failed-run alert", timeout: 30) {
            let metrics = try HTTPClient.curl([url + "/metrics"]).body
            return daemon.log.contains("alert: a cleanup run failed")
                && metrics.contains("storekeeper_cleanup_last_run_failed 1\n")
        }

        // Fixed by the operator: the step recovers on its own.
        try tree.sh("rm .trash")
        try waitFor("the step to recover and evict", timeout: 60) {
            !FileManager.default.fileExists(atPath: tree.base + "/temp/job/big.tmp")
        }
        try waitFor("/health to be ok again", timeout: 30) { try Self.health(url).status == 200 }
        #expect(daemon.log.contains("daemon step recovered"))
        try HTTPTests.expectAlive(tree, daemon)
        #expect(try tree.storekeeper(["trash", "list"]).stdout.contains("temp/job/big.tmp"), "\(daemon.log)")
    }

    // MARK: A locked index

    @Test func anotherProcessHoldingTheWriteLockIsWaitedOut() throws {
        let tree = try Self.tree()
        let daemon = try DaemonProcess(tree)
        let url = daemon.url
        let held = tree.root + "/held"
        let release = tree.root + "/release"
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        holder.arguments = [tree.base + "/.storekeeper/index.db"]
        let input = Pipe()
        holder.standardInput = input
        holder.standardOutput = FileHandle.nullDevice
        try holder.run()
        input.fileHandleForWriting.write(
            Data(
                """
                BEGIN IMMEDIATE;
                INSERT INTO meta (key, value) VALUES ('held', 'x');
                .shell touch \(held)
                .shell for i in $(seq 600); do [ -e \(release) ] && break; sleep 0.1; done
                COMMIT;

                """.utf8))
        // The operator commits once the daemon has said it waits (or after a minute).
        defer { _ = FileManager.default.createFile(atPath: release, contents: nil) }
        try input.fileHandleForWriting.close()
        try waitFor("the operator's transaction", timeout: 30) { FileManager.default.fileExists(atPath: held) }

        try tree.sh("mkdir -p temp/while-locked && for i in $(seq 1 50); do printf x > temp/while-locked/f$i; done")
        try waitFor("/health to say the index is locked", timeout: 30) {
            Self.problems(try Self.health(url)).contains { $0.contains("locked by another process") }
        }
        _ = FileManager.default.createFile(atPath: release, contents: nil)
        holder.waitUntilExit()
        try waitFor("the changes to be committed", timeout: 60) {
            try tree.sqlite("SELECT count(*) FROM files WHERE path GLOB 'temp/while-locked/*'") == "50"
        }
        try waitFor("/health to be ok again", timeout: 30) { try Self.health(url).status == 200 }
        try HTTPTests.expectAlive(tree, daemon)
    }

    // MARK: A lost index

    @Test(arguments: ["rm", "truncate -s 0"])
    func anIndexDeletedOrTruncatedUnderTheDaemonIsRebuilt(_ command: String) throws {
        let tree = try Self.tree()
        try tree.sh("mkdir -p uploads/day && head -c 100 /dev/zero > uploads/day/a.mp4")
        let daemon = try DaemonProcess(tree)
        try tree.sh("\(command) .storekeeper/index.db && head -c 10 /dev/zero > uploads/day/b.mp4")
        try waitFor("the daemon to notice", timeout: 30) { daemon.log.contains("the index file was lost") }
        try HTTPTests.expectAlive(tree, daemon)
        #expect(try tree.sqlite("SELECT count(*) FROM files WHERE path GLOB 'uploads/day/*'") == "2")
        #expect(try tree.storekeeper(["stats"]).status == 0)
        #expect(try HTTPClient.curl([daemon.url + "/api/v1/storage/stats"]).status == 200)
        let aside = try FileManager.default.contentsOfDirectory(atPath: tree.base + "/.storekeeper")
            .filter { $0.hasPrefix("index.db.broken-") }
        #expect(aside.isEmpty == (command == "rm"), "a truncated index is kept aside: \(aside)")
    }

    @Test func runCreatesAMissingIndexAndMovesABrokenOneAside() throws {
        let tree = try Self.tree()
        try tree.sh("head -c 8192 /dev/urandom > .storekeeper/index.db")
        var daemon = try DaemonProcess(tree)
        #expect(daemon.log.contains("the index cannot be opened; moved it aside"))
        #expect(try daemon.stop() == 0)
        try tree.sh("rm .storekeeper/index.db")
        daemon = try DaemonProcess(tree)
        #expect(daemon.log.contains("no index; creating one"))
        try HTTPTests.expectAlive(tree, daemon)
    }

    // MARK: Records

    @Test func aKilledCleanIsMarkedInterruptedByTheNextRun() throws {
        let killed = try Self.tree()
        try killed.writeConfig(
            """
            storage:
              base_path: "\(killed.base)"
              cleanup:
                use_trash: false
                batch_size: 1
            """)
        try killed.sh("mkdir -p temp/many && cd temp/many && seq 1 20000 | xargs touch -d '3 days ago'")
        #expect(try killed.storekeeper(["scan"]).status == 0)
        let clean = Process()
        clean.executableURL = URL(fileURLWithPath: StorekeeperBinary.path)
        clean.arguments = ["clean", "--no-scan", "--config", killed.configPath]
        clean.standardOutput = FileHandle.nullDevice
        clean.standardError = FileHandle.nullDevice
        try clean.run()
        try waitFor("the run to start", timeout: 60) {
            (try? killed.sqlite("SELECT count(*) FROM cleanup_runs WHERE status = 'running'")) == "1"
        }
        kill(clean.processIdentifier, SIGKILL)
        clean.waitUntilExit()
        #expect(try killed.sqlite("SELECT status FROM cleanup_runs") == "running", "it died running")
        let next = try killed.storekeeper(["clean"])
        #expect(next.status == 0, "\(next.stderr)")
        #expect(next.stderr.contains("marked cleanup runs that died while running as interrupted"))
        #expect(try killed.sqlite("SELECT group_concat(status, ',') FROM cleanup_runs ORDER BY id") == "interrupted,ok")
        #expect(try killed.storekeeper(["verify"]).status == 0)
    }

    @Test func aHealthFileThatCannotBeWrittenIsAProblem() throws {
        let tree = try Self.tree()
        let daemon = try DaemonProcess(tree)
        let url = daemon.url
        try tree.sh("rm .storekeeper/health.json && mkdir .storekeeper/health.json")
        try waitFor("/health to name the health file", timeout: 30) {
            Self.problems(try Self.health(url)).contains { $0.hasPrefix("cannot write the health file") }
        }
        try tree.sh("rmdir .storekeeper/health.json")
        try waitFor("/health to be ok again", timeout: 30) { try Self.health(url).status == 200 }
        try HTTPTests.expectAlive(tree, daemon)
    }
}
