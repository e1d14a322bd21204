import StorekeeperConfig
import StorekeeperHTTP
import StorekeeperIndex
import StorekeeperMonitoring
import StorekeeperSystem

/// `GET /` and `GET /api/v1/storage/history`: what the status page shows,
/// read from the index like `stats` (the same report, so the same numbers).
extension StorageAPI {
    static let recentRuns = 20
    static let expiryWindow: Int64 = 86_400
    static let defaultHistoryDays: Int64 = 7
    static let maximumHistoryDays: Int64 = 400

    func statusPage() throws -> StatusPage {
        let store = try store()
        let now = WallClock.now()
        let report = try StorageReport.read(layout: layout, store: store, daemon: board.current)
            .inForce(configuration.categories)
        let categories = try report.categories.map { usage in
            let policy = configuration.categories.first { $0.key == usage.category }
            let expiring: (files: Int64, bytes: Int64) =
                try policy.map { try store.expiring(category: $0, now: now, window: Self.expiryWindow) } ?? (0, 0)
            return StatusPage.Category(
                usage: usage, expiringFiles: expiring.files, expiringBytes: expiring.bytes,
                oldestPath: usage.oldestMtime == nil ? nil : try store.oldestFile(category: usage.category))
        }
        return StatusPage(
            report: report, categories: categories, runs: try store.recentCleanupRuns(limit: Self.recentRuns),
            history: try store.usageHistory(since: now - UsageChart.days * 86_400),
            monitoring: configuration.monitoring, now: now)
    }

    /// `?days=N` (1 to 400, default 7): every category's samples, oldest first.
    func history(_ query: [(name: String, value: String)]) throws -> HTTPResponse {
        var days = Self.defaultHistoryDays
        if let text = query.first(where: { $0.name == "days" })?.value {
            guard let parsed = Int64(text), (1...Self.maximumHistoryDays).contains(parsed) else {
                return .error(
                    .badRequest, "days must be a whole number from 1 to \(Self.maximumHistoryDays), got '\(text)'")
            }
            days = parsed
        }
        let now = WallClock.now()
        let history = try store().usageHistory(since: now - days * 86_400)
        let categories: [(String, JSONValue)] = history.series.map { series in
            (
                series.category,
                .array(
                    series.samples.map {
                        .object([("at", .int($0.at)), ("files", .int($0.files)), ("bytes", .int($0.bytes))])
                    })
            )
        }
        return .json(
            .ok,
            .object([
                ("since", .int(now - days * 86_400)),
                ("interval_seconds", .int(configuration.monitoring.historyIntervalSeconds)),
                ("categories", .object(categories)),
            ]))
    }
}
