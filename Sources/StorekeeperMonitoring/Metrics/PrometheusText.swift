import StorekeeperEngine
import StorekeeperSystem

/// Builds Prometheus text exposition format 0.0.4: one `# HELP`/`# TYPE` pair
/// per metric family, then its samples, label values escaped.
public struct PrometheusText {
    public enum Kind: String { case gauge, counter }

    private var lines: [String] = []

    public init() {}

    public mutating func family(_ name: String, _ kind: Kind, help: String, samples: [([(String, String)], Double)]) {
        lines.append("# HELP \(name) \(help)")
        lines.append("# TYPE \(name) \(kind.rawValue)")
        for (labels, value) in samples {
            let labelText =
                labels.isEmpty
                ? "" : "{" + labels.map { "\($0.0)=\"\(Self.escape($0.1))\"" }.joined(separator: ",") + "}"
            lines.append(name + labelText + " " + Self.format(value))
        }
    }

    public var text: String { lines.joined(separator: "\n") + "\n" }

    static func escape(_ value: String) -> String {
        var out = ""
        for character in value {
            switch character {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out
    }

    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded() && abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}
