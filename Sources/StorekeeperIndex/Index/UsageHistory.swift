/// Bytes per category over time, as the daemon samples them into the index's
/// `usage_history` table: the series behind the status page's chart and
/// `GET /api/v1/storage/history`.
public struct UsageHistory: Sendable, Equatable {
    public struct Sample: Sendable, Equatable {
        public let at: Int64
        public let bytes: Int64
        public let files: Int64

        public init(at: Int64, bytes: Int64, files: Int64) {
            self.at = at
            self.bytes = bytes
            self.files = files
        }
    }

    /// Category -> samples, oldest first.
    public var series: [(category: String, samples: [Sample])]

    public init(series: [(category: String, samples: [Sample])]) {
        self.series = series
    }

    public static func == (left: UsageHistory, right: UsageHistory) -> Bool {
        left.series.map(\.category) == right.series.map(\.category)
            && left.series.map(\.samples) == right.series.map(\.samples)
    }
}
