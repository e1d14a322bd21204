import Foundation
import Glibc
import TestSupport
import Testing

/// `watch.mode: poll` on ext4, by configuration: the daemon watches nothing,
/// reconciles the whole tree every `poll_interval`, and the index still ends
/// up exact (judged by `verify`), with the cleaner as careful as ever.
@Suite struct PollModeTests {
    static let pollConfiguration = "  watch:\n    mode: poll\n    poll_interval: 10s"

    @Test func thePollFindsWhatNoEventAnnounced() throws {
        let (tree, daemon) = try HTTPTests.served(Self.pollConfiguration)
        try waitFor("the daemon to say it polls", timeout: 60) { daemon.log.contains("polling") }
        let metrics = try HTTPClient.curl([daemon.url + "/metrics"])
        #expect(metrics.body.contains("storekeeper_watches 0\n"), "poll mode adds no inotify watch")

        try tree.sh(
            "mkdir -p uploads/2026-02-02 && head -c 500 /dev/zero > uploads/2026-02-02/new.mov && rm temp/job/new.part")
        try waitFor("a poll to index the new file and drop the removed one", timeout: 60) {
            try tree.sqlite(
                "SELECT count(*) FROM files WHERE path IN ('uploads/2026-02-02/new.mov', 'temp/job/new.part')")
                == "1"
                && tree.sqlite("SELECT count(*) FROM files WHERE path = 'uploads/2026-02-02/new.mov'") == "1"
        }
        #expect(daemon.log.contains("reason=poll"), "\(daemon.log)")
        let verify = try tree.storekeeper(["verify"])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        #expect(daemon.process.isRunning)
    }

    @Test func aReloadSwitchesBetweenModes() throws {
        let (tree, daemon) = try HTTPTests.served(Self.pollConfiguration)
        try waitFor("the daemon to poll", timeout: 60) { daemon.log.contains("polling") }
        let config = try String(contentsOfFile: tree.configPath, encoding: .utf8)
        try config.replacingOccurrences(of: "mode: poll", with: "mode: inotify")
            .write(toFile: tree.configPath, atomically: true, encoding: .utf8)
        kill(daemon.process.processIdentifier, SIGHUP)
        try waitFor("the daemon to watch again", timeout: 60) { daemon.log.contains(" watching ") }
        try tree.sh("head -c 9 /dev/zero > temp/job/after-reload.part")
        try WatcherScenarioTests.expectMatch(tree, daemon)
    }
}
