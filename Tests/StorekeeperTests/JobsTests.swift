import Foundation
import Glibc
import TestSupport
import Testing

/// Scheduled jobs through the binary: `storekeeper jobs`, and a run missed
/// while the daemon was down running once when it starts.
@Suite struct JobsTests {
    @Test func jobsListsEveryJobBeforeTheDaemonEverRan() throws {
        let tree = try TemporaryTree()
        #expect(try tree.storekeeper(["init"]).status == 0)
        let result = try tree.storekeeper(["jobs", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let jobs = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        #expect(
            jobs.map { $0["name"] as? String } == ["cleanup", "temp_cleanup", "trash_purge", "prune_events", "verify"])
        let cleanup = try #require(jobs.first)
        #expect(cleanup["schedule"] as? String == "0 2 * * *")
        #expect(cleanup["last_run"] is NSNull)
        let next = try #require(cleanup["next_run"] as? String)
        #expect(next.hasSuffix("T02:00:00Z"), "\(next)")
        let text = try tree.storekeeper(["jobs"])
        #expect(text.stdout.contains("temp_cleanup") && text.stdout.contains("never"))
    }

    @Test func aCleanupMissedWhileTheDaemonWasDownRunsOnceAtStart() throws {
        let tree = try TemporaryTree()
        try tree.writeConfig("storage:\n  base_path: \"\(tree.base)\"\n  cleanup:\n    use_trash: false\n")
        #expect(try tree.storekeeper(["init"]).status == 0)
        try tree.sh("mkdir -p temp/old && echo x > temp/old/a && touch -d '3 days ago' temp/old/a && echo y > temp/new")
        // The daemon last planned its 02:00 cleanup for an hour ago, and was down since.
        let missed = Int(time(nil)) - 3600
        _ = try tree.sqlite(
            "INSERT INTO jobs (name, schedule, next_run_at) VALUES ('cleanup', '0 2 * * *', \(missed)), ('temp_cleanup', '0 * * * *', \(missed))"
        )
        let daemon = try DaemonProcess(tree)
        try waitFor("the missed cleanup to run") {
            try tree.sqlite("SELECT count(*) FROM cleanup_runs WHERE trigger = 'schedule' AND status = 'ok'") == "1"
        }
        #expect(!FileManager.default.fileExists(atPath: tree.base + "/temp/old/a"))
        #expect(FileManager.default.fileExists(atPath: tree.base + "/temp/new"))
        let next = Int(try tree.sqlite("SELECT next_run_at FROM jobs WHERE name = 'cleanup'")) ?? 0
        #expect(next > Int(time(nil)) && next % 86_400 == 7200, "the next 02:00 UTC")
        #expect(try tree.sqlite("SELECT last_status FROM jobs WHERE name = 'temp_cleanup'").hasPrefix("covered"))
        #expect(try tree.sqlite("SELECT count(*) FROM cleanup_runs") == "1", "one run for two due jobs")
        // A restart does not run it again.
        #expect(try daemon.stop() == 0)
        let restarted = try DaemonProcess(tree)
        try WatcherScenarioTests.expectMatch(tree, restarted)
        #expect(try tree.sqlite("SELECT count(*) FROM cleanup_runs") == "1")
        let jobs = try tree.storekeeper(["jobs", "--json"])
        #expect(jobs.stdout.contains("\"last_run\": \"20"), "\(jobs.stdout)")
    }
}
