import Foundation
import Glibc
import TestSupport
import Testing

/// SIGHUP (what `systemctl reload` sends) reloads the configuration: a valid
/// file applies at once, an invalid one is refused and the running
/// configuration kept, and settings only a restart can change keep their values.
@Suite struct ReloadTests {
    static func config(_ tree: TemporaryTree, temp: String, base: String? = nil) -> String {
        """
        storage:
          base_path: "\(base ?? tree.base)"
          retention:
            temp: \(temp)
          cleanup:
            use_trash: false
            schedule: "0 0 1 1 *"
            temp_schedule: "0 0 1 1 *"
        """
    }

    static func metric(_ url: String, _ name: String) throws -> String? {
        let body = try HTTPClient.curl([url + "/metrics"]).body
        return body.split(separator: "\n").first { $0.hasPrefix(name + " ") }.map {
            String($0.dropFirst(name.count + 1))
        }
    }

    @Test func sighupAppliesAValidFileAndRefusesAnInvalidOne() throws {
        let tree = try TemporaryTree()
        try tree.writeConfig(Self.config(tree, temp: "24h"))
        #expect(try tree.storekeeper(["init"]).status == 0)
        try tree.sh(
            "mkdir -p temp/job && printf x > temp/job/two-hours.tmp && touch -d '2 hours ago' temp/job/two-hours.tmp")
        let daemon = try DaemonProcess(tree)
        let url = daemon.url
        #expect(try Self.metric(url, "storekeeper_config_last_reload_successful") == "1")

        // A shorter retention applies at once: the next cleanup takes the file.
        try tree.writeConfig(Self.config(tree, temp: "1h"))
        daemon.signal(SIGHUP)
        try waitFor("the reload", timeout: 30) { daemon.log.contains("configuration reloaded") }
        try waitFor("the daemon to run again", timeout: 60) { try HTTPClient.curl([url + "/health"]).status == 200 }
        let cleanup = try HTTPClient.curl(["-X", "POST", url + "/api/v1/storage/cleanup?dry_run=false"])
        #expect(cleanup.status == 200, "\(cleanup.body)")
        #expect(!FileManager.default.fileExists(atPath: tree.base + "/temp/job/two-hours.tmp"), "\(daemon.log)")

        // An invalid file is refused; the daemon keeps running with the last good one.
        try tree.writeConfig(Self.config(tree, temp: "soon"))
        daemon.signal(SIGHUP)
        try waitFor("the refusal", timeout: 30) { daemon.log.contains("configuration reload refused") }
        try waitFor("/health to show it", timeout: 30) {
            let health = try HTTPClient.curl([url + "/health"])
            let problems = health.json?["problems"] as? [String] ?? []
            return health.status == 200 && problems.contains { $0.contains("was refused on reload") }
        }
        #expect(try Self.metric(url, "storekeeper_config_last_reload_successful") == "0")

        // A new base path needs a restart: named, and the running one kept.
        try tree.writeConfig(Self.config(tree, temp: "1h", base: tree.root + "/elsewhere"))
        daemon.signal(SIGHUP)
        try waitFor("the restart-only keys to be named", timeout: 30) {
            daemon.log.contains("these settings change only with a restart")
                && daemon.log.contains("keys=storage.base_path")
        }
        try waitFor("the reload to count as successful", timeout: 60) {
            try Self.metric(url, "storekeeper_config_last_reload_successful") == "1"
        }
        try tree.sh("mkdir -p temp/job && printf y > temp/job/after-reload.tmp")
        // The commands read the file too: give them the base the daemon still watches.
        try tree.writeConfig(Self.config(tree, temp: "1h"))
        try HTTPTests.expectAlive(tree, daemon)
        #expect(!FileManager.default.fileExists(atPath: tree.root + "/elsewhere"))
    }
}
