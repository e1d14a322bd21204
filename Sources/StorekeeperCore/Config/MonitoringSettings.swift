/// Logging, metrics and the low-disk alert.
public struct MonitoringSettings: Sendable, Equatable {
    public enum LogLevel: String, Sendable, CaseIterable {
        case debug
        case info
        case warning
        case error

        /// Accepts `DEBUG`, `INFO`, `WARNING`, `WARN` and `ERROR` in any
        /// case: the seed writes `"INFO"`, Python's logging names.
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
    /// Optional log file next to stderr, reopened on SIGHUP.
    public var logFile: String?
    /// `host:port` of the metrics and API listener.
    public var metricsListen: String
    /// Optional node_exporter textfile-collector output.
    public var textfilePath: String?
    /// Age after which rows of the `events` log are pruned; nil keeps them forever (-1).
    public var eventRetentionSeconds: Int64?

    public init(
        logLevel: LogLevel = .info,
        metricsEnabled: Bool = true,
        alertThresholdPercent: Double = 10,
        logFile: String? = nil,
        metricsListen: String = "127.0.0.1:9464",
        textfilePath: String? = nil,
        eventRetentionSeconds: Int64? = 30 * 86_400
    ) {
        self.logLevel = logLevel
        self.metricsEnabled = metricsEnabled
        self.alertThresholdPercent = alertThresholdPercent
        self.logFile = logFile
        self.metricsListen = metricsListen
        self.textfilePath = textfilePath
        self.eventRetentionSeconds = eventRetentionSeconds
    }
}
