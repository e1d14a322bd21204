import Glibc
import StorekeeperSystem

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

extension Logger {
    /// The logger every command uses: the configured level (or `minimumLevel`
    /// when a command wants less, e.g. `--json`), journald prefixes when stderr
    /// is the journal, and `monitoring.log_file` when set.
    ///
    /// With `logFileRequired` (the daemon) a log file that cannot be opened
    /// throws; without it (a person running a CLI command who may not write
    /// the daemon's log) it is reported on stderr and the command goes on.
    public static func make(
        configuration: Configuration, environment: [String: String], minimumLevel: Level? = nil,
        logFileRequired: Bool = true
    ) throws(LogFileError) -> Logger {
        let level = minimumLevel ?? configuration.monitoring.logLevel.loggerLevel
        let style = Style.detect(environment: ProcessEnvironment(environment))
        let path = configuration.monitoring.logFile.flatMap { $0.isEmpty ? nil : $0 }
        do throws(LogFileError) {
            return try Logger(minimumLevel: level, style: style, filePath: path)
        } catch  where !logFileRequired {
            let logger = Logger(minimumLevel: level, style: style)
            logger.warning("logging to stderr only", ["error": error.description])
            return logger
        }
    }

    private convenience init(minimumLevel: Level, style: Style) {
        try! self.init(minimumLevel: minimumLevel, style: style, filePath: nil)
    }
}

extension Logger.Style {
    /// `STOREKEEPER_LOG_STYLE=journal` or `plain` decides; otherwise journal
    /// when stderr is the stream systemd named in `JOURNAL_STREAM` (its
    /// `device:inode`, compared with `fstat(2)` as systemd.exec(5) advises, so a
    /// child whose stderr was redirected does not inherit the prefixes).
    public static func detect(environment: ProcessEnvironment, standardError: Int32 = STDERR_FILENO) -> Logger.Style {
        switch environment[.logStyle] {
        case "journal": return .journal
        case "plain": return .plain
        default: break
        }
        guard let stream = environment[.journalStream] else { return .plain }
        let parts = stream.split(separator: ":")
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return .plain }
        var st = stat()
        guard fstat(standardError, &st) == 0 else { return .plain }
        return UInt64(st.st_dev) == device && UInt64(st.st_ino) == inode ? .journal : .plain
    }
}
