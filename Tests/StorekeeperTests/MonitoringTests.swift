import Foundation
import Glibc
import TestSupport
import Testing

/// The metrics as Prometheus and its tools see them: promtool on real
/// output and on the shipped rules, a real Prometheus scraping the daemon,
/// counters that outlive the daemon, the textfile, and the alert lines.
@Suite struct MonitoringTests {
    static func tool(_ name: String) throws -> String {
        try Shell.require(name, installedBy: "Debian's prometheus package (scripts/test installs it)")
    }

    static func checkMetrics(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let check = try Shell.run([try tool("promtool"), "check", "metrics"], in: "/", input: text)
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)", sourceLocation: sourceLocation)
    }

    static func value(_ metrics: String, _ series: String) -> Double? {
        metrics.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap {
            Double($0.split(separator: " ").last!)
        }
    }

    @Test func theRulesPassPromtoolAndTheirUnitTests() throws {
        let promtool = try Self.tool("promtool")
        let directory = Repository.root + "/config/prometheus"
        let check = try Shell.run([promtool, "check", "rules", "storekeeper-rules.yml"], in: directory)
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        #expect(check.stdout.contains("SUCCESS: 8 rules found"), "\(check.stdout)")
        let test = try Shell.run([promtool, "test", "rules", "storekeeper-rules.test.yml"], in: directory)
        #expect(test.status == 0, "\(test.stdout)\(test.stderr)")
    }

    @Test func countersSurviveRestartsAndCountCommandLineRuns() throws {
        let tree = try HTTPTests.prepared(useTrash: true)
        // A vanished file: indexed, gone from disk, cleaned without a scan.
        try tree.sh("head -c 9 /dev/zero > temp/gone && touch -d '3 days ago' temp/gone")
        #expect(try tree.storekeeper(["scan"]).status == 0)
        try tree.sh("rm temp/gone")
        #expect(try tree.storekeeper(["clean", "--no-scan"]).status == 0)
        // Then a real run by hand (temp/job/old.part, 100 bytes, into the trash) and a purge.
        #expect(try tree.storekeeper(["clean"]).status == 0)
        #expect(try tree.storekeeper(["trash", "empty", "--all"]).status == 0)

        let freed = try HardLinkTests.allocated(forSize: 100)
        for round in 0..<2 {
            let daemon = try DaemonProcess(tree)
            let metrics = try HTTPClient.curl([daemon.url + "/metrics"]).body
            try Self.checkMetrics(metrics)
            let labels = "{category=\"temp\",reason="
            #expect(
                Self.value(metrics, "storekeeper_cleanup_removed_files_total\(labels)\"ttl\"}") == 1, "round \(round)")
            // Expiry frees the file's blocks; the purge counts the trash row's size.
            #expect(Self.value(metrics, "storekeeper_cleanup_freed_bytes_total\(labels)\"ttl\"}") == Double(freed))
            #expect(Self.value(metrics, "storekeeper_cleanup_removed_files_total\(labels)\"trash_purge\"}") == 1)
            #expect(Self.value(metrics, "storekeeper_cleanup_freed_bytes_total\(labels)\"trash_purge\"}") == 100)
            #expect(Self.value(metrics, "storekeeper_cleanup_skipped_files_total\(labels)\"vanished\"}") == 1)
            #expect(Self.value(metrics, "storekeeper_cleanup_errors_total\(labels)\"ttl\"}") == 0)
            #expect(Self.value(metrics, "storekeeper_cleanup_last_run_failed") == 0)
            let success = Self.value(metrics, "storekeeper_cleanup_last_success_timestamp_seconds") ?? 0
            #expect(abs(success - Double(time(nil))) < 600, "\(success)")
            // `stats --prometheus` renders the same families from the index and the health file.
            let stats = try tree.storekeeper(["stats", "--prometheus"]).stdout
            try Self.checkMetrics(stats)
            #expect(Self.value(stats, "storekeeper_cleanup_removed_files_total\(labels)\"ttl\"}") == 1)
            #expect(stats.contains("storekeeper_watcher_events_total{kind=\"created\"}"))
            #expect(try daemon.stop() == 0)
        }
        #expect(
            try tree.sqlite("SELECT category, reason, files, bytes, errors FROM cleanup_totals ORDER BY reason")
                == "temp|trash_purge|1|100|0\ntemp|ttl|1|\(freed)|0")
        #expect(try tree.sqlite("SELECT category, reason, files FROM cleanup_skips") == "temp|vanished|1")
        let stopped = try tree.storekeeper(["stats", "--prometheus"]).stdout
        #expect(stopped.contains("storekeeper_daemon_up 0\n"))
        #expect(!stopped.contains("storekeeper_watches "))
    }

    /// A real Prometheus on 127.0.0.1:`port` that scrapes `daemon` every
    /// second with our alert rules loaded; its log is the second value.
    static func startPrometheus(scraping daemon: DaemonProcess, in tree: TemporaryTree, port: Int) throws
        -> (Process, String)
    {
        let prometheusBinary = try Self.tool("prometheus")
        let configuration = tree.root + "/prometheus.yml"
        try """
        global:
          scrape_interval: 1s
          evaluation_interval: 1s
        rule_files: ["\(Repository.root)/config/prometheus/storekeeper-rules.yml"]
        scrape_configs:
          - job_name: storekeeper
            static_configs:
              - targets: ["127.0.0.1:\(daemon.port)"]
        """.write(toFile: configuration, atomically: true, encoding: .utf8)
        let prometheus = Process()
        prometheus.executableURL = URL(fileURLWithPath: prometheusBinary)
        prometheus.arguments = [
            "--config.file=\(configuration)", "--storage.tsdb.path=\(tree.root)/tsdb",
            "--web.listen-address=127.0.0.1:\(port)", "--log.level=warn",
        ]
        let log = tree.root + "/prometheus.log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        prometheus.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        prometheus.standardOutput = FileHandle.nullDevice
        try prometheus.run()
        return (prometheus, log)
    }

    @Test func aRealPrometheusScrapesTheDaemonAndReadsTheIndexValue() throws {
        let (tree, daemon) = try HTTPTests.served()
        let port = HTTPClient.freePort()
        let (prometheus, log) = try Self.startPrometheus(scraping: daemon, in: tree, port: port)
        defer {
            prometheus.terminate()
            prometheus.waitUntilExit()
        }

        func query(_ expression: String) throws -> String? {
            let result = try Shell.run(
                [
                    "curl", "-s", "--max-time", "5", "-G", "--data-urlencode", "query=\(expression)",
                    "http://127.0.0.1:\(port)/api/v1/query",
                ], in: "/")
            guard let json = try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any],
                let data = json["data"] as? [String: Any], let first = (data["result"] as? [[String: Any]])?.first,
                let value = first["value"] as? [Any]
            else { return nil }
            return value.last as? String
        }
        func expectScraped(_ expected: String) throws {
            try waitFor("Prometheus to read temp's bytes as \(expected)", timeout: 60) {
                guard prometheus.isRunning else {
                    throw DaemonProcess.DaemonError.exited(
                        log: (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
                }
                return try query("storekeeper_category_bytes{category=\"temp\"}") == expected
            }
        }
        let indexed = try tree.sqlite("SELECT bytes FROM usage WHERE category = 'temp'")
        #expect(indexed == "130")
        try expectScraped(indexed)
        #expect(try query("up{job=\"storekeeper\"}") == "1")
        #expect(try query("storekeeper_daemon_up") == "1")

        // A change on disk reaches Prometheus through the watcher and the index.
        try tree.sh("head -c 1000 /dev/zero > temp/job/more.part")
        try WatcherScenarioTests.expectMatch(tree, daemon)
        let updated = try tree.sqlite("SELECT bytes FROM usage WHERE category = 'temp'")
        #expect(updated == "1130")
        try expectScraped(updated)
        let rules = try Shell.run(["curl", "-s", "http://127.0.0.1:\(port)/api/v1/rules"], in: "/").stdout
        #expect(rules.contains("StorekeeperDiskSpaceLow") && !rules.contains("\"health\":\"err\""), "\(rules)")
    }

    @Test func theTextfileIsWrittenAtomicallyAndSaysWhenTheDaemonStops() throws {
        let tree = try TemporaryTree()
        let directory = tree.root + "/textfile"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try tree.writeConfig(
            "storage:\n  base_path: \"\(tree.base)\"\n  monitoring:\n    textfile_path: \"\(directory)/storekeeper.prom\"\n"
        )
        #expect(try tree.storekeeper(["init"]).status == 0)
        let daemon = try DaemonProcess(tree)
        let path = directory + "/storekeeper.prom"
        try waitFor("the textfile") { FileManager.default.fileExists(atPath: path) }
        let running = try String(contentsOfFile: path, encoding: .utf8)
        try Self.checkMetrics(running)
        #expect(running.contains("storekeeper_daemon_up 1\n"))
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: directory) == ["storekeeper.prom"],
            "no temporary file left")
        #expect(try daemon.stop() == 0)
        let stopped = try String(contentsOfFile: path, encoding: .utf8)
        try Self.checkMetrics(stopped)
        #expect(stopped.contains("storekeeper_daemon_up 0\n"))
    }

    @Test(.enabled(if: geteuid() == 0, "makes a file immutable (chattr +i), which needs root"))
    func alertsAreLoggedWhenTheyStartAndEndAndExported() throws {
        let tree = try HTTPTests.prepared(
            "  quotas:\n    uploads: 5\n  monitoring:\n    alert_threshold_percent: 100\n")
        try tree.sh("mkdir -p temp/p && echo x > temp/p/stuck && touch -d '3 days ago' temp/p/stuck")
        let chattr = try Shell.run(["chattr", "+i", tree.base + "/temp/p/stuck"], in: "/")
        try #require(chattr.status == 0, "chattr +i needs an ext4/xfs/btrfs temp dir: \(chattr.stderr)")
        defer { _ = try? Shell.run(["chattr", "-i", tree.base + "/temp/p/stuck"], in: "/") }
        let daemon = try DaemonProcess(tree)

        // Quotas count allocated bytes: the 7-byte a.mp4 takes a whole block.
        let allocated = try HardLinkTests.allocated(forSize: 7)
        // Free space is always under 100 %: the daemon cleans for low disk, cannot remove the immutable file.
        try waitFor("the three alerts in the log", timeout: 90) {
            let log = daemon.log
            return log.contains("error alert: free disk space is below the alert threshold")
                && log.contains(
                    "warning alert: category over its quota; on_quota is alert, nothing is removed bytes=\(allocated) category=uploads"
                )
                && log.contains("error alert: a cleanup run failed or could not remove some files")
        }
        let metrics = try HTTPClient.curl([daemon.url + "/metrics"]).body
        try Self.checkMetrics(metrics)
        #expect(Self.value(metrics, "storekeeper_filesystem_low_space") == 1)
        #expect(Self.value(metrics, "storekeeper_category_over_quota{category=\"uploads\",on_quota=\"alert\"}") == 1)
        #expect(Self.value(metrics, "storekeeper_category_over_quota{category=\"temp\",on_quota=\"evict\"}") == 0)
        #expect(Self.value(metrics, "storekeeper_cleanup_last_run_failed") == 1)
        let errors = ["ttl", "low_disk"].compactMap {
            Self.value(metrics, "storekeeper_cleanup_errors_total{category=\"temp\",reason=\"\($0)\"}")
        }
        #expect(errors.reduce(0, +) >= 1, "\(errors)")
        let health = try HTTPClient.curl([daemon.url + "/health"])
        #expect(health.status == 200, "low disk is an alert, not a daemon failure")

        try tree.sh("rm uploads/2026-01-01/a.mp4")
        try waitFor("the quota alert to clear") {
            daemon.log.contains("info alert cleared: category back under its quota category=uploads")
        }
        #expect(
            daemon.log.components(separatedBy: "alert: category over its quota").count == 2,
            "logged once, not every check")
    }
}
