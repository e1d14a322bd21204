import StorekeeperConfig

/// How a shell completes an option's value.
enum ValueCompletion: Sendable {
    /// Nothing to offer: the user types it.
    case none
    case files
    /// The category keys of the configuration the command line names.
    case categories
}

/// What `--help`, the completion scripts and the man page know of an option:
/// the part of an `Option` that does not depend on the command's options type.
struct OptionSpec: Sendable {
    let name: String
    /// `-h` for `--help`.
    let shortName: String?
    /// nil for a flag.
    let valueName: String?
    let help: String
    let completion: ValueCompletion
    /// Accepted only before the subcommand (`--version`).
    let onlyBeforeCommand: Bool

    var takesValue: Bool { valueName != nil }

    /// `-h, --help`, `--config <file>`: the option as help lists it.
    var synopsis: String {
        (shortName.map { $0 + ", " } ?? "") + name + (valueName.map { " <\($0)>" } ?? "")
    }

    /// `--category <key>`: the option as an error message names it.
    var usage: String { name + (valueName.map { " <\($0)>" } ?? "") }

    func matches(_ word: String) -> Bool { word == name || (shortName != nil && word == shortName) }
}

/// One option of a command, declared once: its name, value and help, and how
/// it sets its field of `Options`. Parsing, `--help`, completion and the man
/// page all read the same declaration.
struct Option<Options>: Sendable {
    let spec: OptionSpec
    /// The field it sets, so checks that concern several options (conflicts)
    /// name fields, not strings.
    let field: PartialKeyPath<Options> & Sendable
    /// Sets the field from the value given (nil for a flag).
    let apply: @Sendable (inout Options, String?) throws(UsageError) -> Void

    static func flag(
        _ name: String, short: String? = nil, _ field: WritableKeyPath<Options, Bool> & Sendable, help: String,
        onlyBeforeCommand: Bool = false
    ) -> Option {
        let spec = OptionSpec(
            name: name, shortName: short, valueName: nil, help: help, completion: .none,
            onlyBeforeCommand: onlyBeforeCommand)
        return Option(spec: spec, field: field) { options, _ in options[keyPath: field] = true }
    }

    static func value<Value>(
        _ name: String, _ valueName: String, _ field: WritableKeyPath<Options, Value> & Sendable,
        as conversion: ValueConversion<Value>, completion: ValueCompletion = .none, help: String
    ) -> Option {
        let spec = OptionSpec(
            name: name, shortName: nil, valueName: valueName, help: help, completion: completion,
            onlyBeforeCommand: false)
        return Option(spec: spec, field: field) { options, text throws(UsageError) in
            options[keyPath: field] = try conversion.convert(text ?? "", name)
        }
    }

    /// `--json`, the same in every command that prints a result.
    static func json(_ field: WritableKeyPath<Options, Bool> & Sendable) -> Option {
        .flag("--json", field, help: "Print the result as JSON.")
    }
}

/// How an option's text becomes its field's value; the error names the option.
struct ValueConversion<Value>: Sendable {
    let convert: @Sendable (_ text: String, _ option: String) throws(UsageError) -> Value
}

extension ValueConversion where Value == String? {
    static var text: Self { Self { text, _ in text } }
}

extension ValueConversion where Value == Double {
    /// A number of seconds, 0 or more, fractions allowed.
    static var seconds: Self {
        Self { text, option throws(UsageError) in
            guard let seconds = Double(text), seconds >= 0 else {
                throw UsageError("'\(option)' takes seconds, got '\(text)'")
            }
            return seconds
        }
    }
}

extension ValueConversion where Value == Int {
    /// A whole number of `noun`, 0 or more.
    static func count(of noun: String) -> Self {
        Self { text, option throws(UsageError) in
            guard let count = Int(text), count >= 0 else {
                throw UsageError("'\(option)' takes a number of \(noun), got '\(text)'")
            }
            return count
        }
    }
}

extension ValueConversion where Value: RawRepresentable & CaseIterable & Sendable, Value.RawValue == String {
    /// One word of a fixed list, read into an enum; the error lists the words.
    static var choice: Self {
        Self { text, option throws(UsageError) in
            guard let value = Value(rawValue: text) else {
                let words = Value.allCases.map(\.rawValue)
                throw UsageError(
                    "'\(option)' takes \(words.joinedAsList("or")), got '\(text)'"
                        + Suggestion.phrase(for: text, among: words))
            }
            return value
        }
    }
}
