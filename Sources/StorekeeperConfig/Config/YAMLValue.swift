/// The value of a scalar after YAML 1.1 implicit typing (PyYAML's SafeLoader).
public enum YAMLValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case float(Double)
    case string(String)
}
