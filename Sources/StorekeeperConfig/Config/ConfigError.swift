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
    /// The further mistakes found in the same file, in the order found: a
    /// config is reported whole, not one edit-and-retry at a time.
    public internal(set) var others: [ConfigError] = []

    public init(file: String, line: Int?, key: String?, message: String) {
        self.file = file
        self.line = line
        self.key = key
        self.message = message
    }

    /// This mistake and the others, each once.
    public var all: [ConfigError] {
        var seen: Set<String> = []
        return ([self] + others).filter { seen.insert($0.single).inserted }
    }

    /// `file:line: key: message` per mistake, one a line, leaving out what is unknown.
    public var description: String {
        all.map(\.single).joined(separator: "\n")
    }

    private var single: String {
        Self.describe(file: file, line: line, key: key, message: message)
    }

    /// One error holding `errors` (at least one), sorted by file and line.
    static func combining(_ errors: [ConfigError]) -> ConfigError {
        let single = errors.flatMap(\.all).map { error in
            var error = error
            error.others = []
            return error
        }
        let sorted = single.enumerated().sorted { left, right in
            let (a, b) = (left.element, right.element)
            if a.file != b.file { return a.file != "environment" && b.file == "environment" }
            if a.line != b.line { return (a.line ?? Int.max) < (b.line ?? Int.max) }
            return left.offset < right.offset
        }.map(\.element)
        var first = sorted[0]
        first.others = Array(sorted.dropFirst())
        return first
    }

    static func describe(file: String, line: Int?, key: String?, message: String) -> String {
        let location = line.map { "\(file):\($0)" } ?? file
        return [location, key, message].compactMap { $0 }.joined(separator: ": ")
    }
}
