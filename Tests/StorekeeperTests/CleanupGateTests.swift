import Foundation
import Glibc
import TestSupport
import Testing

/// One gate for every removal: `cleanup.enabled: false` stops the CLI, the
/// API, the daemon's jobs and relief, the startup catch-up and the cron
/// fallback alike; `cleanup.dry_run: true` makes them all report only; an
/// operator's explicit `trash empty` still works. Each test checks what is
/// left on disk.
@Suite struct CleanupGateTests {
    /// An expired temp file, a fresh one, and an item in the trash that is
    /// older than the trash retention; then `cleanup` settings from `extra`.
    static func prepared(_ cleanup: String) throws -> TemporaryTree {
        let tree = try TemporaryTree()
        try tree.writeConfig("storage:\n  base_path: \"\(tree.base)\"\n")
        #expect(try tree.storekeeper(["init"]).status == 0)
        try tree.sh("mkdir -p temp/job && printf trashed > temp/job/first && touch -d '3 days ago' temp/job/first")
        #expect(try tree.storekeeper(["clean"]).status == 0)
        // Trashed an hour ago, as far as the index knows: well past the retention below.
        _ = try tree.sqlite("UPDATE trash SET deleted_at = deleted_at - 3600")
        try tree.sh(
            "mkdir -p temp/job && printf old > temp/job/old.tmp && touch -d '3 days ago' temp/job/old.tmp && printf new > temp/job/new.tmp"
        )
        try tree.writeConfig(
            """
            storage:
              base_path: "\(tree.base)"
              cleanup:
                trash_retention: 1s
                schedule: "0 0 1 1 *"
                temp_schedule: "0 0 1 1 *"
            \(cleanup)
              quotas:
                temp: 1
            """)
        return tree
    }

    /// A trash purge and a full cleanup that fell due while no daemon ran:
    /// the next start runs them.
    static func makeJobsMissed(_ tree: TemporaryTree, cleanup: Bool = true) throws {
        _ = try tree.sqlite(
            "INSERT INTO jobs (name, schedule, next_run_at) VALUES ('trash_purge', '30 * * * *', 1)"
                + (cleanup ? ", ('cleanup', '0 0 1 1 *', 1)" : ""))
    }

    static func trashHoldsFirst(_ tree: TemporaryTree) throws -> Bool {
        try tree.storekeeper(["trash", "list"]).stdout.contains("temp/job/first")
    }

    @Test func disabledStopsEveryPathThatRemoves() throws {
        let tree = try Self.prepared("    enabled: false")
        // The CLI refuses and says where the switch is; a dry run still reports.
        let clean = try tree.storekeeper(["clean"])
        #expect(clean.status == 1)
        #expect(clean.stderr.contains("cleanup is disabled in \(tree.configPath)"), "\(clean.stderr)")
        let dry = try tree.storekeeper(["clean", "--dry-run", "--json"])
        #expect(dry.status == 0, "\(dry.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(dry.stdout.utf8)) as? [String: Any] ?? [:]
        #expect(report["dry_run"] as? Bool == true)
        #expect((report["total_files_removed"] as? Int ?? 0) >= 1, "what would go is reported: \(dry.stdout)")
        // The cron fallback runs `clean` and reports the refusal.
        let cron = try Shell.run(
            ["bash", OperationsTests.repository + "/scripts/cleanup.sh"], in: tree.root,
            environment: ["STOREKEEPER_BIN": StorekeeperBinary.path, "STOREKEEPER_CONFIG": tree.configPath])
        #expect(cron.status == 1, "\(cron.stdout)\(cron.stderr)")

        // The daemon: a trash purge missed while it was down, quota relief, and the API.
        try Self.makeJobsMissed(tree)
        let daemon = try DaemonProcess(tree)
        let post = try HTTPClient.curl(["-X", "POST", daemon.url + "/api/v1/storage/cleanup?dry_run=false"])
        #expect(post.status == 409, "\(post.body)")
        #expect(post.body.contains("cleanup is disabled in"))
        try waitFor("the daemon to say it does not evict", timeout: 30) { daemon.log.contains("cleanup is disabled") }
        try WatcherScenarioTests.expectMatch(tree, daemon)
        #expect(try daemon.stop() == 0)
        #expect(try tree.sqlite("SELECT last_status FROM jobs WHERE name = 'cleanup'").hasPrefix("skipped"))
        // The full cleanup due with it stands in for the purge: both skipped.
        #expect(try tree.sqlite("SELECT last_status FROM jobs WHERE name = 'trash_purge'") == "covered by cleanup")

        #expect(tree.exists("temp/job/old.tmp") && tree.exists("temp/job/new.tmp"))
        #expect(try Self.trashHoldsFirst(tree), "the trash purge asked the gate too")
        // An operator's explicit purge still works.
        #expect(try tree.storekeeper(["trash", "empty", "--all"]).status == 0)
        #expect(try Self.trashHoldsFirst(tree) == false)
    }

    @Test func dryRunInTheConfigMakesEveryPathReportOnly() throws {
        let tree = try Self.prepared("    dry_run: true")
        let clean = try tree.storekeeper(["clean", "--json"])
        #expect(clean.status == 0, "\(clean.stderr)")
        #expect(
            clean.stdout.contains("\"dry_run\": true") || clean.stdout.contains("\"dry_run\":true"), "\(clean.stdout)")
        let daemon = try DaemonProcess(tree)
        let post = try HTTPClient.curl(["-X", "POST", daemon.url + "/api/v1/storage/cleanup?dry_run=false"])
        #expect(post.status == 200, "\(post.body)")
        #expect(post.json?["dry_run"] as? Bool == true)
        try WatcherScenarioTests.expectMatch(tree, daemon)
        #expect(try daemon.stop() == 0)
        #expect(tree.exists("temp/job/old.tmp") && tree.exists("temp/job/new.tmp"))
        #expect(try Self.trashHoldsFirst(tree))
        #expect(
            try tree.sqlite("SELECT count(*) FROM cleanup_runs WHERE dry_run = 0") == "1",
            "only the setup's run was real")
    }

    @Test func turningTheTrashOffDoesNotStrandIt() throws {
        let tree = try Self.prepared("    use_trash: false")
        try Self.makeJobsMissed(tree, cleanup: false)
        let daemon = try DaemonProcess(tree)
        try waitFor("the trash purge to run", timeout: 30) {
            try tree.sqlite("SELECT last_status FROM jobs WHERE name = 'trash_purge'").hasPrefix("ok")
        }
        try WatcherScenarioTests.expectMatch(tree, daemon)
        #expect(try Self.trashHoldsFirst(tree) == false, "purged although use_trash is now false")
    }
}
