import Glibc
import Synchronization

/// One line per event: time, level, a constant message, then `key=value`
/// fields sorted by key (swift-log's StreamLogHandler shape), so lines can be
/// grepped by message and parsed by field. Passed in, never global.
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
    }

    public let minimumLevel: Level
    private let lock = Mutex(())

    public init(minimumLevel: Level = .info) {
        self.minimumLevel = minimumLevel
    }

    public func log(_ level: Level, _ message: StaticString, _ fields: [String: String] = [:]) {
        guard level >= minimumLevel else { return }
        var line = Formatting.isoTimestamp(WallClock.now()) + " " + level.name + " " + "\(message)"
        for key in fields.keys.sorted() {
            line += " " + key + "=" + Self.quoteIfNeeded(fields[key]!)
        }
        line += "\n"
        lock.withLock { _ in Console.writeStandardError(line) }
    }

    public func debug(_ message: StaticString, _ fields: [String: String] = [:]) { log(.debug, message, fields) }
    public func info(_ message: StaticString, _ fields: [String: String] = [:]) { log(.info, message, fields) }
    public func warning(_ message: StaticString, _ fields: [String: String] = [:]) { log(.warning, message, fields) }
    public func error(_ message: StaticString, _ fields: [String: String] = [:]) { log(.error, message, fields) }

    /// Values with spaces, quotes or control characters are quoted and escaped,
    /// so one event is always one line.
    static func quoteIfNeeded(_ value: String) -> String {
        let plain = !value.isEmpty && value.unicodeScalars.allSatisfy {
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
}
