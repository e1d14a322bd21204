import Foundation
import TestSupport
import Testing

/// The fleet dashboard in config/grafana/ is only worth shipping if its
/// queries mean something: every PromQL expression in it runs against a real
/// Prometheus scraping a real daemon, and each returns data.
@Suite struct GrafanaDashboardTests {
    static let path = Repository.root + "/config/grafana/storekeeper.json"

    struct Query {
        let panel: String
        let expression: String
    }

    static func dashboard() throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    static func panels(_ dashboard: [String: Any]) -> [[String: Any]] {
        (dashboard["panels"] as? [[String: Any]]) ?? []
    }

    static func queries(_ dashboard: [String: Any]) -> [Query] {
        var queries: [Query] = []
        for panel in panels(dashboard) {
            for target in (panel["targets"] as? [[String: Any]]) ?? [] {
                if let expression = target["expr"] as? String {
                    queries.append(Query(panel: panel["title"] as? String ?? "?", expression: expression))
                }
            }
        }
        return queries
    }

    /// What Grafana does before sending a query: the host variable set to
    /// "All" and the rate interval to a few scrapes.
    static func substituted(_ expression: String) -> String {
        expression.replacingOccurrences(of: "$instance", with: ".*")
            .replacingOccurrences(of: "$__rate_interval", with: "15s")
    }

    @Test func theDashboardIsWellFormed() throws {
        let dashboard = try Self.dashboard()
        #expect(dashboard["uid"] as? String == "storekeeper")
        let variables = ((dashboard["templating"] as? [String: Any])?["list"] as? [[String: Any]]) ?? []
        #expect(variables.compactMap { $0["name"] as? String } == ["datasource", "instance"])
        let panels = Self.panels(dashboard)
        let ids = panels.compactMap { $0["id"] as? Int }
        #expect(Set(ids).count == panels.count, "panel ids are unique")
        for panel in panels where panel["type"] as? String != "row" {
            let title = panel["title"] as? String ?? "?"
            let datasource = panel["datasource"] as? [String: Any]
            #expect(datasource?["uid"] as? String == "${datasource}", "\(title) uses the datasource variable")
            for query in Self.queries(["panels": [panel]]) {
                #expect(
                    query.expression.contains("instance=~\"$instance\""),
                    "\(title): \(query.expression) follows the host variable")
            }
        }
        // Panels of one row must not overlap on Grafana's 24-column grid.
        var cells: Set<[Int]> = []
        for panel in panels {
            guard let grid = panel["gridPos"] as? [String: Int], let x = grid["x"], let y = grid["y"],
                let w = grid["w"], let h = grid["h"]
            else { continue }
            #expect(x + w <= 24, "\(panel["title"] ?? "?") fits the grid")
            for column in x..<(x + w) {
                for line in y..<(y + h) {
                    #expect(cells.insert([column, line]).inserted, "\(panel["title"] ?? "?") overlaps another panel")
                }
            }
        }
    }

    @Test(
        .enabled(
            if: FileManager.default.isExecutableFile(atPath: "/usr/bin/prometheus"),
            "needs Debian's prometheus (scripts/test installs it)"))
    func everyQueryReturnsDataFromARealPrometheus() throws {
        let (tree, daemon) = try HTTPTests.served()
        // A cleanup, so the cleanup panels have a last run and counters that moved.
        try tree.sh(
            "mkdir -p temp/old && head -c 500 /dev/zero > temp/old/expired.part && touch -d '30 days ago' temp/old/expired.part"
        )
        try WatcherScenarioTests.expectMatch(tree, daemon)
        let cleaned = try tree.storekeeper(["clean"])
        #expect(cleaned.status == 0, "\(cleaned.stderr)")

        let prometheus = try RealPrometheus(scraping: daemon.port, in: tree.root)
        defer { prometheus.stop() }
        try waitFor("Prometheus to hold a few scrapes of the daemon", timeout: 60) {
            try prometheus.isRunning()
                && (prometheus.query("count_over_time(storekeeper_daemon_up[1m])")?.first ?? 0) >= 4
        }
        let dashboard = try Self.dashboard()
        let instances = try prometheus.query("storekeeper_daemon_up{instance=~\".*\"}")
        #expect(instances?.isEmpty == false, "the instance variable's label_values source has series")
        for query in Self.queries(dashboard) {
            let values = try prometheus.query(Self.substituted(query.expression))
            #expect(values?.isEmpty == false, "\(query.panel): \(query.expression) returned no data")
        }
    }
}

/// A Prometheus server on a free port scraping one daemon every second.
struct RealPrometheus {
    let process: Process
    let port: Int
    let log: String

    init(scraping target: Int, in folder: String) throws {
        port = HTTPClient.freePort()
        let configuration = folder + "/prometheus.yml"
        try """
        global:
          scrape_interval: 1s
          evaluation_interval: 1s
        scrape_configs:
          - job_name: storekeeper
            static_configs:
              - targets: ["127.0.0.1:\(target)"]
        """.write(toFile: configuration, atomically: true, encoding: .utf8)
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/prometheus")
        process.arguments = [
            "--config.file=\(configuration)", "--storage.tsdb.path=\(folder)/tsdb",
            "--web.listen-address=127.0.0.1:\(port)", "--log.level=warn",
        ]
        log = folder + "/prometheus.log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = FileHandle.nullDevice
        try process.run()
    }

    func isRunning() throws -> Bool {
        guard process.isRunning else {
            throw DaemonProcess.DaemonError.exited(log: (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
        }
        return true
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }

    /// The instant query's sample values; nil when Prometheus refused the query.
    func query(_ expression: String) throws -> [Double]? {
        let result = try Shell.run(
            [
                "curl", "-s", "--max-time", "5", "-G", "--data-urlencode", "query=\(expression)",
                "http://127.0.0.1:\(port)/api/v1/query",
            ], in: "/")
        guard let json = try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any],
            json["status"] as? String == "success", let data = json["data"] as? [String: Any],
            let series = data["result"] as? [[String: Any]]
        else { return nil }
        return series.compactMap { ($0["value"] as? [Any])?.last as? String }.compactMap(Double.init)
    }
}
