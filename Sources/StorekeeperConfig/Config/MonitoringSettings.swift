import StorekeeperSystem

/// Logging, metrics and the low-disk alert.
public struct MonitoringSettings: Sendable, Equatable {
    public enum LogLevel: String, Sendable, CaseIterable {
        case debug
        case info
        case warning
        case error

        /// Accepts `DEBUG`, `INFO`, `WARNING`, `WARN` and `ERROR` in any
        /// case: configurations written for the earlier Python design say
        /// `"INFO"`, Python's logging names.
        public init?(configValue: String) {
            let lowered = configValue.lowercased()
            if lowered == "warn" {
                self = .warning
            } else if let level = LogLevel(rawValue: lowered) {
                self = level
            } else {
                return nil
            }
        }
    }

    public var logLevel: LogLevel
    public var metricsEnabled: Bool
    /// Free-space percentage of the base path's filesystem below which
    /// Storekeeper alerts and frees space.
    public var alertThresholdPercent: Double
    /// Optional floor of free bytes: below it the disk is low too, whatever
    /// the percentage (a large filesystem at 10 % can still have room for hours).
    public var minFreeBytes: Int64?
    /// Optional log file next to stderr, reopened on SIGHUP.
    public var logFile: String?
    /// `host:port` of the metrics and API listener.
    public var metricsListen: String
    /// Lets `metricsListen` be an address other machines can reach. Off by
    /// default: the API can start cleanups and has no authentication.
    public var allowRemote: Bool
    /// Optional node_exporter textfile-collector output.
    public var textfilePath: String?
    /// Age after which rows of the `events` log are pruned; nil keeps them forever (-1).
    public var eventRetentionSeconds: Int64?
    /// Estimated on-disk size above which the daemon prunes the oldest
    /// `events` rows (the watcher's churn first); nil means no size bound (-1).
    /// 256 MiB is over 2 million events: a month at up to about 50 events a
    /// minute, or a few hours of a storm of hundreds a second.
    public var eventLogMaxBytes: Int64? = 256 * 1_048_576
    /// How often the daemon copies `usage` into `usage_history` (the status page's chart).
    public var historyIntervalSeconds: Int64 = 300
    /// Age after which `usage_history` samples are pruned.
    public var historyRetentionSeconds: Int64 = 30 * 86_400

    /// The smallest size bound accepted: a few hundred events, below which
    /// the log would say little about what happened.
    public static let smallestEventLogBound: Int64 = 64 * 1024

    public init(
        logLevel: LogLevel = .info,
        metricsEnabled: Bool = true,
        alertThresholdPercent: Double = 10,
        logFile: String? = nil,
        metricsListen: String = "127.0.0.1:9464",
        allowRemote: Bool = false,
        textfilePath: String? = nil,
        eventRetentionSeconds: Int64? = 30 * 86_400,
        minFreeBytes: Int64? = nil
    ) {
        self.minFreeBytes = minFreeBytes
        self.logLevel = logLevel
        self.metricsEnabled = metricsEnabled
        self.alertThresholdPercent = alertThresholdPercent
        self.logFile = logFile
        self.metricsListen = metricsListen
        self.allowRemote = allowRemote
        self.textfilePath = textfilePath
        self.eventRetentionSeconds = eventRetentionSeconds
    }

    /// True when `space` is below the alert threshold or `min_free_bytes`.
    public func isLow(_ space: FileSystemSpace) -> Bool {
        space.freePercent < alertThresholdPercent || minFreeBytes.map { space.freeBytes < $0 } ?? false
    }

    /// Bytes to free to leave the low state (0 when not low).
    public func lowDiskShortfall(_ space: FileSystemSpace) -> Int64 {
        let byPercent = Int64(saturating: Double(space.totalBytes) * alertThresholdPercent / 100)
        let wanted = max(byPercent, minFreeBytes ?? 0)
        return max(0, wanted.subtractingSaturating(space.freeBytes))
    }

    /// Why `address` may not be listened on with these settings, or nil.
    public func listenProblem(_ address: String) -> String? {
        guard let parsed = ListenAddress(address) else {
            return "expected host:port with a port from 0 to 65535, found '\(address)'"
        }
        guard parsed.isLoopback || allowRemote else {
            return "\(parsed.host) is not a loopback address: set monitoring.allow_remote: true to serve metrics and "
                + "the API (which can start cleanups and has no authentication) to other machines"
        }
        return nil
    }
}
