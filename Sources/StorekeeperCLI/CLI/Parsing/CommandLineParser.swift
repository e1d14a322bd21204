import StorekeeperConfig

/// Reads the command line word by word: the global options anywhere
/// (`--version` only before the subcommand), the subcommand, then its options
/// (`--name value` or `--name=value`) and arguments; `--` ends the options.
/// Which words are options, and whether they take a value, comes from the
/// declarations; what they mean is the command's `CommandOptions` business.
struct CommandLineParser {
    enum Outcome {
        /// `--help`, `-h` or `help [<subcommand>]`: the text to print.
        case help(String)
        case version
        case command(ParsedCommand)
    }

    private var remaining: ArraySlice<String>
    private var global = GlobalOptions()
    private var command: CommandSpec?
    private var given: [GivenOption] = []
    private var positional: [String] = []
    private var valuesGiven: Set<String> = []

    init(_ arguments: [String]) {
        remaining = arguments[...]
    }

    mutating func parse() throws(UsageError) -> Outcome {
        while let word = remaining.popFirst() {
            if word == "--" {
                positional += remaining
                remaining = []
            } else if word.hasPrefix("-") && word != "-" {
                try takeOption(word)
                if global.wantsVersion { return .version }
            } else if command == nil {
                try takeCommand(word)
            } else {
                positional.append(word)
            }
        }
        return try finish()
    }

    private mutating func takeOption(_ word: String) throws(UsageError) {
        let (name, inlineValue) = Self.splitInlineValue(word)
        let globals = GlobalOptions.options.filter { command == nil || !$0.spec.onlyBeforeCommand }
        if let option = globals.first(where: { $0.spec.matches(name) }) {
            let value = try value(of: option.spec, inline: inlineValue)
            try option.apply(&global, value)
        } else if let command, let index = command.options.firstIndex(where: { $0.matches(name) }) {
            given.append(GivenOption(index: index, value: try value(of: command.options[index], inline: inlineValue)))
        } else {
            let known = globals.map(\.spec.name) + (command?.options.map(\.name) ?? [])
            throw usageError("unknown option '\(word)'" + Suggestion.phrase(for: name, among: known))
        }
    }

    /// The value an option takes (nil for a flag); a value option given
    /// twice is a mistake, not a silent override.
    private mutating func value(of option: OptionSpec, inline: String?) throws(UsageError) -> String? {
        guard option.takesValue else {
            guard inline == nil else { throw usageError("'\(option.name)' takes no value") }
            return nil
        }
        guard let value = inline ?? remaining.popFirst() else {
            throw usageError("missing value for '\(option.usage)'")
        }
        guard valuesGiven.insert(option.name).inserted else { throw usageError("'\(option.name)' given twice") }
        return value
    }

    private mutating func takeCommand(_ word: String) throws(UsageError) {
        guard word == "help" else {
            command = try Self.command(named: word)
            return
        }
        global.wantsHelp = true
        if let name = remaining.popFirst() { command = try Self.command(named: name) }
    }

    private func finish() throws(UsageError) -> Outcome {
        guard let command else {
            if global.wantsHelp { return .help(CommandLineInterface.help) }
            throw usageError("missing subcommand")
        }
        if global.wantsHelp { return .help(command.help) }
        let bound: BoundCommand
        do {
            bound = try command.bind(given, positional)
        } catch {
            throw usageError(error.message)
        }
        return .command(ParsedCommand(name: command.name, configPath: global.configPath, bound: bound))
    }

    private func usageError(_ message: String) -> UsageError {
        UsageError(message, command: command?.name)
    }

    static func command(named name: String) throws(UsageError) -> CommandSpec {
        guard let command = CommandLineInterface.commands.first(where: { $0.name == name }) else {
            let names = CommandLineInterface.commands.map(\.name)
            throw UsageError("unknown subcommand '\(name)'" + Suggestion.phrase(for: name, among: names))
        }
        return command
    }

    /// `--limit=5` as `--limit` and `5`; a short option never carries one.
    static func splitInlineValue(_ word: String) -> (name: String, value: String?) {
        guard word.hasPrefix("--"), let equals = word.firstIndex(of: "=") else { return (word, nil) }
        return (String(word[..<equals]), String(word[word.index(after: equals)...]))
    }
}

/// A subcommand with its options parsed, and the global ones it runs with.
struct ParsedCommand: Sendable {
    let name: String
    let configPath: String?
    let bound: BoundCommand
}
