import StorekeeperConfig
import StorekeeperSystem

/// What a subcommand accepts and says about itself in `--help`.
struct CommandSpec: Sendable {
    struct Option: Sendable {
        let name: String
        let valueName: String?
        let help: String
    }

    let name: String
    let abstract: String
    let discussion: String?
    let options: [Option]
    let arguments: [(name: String, help: String)]
    /// How many of `arguments` must be given; the rest are optional.
    let requiredArguments: Int
    let run: @Sendable (Invocation) throws -> ExitCode

    init(
        name: String, abstract: String, discussion: String? = nil, options: [Option] = [],
        arguments: [(name: String, help: String)] = [], requiredArguments: Int? = nil,
        run: @escaping @Sendable (Invocation) throws -> ExitCode
    ) {
        self.name = name
        self.abstract = abstract
        self.discussion = discussion
        self.options = options
        self.arguments = arguments
        self.requiredArguments = requiredArguments ?? arguments.count
        self.run = run
    }

    static let configOption = Option(
        name: "--config", valueName: "file",
        help: "Configuration file (default: $STOREKEEPER_CONFIG, then ./config/storekeeper.yaml if it exists, "
            + "then /etc/storekeeper/storekeeper.yaml).")
    static let jsonOption = Option(name: "--json", valueName: nil, help: "Print the result as JSON.")

    var help: String {
        var lines = ["OVERVIEW: \(abstract)", ""]
        if let discussion { lines += [discussion, ""] }
        let argumentNames = arguments.enumerated().map { index, argument in
            index < requiredArguments ? " <\(argument.name)>" : " [<\(argument.name)>]"
        }.joined()
        lines += ["USAGE: storekeeper \(name) [<options>]\(argumentNames)", ""]
        if !arguments.isEmpty {
            lines.append("ARGUMENTS:")
            for argument in arguments {
                lines.append("  " + Formatting.pad("<\(argument.name)>", 24) + argument.help)
            }
            lines.append("")
        }
        lines.append("OPTIONS:")
        for option in [Self.configOption] + options {
            let left = option.name + (option.valueName.map { " <\($0)>" } ?? "")
            lines.append("  " + Formatting.pad(left, 24) + option.help)
        }
        lines.append("  " + Formatting.pad("-h, --help", 24) + "Show help information.")
        return lines.joined(separator: "\n")
    }
}

/// A parsed command line: which options were given and the positional arguments.
struct Invocation: Sendable {
    let command: CommandSpec
    let configPath: String?
    let flags: Set<String>
    let values: [String: String]
    let arguments: [String]
    let environment: [String: String]
    let currentDirectory: String

    func has(_ flag: String) -> Bool { flags.contains(flag) }
}

/// A mistake in the command line itself: exit 64 with a pointer to `--help`.
struct UsageError: Error {
    let message: String
    let command: String?
}
