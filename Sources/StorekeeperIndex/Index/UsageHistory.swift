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

    /// One series per category, in category order.
    /// One category's samples, oldest first.
    public struct Series: Sendable, Equatable {
        public let category: String
        public var samples: [Sample]

        public init(category: String, samples: [Sample]) {
            self.category = category
            self.samples = samples
        }
    }

    public var series: [Series]

    public init(series: [Series]) {
        self.series = series
    }
}
