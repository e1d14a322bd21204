/// A configuration that cannot be used: the CLI prints it and exits with 78
/// (EX_CONFIG) before touching anything.
///
/// `file` is the config file, or `"environment"` with `key` holding the
/// variable name when an environment override is at fault.
public struct ConfigError: Error, Equatable, CustomStringConvertible {
    public let file: String
    public let line: Int?
    public let key: String?
    public let message: String

    public init(file: String, line: Int?, key: String?, message: String) {
        self.file = file
        self.line = line
        self.key = key
        self.message = message
    }

    /// `file:line: key: message`, leaving out what is unknown.
    public var description: String {
        Self.describe(file: file, line: line, key: key, message: message)
    }

    static func describe(file: String, line: Int?, key: String?, message: String) -> String {
        let location = line.map { "\(file):\($0)" } ?? file
        return [location, key, message].compactMap { $0 }.joined(separator: ": ")
    }
}
