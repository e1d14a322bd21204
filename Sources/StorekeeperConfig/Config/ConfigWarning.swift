/// A configuration that loads but probably does not do what was meant
/// (retention 0, a relative base path, keys left to the host application).
public struct ConfigWarning: Sendable, Equatable, CustomStringConvertible {
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
        ConfigError.describe(file: file, line: line, key: key, message: message)
    }
}
