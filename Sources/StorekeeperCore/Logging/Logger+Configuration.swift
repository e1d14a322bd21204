extension MonitoringSettings.LogLevel {
    /// The configured `monitoring.log_level` as the logger's threshold.
    public var loggerLevel: Logger.Level {
        switch self {
        case .debug: .debug
        case .info: .info
        case .warning: .warning
        case .error: .error
        }
    }
}
