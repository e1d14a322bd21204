import Foundation
import Glibc
import TestSupport
import Testing

/// `monitoring.event_log_max_bytes` through the binary: a daemon under a
/// burst of changes keeps its events log under a tiny bound and stays live,
/// and `stats` and the metrics show the log's size.
@Suite struct EventLogBoundTests {
    static let bound = 64 * 1024

    static func eventLog(_ tree: TemporaryTree) throws -> [String: Any] {
        let result = try tree.storekeeper(["stats", "--json"])
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        return try #require(report["event_log"] as? [String: Any], "\(result.stdout)")
    }

    @Test func aDaemonUnderABurstKeepsTheLogUnderItsBound() throws {
        let tree = try TemporaryTree()
        try tree.writeConfig(
            "storage:\n  base_path: \"\(tree.base)\"\n  monitoring:\n    event_log_max_bytes: 64KiB\n")
        #expect(try tree.storekeeper(["init"]).status == 0)
        let daemon = try DaemonProcess(tree)
        // About 4000 rows of about 100 bytes: six times the bound.
        let burst = try tree.sh(
            """
            mkdir -p temp/burst && cd temp/burst && i=0
            while [ $i -lt 2000 ]; do echo x > file-number-$i.part; i=$((i+1)); done
            i=0
            while [ $i -lt 1000 ]; do mv file-number-$i.part moved-file-$i.part; i=$((i+1)); done
            """)
        #expect(burst.status == 0, "\(burst.stderr)")
        try waitFor("the burst to be indexed", timeout: 120) {
            try tree.sqlite("SELECT files FROM usage WHERE category = 'temp'") == "2000"
        }
        var log: [String: Any] = [:]
        try waitFor("the log to be pruned under its bound", timeout: 60) {
            log = try Self.eventLog(tree)
            return (log["bytes"] as? Int ?? .max) <= Self.bound
        }
        #expect(log["max_bytes"] as? Int == Self.bound)
        #expect(log["retention_seconds"] as? Int == 30 * 86_400)
        let rows = try #require(log["rows"] as? Int)
        #expect(rows > 0)
        #expect(try tree.sqlite("SELECT count(*) FROM events") == String(rows), "the size row is exact")
        #expect(try tree.sqlite("SELECT count(*) FROM events WHERE action = 'scan'") != "0", "operators' rows kept")
        #expect(log["oldest"] is String)

        // Still live: a change made now is indexed and logged.
        try tree.sh("echo y > temp/after-the-burst")
        try waitFor("the daemon to index a change after the burst") {
            try tree.sqlite("SELECT count(*) FROM files WHERE path = 'temp/after-the-burst'") == "1"
        }
        #expect(daemon.process.isRunning)
        let metrics = try HTTPClient.curl([daemon.url + "/metrics"]).body
        let metricRows = try #require(MonitoringTests.value(metrics, "storekeeper_event_log_rows"))
        #expect(metricRows > 0)
        let metricBytes = try #require(MonitoringTests.value(metrics, "storekeeper_event_log_bytes"))
        #expect(metricBytes > 0 && metricBytes <= Double(Self.bound) * 1.1)
        #expect(MonitoringTests.value(metrics, "storekeeper_event_log_max_bytes") == Double(Self.bound))
        #expect(try daemon.stop() == 0)
    }

    @Test func statsShowsTheLogWithItsBounds() throws {
        let tree = try TemporaryTree()
        try tree.writeConfig(
            "storage:\n  base_path: \"\(tree.base)\"\n  monitoring:\n    event_log_max_bytes: -1\n"
                + "    event_retention: 7d\n")
        #expect(try tree.storekeeper(["init"]).status == 0)
        let text = try tree.storekeeper(["stats"])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("event log: "), "\(text.stdout)")
        #expect(text.stdout.contains("no size bound") && text.stdout.contains("kept 7d"), "\(text.stdout)")
        let log = try Self.eventLog(tree)
        #expect(log["max_bytes"] as? Int == -1)
        #expect(log["retention_seconds"] as? Int == 7 * 86_400)
        #expect(
            try tree.sqlite("SELECT rows FROM event_log") == String(try #require(log["rows"] as? Int)))
        let prometheus = try tree.storekeeper(["stats", "--prometheus"]).stdout
        #expect(prometheus.contains("# TYPE storekeeper_event_log_rows gauge"))
        #expect(prometheus.contains("# TYPE storekeeper_event_log_bytes gauge"))
        #expect(MonitoringTests.value(prometheus, "storekeeper_event_log_max_bytes") == nil)
    }
}
