import StorekeeperConfig

/// What `--help`, the completion scripts and the man page know of a
/// positional argument.
struct ArgumentSpec: Sendable {
    let name: String
    let help: String
    /// The words it takes, when they are a fixed list (offered by completion).
    let choices: [String]?
    let required: Bool
}

/// One positional argument of a command, declared once, and how it sets its
/// field of `Options`.
struct Argument<Options>: Sendable {
    let spec: ArgumentSpec
    let apply: @Sendable (inout Options, String) throws(UsageError) -> Void

    /// One word of a fixed list, read into an enum; help names the words.
    static func choice<Value: RawRepresentable & CaseIterable & Sendable>(
        _ name: String, _ field: WritableKeyPath<Options, Value> & Sendable
    ) -> Argument where Value.RawValue == String {
        let words = Value.allCases.map(\.rawValue)
        let spec = ArgumentSpec(name: name, help: words.joinedAsList("or"), choices: words, required: true)
        return Argument(spec: spec) { options, text throws(UsageError) in
            guard let value = Value(rawValue: text) else {
                throw UsageError(
                    "unknown \(name) '\(text)' (expected \(words.joinedAsList("or")))"
                        + Suggestion.phrase(for: text, among: words))
            }
            options[keyPath: field] = value
        }
    }

    /// Any word, such as a path.
    static func text(
        _ name: String, _ field: WritableKeyPath<Options, String?> & Sendable, required: Bool, help: String
    ) -> Argument {
        let spec = ArgumentSpec(name: name, help: help, choices: nil, required: required)
        return Argument(spec: spec) { options, text in options[keyPath: field] = text }
    }
}

extension [String] {
    /// `bash, zsh, fish or man`, `'--json' and '--prometheus'`
    func joinedAsList(_ conjunction: String) -> String {
        guard let last, count > 1 else { return first ?? "" }
        return dropLast().joined(separator: ", ") + " \(conjunction) " + last
    }
}
