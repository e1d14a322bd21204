import Glibc
import StorekeeperConfig
import StorekeeperIndex
import StorekeeperSystem

/// The `storekeeper` command: parses the arguments, runs one subcommand, and
/// turns every error into its message and exit code (`ExitCode`). The executable
/// target only calls `main`.
public enum CommandLineInterface {
    static let version = StorekeeperVersion.current

    static let commands: [CommandSpec] = [
        InitCommand.spec, RunCommand.spec, ScanCommand.spec, VerifyCommand.spec, StatsCommand.spec, CleanCommand.spec,
        JobsCommand.spec, CheckCommand.spec, TrashCommand.spec, CompletionCommand.spec,
    ]

    static var help: String {
        var lines = [
            "OVERVIEW: Keeps a media storage tree indexed, measured and clean.", "",
            "USAGE: storekeeper <subcommand> [--config <file>] [<options>]", "",
            "OPTIONS:",
            "  " + Formatting.pad("--config <file>", 24) + CommandSpec.configOption.help,
            "  " + Formatting.pad("--version", 24) + "Show the version.",
            "  " + Formatting.pad("-h, --help", 24) + "Show help information.", "",
            "SUBCOMMANDS:",
        ]
        for command in commands {
            lines.append("  " + Formatting.pad(command.name, 24) + command.abstract)
        }
        lines += ["", "  See 'storekeeper help <subcommand>' for detailed help."]
        return lines.joined(separator: "\n")
    }

    public static func main(arguments: [String], environment: [String: String]) -> ExitCode {
        let invocation: Invocation
        do {
            guard let parsed = try parse(arguments, environment: environment) else { return .success }
            invocation = parsed
        } catch let error as UsageError {
            Console.error("Error: \(error.message)")
            let helpCommand = error.command.map { "storekeeper \($0) --help" } ?? "storekeeper --help"
            Console.error("See '\(helpCommand)'.")
            return .usage
        } catch {
            Console.error("Error: \(error)")
            return .failure
        }
        do {
            return try invocation.command.run(invocation)
        } catch let error as ConfigError {
            for single in error.all { Console.error("Error: \(single)") }
            return .config
        } catch let error as UsageError {
            Console.error("Error: \(error.message)")
            Console.error("See 'storekeeper \(invocation.command.name) --help'.")
            return .usage
        } catch let error as DatabaseError where error.isCorrupt {
            // Found by a query rather than the integrity check: still say which file and what to do.
            let index = (try? invocation.loadConfiguration(printWarnings: false)).map { StorageLayout($0).indexPath }
            Console.error("Error: \(IndexCorruption(path: index ?? "the index", detail: error.message))")
            return .failure
        } catch {
            Console.error("Error: \(error)")
            return .failure
        }
    }

    /// Parses the arguments; nil when help or the version was printed instead.
    static func parse(_ arguments: [String], environment: [String: String]) throws -> Invocation? {
        var remaining = arguments[...]
        var configPath: String?
        var commandName: String?
        var flags: Set<String> = []
        var values: [String: String] = [:]
        var positional: [String] = []
        var wantsHelp = false

        while let argument = remaining.popFirst() {
            let (name, inlineValue) = splitInlineValue(argument)
            if name == "--config" {
                guard let value = inlineValue ?? remaining.popFirst() else {
                    throw UsageError(message: "missing value for '--config <file>'", command: commandName)
                }
                guard configPath == nil else {
                    throw UsageError(message: "'--config' given twice", command: commandName)
                }
                configPath = value
            } else if argument == "-h" || argument == "--help" {
                wantsHelp = true
            } else if argument == "--version" && commandName == nil {
                Console.out(version)
                return nil
            } else if argument == "--" {
                positional += remaining
                remaining = []
            } else if argument.hasPrefix("-") && argument != "-" {
                guard let command = commandName.flatMap(command(named:)) else {
                    let known = ["--config", "--help", "--version"]
                    throw UsageError(
                        message: "unknown option '\(argument)'" + Suggestion.phrase(for: name, among: known), command: commandName)
                }
                guard let option = command.options.first(where: { $0.name == name }) else {
                    let known = ["--config", "--help"] + command.options.map(\.name)
                    throw UsageError(
                        message: "unknown option '\(argument)'" + Suggestion.phrase(for: name, among: known), command: commandName)
                }
                if option.valueName != nil {
                    guard let value = inlineValue ?? remaining.popFirst() else {
                        throw UsageError(
                            message: "missing value for '\(option.name) <\(option.valueName!)>'", command: commandName)
                    }
                    values[option.name] = value
                } else {
                    guard inlineValue == nil else {
                        throw UsageError(message: "'\(option.name)' takes no value", command: commandName)
                    }
                    flags.insert(option.name)
                }
            } else if commandName == nil {
                if argument == "help" {
                    wantsHelp = true
                    commandName = remaining.popFirst()
                    if let name = commandName, command(named: name) == nil {
                        throw UsageError(message: "unknown subcommand '\(name)'" + Suggestion.phrase(for: name, among: commands.map(\.name)), command: nil)
                    }
                    continue
                }
                guard command(named: argument) != nil else {
                    throw UsageError(message: "unknown subcommand '\(argument)'" + Suggestion.phrase(for: argument, among: commands.map(\.name)), command: nil)
                }
                commandName = argument
            } else {
                positional.append(argument)
            }
        }

        guard let commandName, let command = command(named: commandName) else {
            if wantsHelp {
                Console.out(help)
                return nil
            }
            throw UsageError(message: "missing subcommand", command: nil)
        }
        if wantsHelp {
            Console.out(command.help)
            return nil
        }
        if positional.count > command.arguments.count {
            throw UsageError(message: "unexpected argument '\(positional[command.arguments.count])'", command: commandName)
        }
        if positional.count < command.requiredArguments {
            throw UsageError(message: "missing argument <\(command.arguments[positional.count].name)>", command: commandName)
        }
        return Invocation(
            command: command, configPath: configPath, flags: flags, values: values, arguments: positional,
            environment: environment, currentDirectory: currentDirectory())
    }

    static func command(named name: String) -> CommandSpec? {
        commands.first { $0.name == name }
    }

    private static func splitInlineValue(_ argument: String) -> (String, String?) {
        guard argument.hasPrefix("--"), let equals = argument.firstIndex(of: "=") else { return (argument, nil) }
        return (String(argument[..<equals]), String(argument[argument.index(after: equals)...]))
    }

    static func currentDirectory() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return "/" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
