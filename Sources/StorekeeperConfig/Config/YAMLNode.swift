/// A node of the YAML subset: scalars, sequences of scalars, and block
/// mappings that keep their source order.
public indirect enum YAMLNode: Equatable, Sendable {
    case scalar(YAMLScalar)
    case sequence([YAMLNode], line: Int)
    case mapping([YAMLMappingEntry], line: Int)

    /// The line the node starts on, for error messages about its value.
    public var line: Int {
        switch self {
        case .scalar(let scalar): scalar.line
        case .sequence(_, let line): line
        case .mapping(_, let line): line
        }
    }
}
