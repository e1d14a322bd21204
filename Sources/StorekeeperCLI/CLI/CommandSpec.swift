import StorekeeperConfig
import StorekeeperSystem

/// A subcommand as `--help`, completion and the man page see it, made from its
/// typed `CommandOptions`: the declarations there are the only place an
/// option is named.
struct CommandSpec: Sendable {
    let name: String
    let abstract: String
    let discussion: String?
    /// The declarations are read when asked for, not when the table of
    /// commands is made: building every command's key paths and option specs
    /// cost more of a `stats` run's start than the query it answers.
    private let declaredOptions: @Sendable () -> [OptionSpec]
    private let declaredArguments: @Sendable () -> [ArgumentSpec]
    var options: [OptionSpec] { declaredOptions() }
    var arguments: [ArgumentSpec] { declaredArguments() }
    /// Fills the command's options type from what the command line gave and
    /// returns it with the run it goes to.
    let bind: @Sendable (_ options: [GivenOption], _ arguments: [String]) throws(UsageError) -> BoundCommand

    init<Options: CommandOptions>(
        name: String, abstract: String, discussion: String? = nil, options: Options.Type,
        run: @escaping @Sendable (Options, Invocation) throws -> ExitCode
    ) {
        self.name = name
        self.abstract = abstract
        self.discussion = discussion
        declaredOptions = { Options.options.map(\.spec) }
        declaredArguments = { Options.arguments.map(\.spec) }
        bind = { given, words throws(UsageError) in
            let options = try Options.parse(given, arguments: words)
            return BoundCommand(options: options) { invocation in try run(options, invocation) }
        }
    }

    /// Every option `<command> --help` lists: `--config` first, `--help` last.
    var allOptions: [OptionSpec] {
        [GlobalOptions.config.spec] + options + [GlobalOptions.help.spec]
    }

    var help: String {
        var lines = ["OVERVIEW: \(abstract)", ""]
        if let discussion { lines += [discussion, ""] }
        let argumentNames = arguments.map { $0.required ? " <\($0.name)>" : " [<\($0.name)>]" }.joined()
        lines += ["USAGE: storekeeper \(name) [<options>]\(argumentNames)", ""]
        if !arguments.isEmpty {
            lines.append("ARGUMENTS:")
            for argument in arguments {
                lines.append("  " + Formatting.pad("<\(argument.name)>", 24) + argument.help)
            }
            lines.append("")
        }
        lines.append("OPTIONS:")
        lines += allOptions.map(Self.helpLine)
        return lines.joined(separator: "\n")
    }

    static func helpLine(_ option: OptionSpec) -> String {
        "  " + Formatting.pad(option.synopsis, 24) + option.help
    }
}

/// A command whose options are parsed, ready to run.
struct BoundCommand: Sendable {
    /// The command's `CommandOptions` value, for tests to look at.
    let options: any CommandOptions
    let run: @Sendable (Invocation) throws -> ExitCode
}

/// What a command runs with beside its options: where the configuration is
/// and the process's environment.
struct Invocation: Sendable {
    let configPath: String?
    let environment: [String: String]
    let currentDirectory: String
}

/// A mistake in the command line itself: exit 64 with a pointer to `--help`.
struct UsageError: Error, Equatable {
    let message: String
    /// The subcommand whose `--help` the message points to; nil for the top.
    let command: String?

    init(_ message: String, command: String? = nil) {
        self.message = message
        self.command = command
    }
}
