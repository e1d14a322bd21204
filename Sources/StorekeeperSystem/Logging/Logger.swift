import Glibc
import Synchronization

/// One line per event: level, a constant message, then `key=value` fields
/// sorted by key (swift-log's StreamLogHandler shape), so lines can be grepped
/// by message and parsed by field. Passed in, never global.
///
/// Every line goes to stderr; under systemd (see `LogStyle`) it starts with
/// the sd-daemon priority and carries no timestamp, since journald adds both.
/// With a log file (`monitoring.log_file`) each line is also appended there,
/// timestamped; `reopen()` starts a new file at the same path after logrotate
/// moved the old one away (the daemon calls it on SIGHUP).
public final class Logger: Sendable {
    public enum Level: Int, Comparable, Sendable {
        case debug, info, warning, error

        public static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }

        var name: String {
            switch self {
            case .debug: "debug"
            case .info: "info"
            case .warning: "warning"
            case .error: "error"
            }
        }

        /// The syslog priority sd-daemon(3) prefixes expect: `<7>` debug,
        /// `<6>` info, `<4>` warning, `<3>` error.
        var syslogPriority: Int {
            switch self {
            case .debug: 7
            case .info: 6
            case .warning: 4
            case .error: 3
            }
        }
    }

    /// How stderr lines look.
    public enum Style: Sendable, Equatable {
        /// `2026-01-02T03:04:05Z info message key=value`
        case plain
        /// `<6>info message key=value`: journald reads the priority and stamps the time.
        case journal
    }

    /// The threshold; the daemon changes it when its configuration is reloaded.
    public var minimumLevel: Level { Level(rawValue: level.load(ordering: .relaxed)) ?? .info }
    private let level: Atomic<Int>
    public let style: Style
    /// The log file, absolute; nil when logging to stderr only.
    public let filePath: String?

    private struct Sinks {
        var file: FileDescriptor?
        /// Set after a failed write to the file, so the failure is reported
        /// once on stderr instead of once per line.
        var fileFailing = false
    }

    private let standardError: Int32
    private let sinks: Mutex<Sinks>

    public convenience init(minimumLevel: Level = .info) {
        try! self.init(minimumLevel: minimumLevel, style: .plain, filePath: nil)
    }

    /// Opens `filePath` (when given) for appending: `O_APPEND|O_CREAT|O_CLOEXEC`,
    /// mode 0640. A file that cannot be opened is an error, never a silent drop.
    /// `standardError` is the descriptor for the stderr sink (tests pass their own).
    public init(
        minimumLevel: Level, style: Style, filePath: String?, standardError: Int32 = STDERR_FILENO
    ) throws(LogFileError) {
        level = Atomic(minimumLevel.rawValue)
        self.style = style
        self.standardError = standardError
        let absolute = filePath.map(Self.absolutePath)
        self.filePath = absolute
        var file: FileDescriptor?
        if let absolute { file = try Self.openLogFile(absolute) }
        self.sinks = Mutex(Sinks(file: file))
    }

    public func setMinimumLevel(_ newLevel: Level) {
        level.store(newLevel.rawValue, ordering: .relaxed)
    }

    public func log(_ level: Level, _ message: StaticString, _ fields: [String: String] = [:]) {
        guard level >= minimumLevel else { return }
        let now = WallClock.now()
        let consoleLine = Self.line(level, "\(message)", fields, style: style, time: now)
        let fileLine = filePath == nil ? nil : Self.line(level, "\(message)", fields, style: .plain, time: now)
        sinks.withLock { sinks in
            Self.writeAll(consoleLine, to: standardError)
            guard let fileLine, let file = sinks.file else { return }
            do {
                // One write per line with O_APPEND: lines from the CLI and the
                // daemon appending to the same file never interleave.
                try file.write(Array(fileLine.utf8))
                sinks.fileFailing = false
            } catch {
                guard !sinks.fileFailing else { return }
                sinks.fileFailing = true
                let report = Self.line(
                    .error, "cannot write the log file", ["path": filePath ?? "", "error": "\(error)"],
                    style: style, time: now)
                Self.writeAll(report, to: standardError)
            }
        }
    }

    public func debug(_ message: StaticString, _ fields: [String: String] = [:]) { log(.debug, message, fields) }
    public func info(_ message: StaticString, _ fields: [String: String] = [:]) { log(.info, message, fields) }
    public func warning(_ message: StaticString, _ fields: [String: String] = [:]) { log(.warning, message, fields) }
    public func error(_ message: StaticString, _ fields: [String: String] = [:]) { log(.error, message, fields) }

    /// Opens the log file's path again and switches to it (logrotate moved the
    /// old file away). Returns false when there is no log file. If the path
    /// cannot be opened the old file is kept, so nothing is lost, and the error
    /// is thrown for the caller to log.
    @discardableResult
    public func reopen() throws(LogFileError) -> Bool {
        guard let filePath else { return false }
        try sinks.withLock { (sinks) throws(LogFileError) in
            let replacement = try Self.openLogFile(filePath)
            sinks.file?.close()
            sinks.file = replacement
            sinks.fileFailing = false
        }
        return true
    }

    /// One event as one line, newline included.
    static func line(_ level: Level, _ message: String, _ fields: [String: String], style: Style, time: Int64)
        -> String
    {
        var line =
            switch style {
            case .plain: Formatting.isoTimestamp(time) + " " + level.name + " " + message
            case .journal: "<\(level.syslogPriority)>" + level.name + " " + message
            }
        for key in fields.keys.sorted() {
            line += " " + key + "=" + quoteIfNeeded(fields[key]!)
        }
        return line + "\n"
    }

    /// Values with spaces, quotes or control characters are quoted and escaped,
    /// so one event is always one line.
    static func quoteIfNeeded(_ value: String) -> String {
        let plain =
            !value.isEmpty
            && value.unicodeScalars.allSatisfy {
                $0.value > 0x20 && $0 != "\"" && $0 != "=" && $0 != "\\" && $0.value != 0x7F
            }
        if plain { return value }
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += "\\x" + String(scalar.value, radix: 16)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    private static func openLogFile(_ path: String) throws(LogFileError) -> FileDescriptor {
        do {
            return try FileDescriptor.open(
                Array(path.utf8), access: .writeOnly, options: [.append, .create, .noControllingTerminal], mode: 0o640)
        } catch {
            throw LogFileError(path: path, errno: error.errno)
        }
    }

    /// Reopening must find the same file after the working directory changed.
    private static func absolutePath(_ path: String) -> String {
        guard !path.hasPrefix("/"), let cwd = getcwd(nil, 0) else { return path }
        defer { free(cwd) }
        return String(cString: cwd) + "/" + path
    }

    /// stderr is best effort: a closed or full stderr must not stop the daemon.
    private static func writeAll(_ text: String, to descriptor: Int32) {
        if descriptor == STDERR_FILENO { fflush(nil) }
        writeBestEffort(Array(text.utf8), to: descriptor)
    }
}
