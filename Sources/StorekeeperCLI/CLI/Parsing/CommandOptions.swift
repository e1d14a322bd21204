/// The typed options of one command: a value that parsing fills, and the
/// declarations that say how. A command reads `options.json`, never a name.
protocol CommandOptions: Sendable {
    init()
    static var options: [Option<Self>] { get }
    static var arguments: [Argument<Self>] { get }
    /// Groups of options of which at most one may be given, named by the
    /// fields they set.
    static var exclusive: [[PartialKeyPath<Self> & Sendable]] { get }
    /// Checks that concern several fields together, such as an option that
    /// applies to one action only; run after every option and argument is set.
    func validate() throws(UsageError)
}

extension CommandOptions {
    static var arguments: [Argument<Self>] { [] }
    static var exclusive: [[PartialKeyPath<Self> & Sendable]] { [] }
    func validate() throws(UsageError) {}

    /// The option that sets `field`, so a message names it as declared.
    static func option(setting field: PartialKeyPath<Self>) -> OptionSpec {
        guard let option = options.first(where: { $0.field == field }) else {
            preconditionFailure("no option of \(Self.self) sets \(field)")
        }
        return option.spec
    }

    /// The options as the command line gave them (already matched to their
    /// declarations by `CommandLineParser`) and the positional words.
    static func parse(_ given: [GivenOption], arguments words: [String]) throws(UsageError) -> Self {
        var options = Self()
        let arguments = Self.arguments
        if words.count > arguments.count {
            throw UsageError("unexpected argument '\(words[arguments.count])'")
        }
        if let missing = arguments.dropFirst(words.count).first(where: \.spec.required) {
            throw UsageError("missing argument <\(missing.spec.name)>")
        }
        for (argument, word) in zip(arguments, words) { try argument.apply(&options, word) }
        for option in given { try Self.options[option.index].apply(&options, option.value) }
        try checkExclusive(given)
        try options.validate()
        return options
    }

    private static func checkExclusive(_ given: [GivenOption]) throws(UsageError) {
        let fields = given.map { options[$0.index].field }
        for group in exclusive {
            let present = group.filter { field in fields.contains { $0 == field } }
            if present.count > 1 {
                let names = present.map { "'\(option(setting: $0).name)'" }
                throw UsageError(names.joinedAsList("and") + " cannot be combined")
            }
        }
    }
}

/// An option found on the command line: which declaration, and its value.
struct GivenOption: Sendable, Equatable {
    let index: Int
    let value: String?
}

/// The options of a command that has none of its own.
struct NoOptions: CommandOptions {
    static let options: [Option<Self>] = []
}

/// The options of a command whose only choice is how to print its result.
struct OutputOptions: CommandOptions {
    var json = false

    static let options: [Option<Self>] = [.json(\.json)]
}
