/// One `key: value` pair of a block mapping; the key is always a string.
public struct YAMLMappingEntry: Equatable, Sendable {
    public let key: String
    public let keyLine: Int
    public let value: YAMLNode

    public init(key: String, keyLine: Int, value: YAMLNode) {
        self.key = key
        self.keyLine = keyLine
        self.value = value
    }
}
