import StorekeeperSystem

/// One scalar as written, with the value PyYAML's SafeLoader would give it.
///
/// `resolved` is computed once by the reader: plain scalars whose reading is
/// ambiguous (dates, sexagesimal, leading-zero octal, …) never reach this
/// type, so every scalar that exists has exactly one meaning.
public struct YAMLScalar: Equatable, Sendable {
    public enum Style: Equatable, Sendable {
        case plain
        case singleQuoted
        case doubleQuoted
    }

    public let text: String
    public let style: Style
    public let line: Int
    public let resolved: YAMLValue

    static func null(line: Int) -> YAMLScalar {
        YAMLScalar(text: "", style: .plain, line: line, resolved: .null)
    }
}
