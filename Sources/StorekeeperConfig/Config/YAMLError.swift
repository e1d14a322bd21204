/// A document outside the YAML subset Storekeeper reads, or malformed YAML.
///
/// The message names the construct and, where it helps, the column, so that
/// `storekeeper check` can point at the exact place to fix.
public struct YAMLError: Error, Equatable, CustomStringConvertible {
    public let file: String
    public let line: Int
    public let message: String

    public init(file: String, line: Int, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String { "\(file):\(line): \(message)" }
}
