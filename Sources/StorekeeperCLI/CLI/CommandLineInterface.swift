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
        JobsCommand.spec, CheckCommand.spec, TrashCommand.spec, LifecycleCommand.spec, CompletionCommand.spec,
    ]

    static var help: String {
        var lines = [
            "OVERVIEW: Keeps a media storage tree indexed, measured and clean.", "",
            "USAGE: storekeeper <subcommand> [\(GlobalOptions.config.spec.usage)] [<options>]", "",
            "OPTIONS:",
        ]
        lines += GlobalOptions.options.map { CommandSpec.helpLine($0.spec) }
        lines += ["", "SUBCOMMANDS:"]
        for command in commands {
            lines.append("  " + Formatting.pad(command.name, 24) + command.abstract)
        }
        lines += ["", "  See 'storekeeper help <subcommand>' for detailed help."]
        return lines.joined(separator: "\n")
    }

    public static func main(arguments: [String], environment: [String: String]) -> ExitCode {
        HeapTrimming.keepFreedMemory()
        let command: ParsedCommand
        do {
            switch try parse(arguments) {
            case .help(let text):
                Console.out(text)
                return .success
            case .version:
                Console.out(version)
                return .success
            case .command(let parsed):
                command = parsed
            }
        } catch {
            Console.error("Error: \(error.message)")
            let helpCommand = error.command.map { "storekeeper \($0) --help" } ?? "storekeeper --help"
            Console.error("See '\(helpCommand)'.")
            return .usage
        }
        let invocation = Invocation(
            configPath: command.configPath, environment: environment, currentDirectory: currentDirectory())
        return run(command, invocation)
    }

    static func parse(_ arguments: [String]) throws(UsageError) -> CommandLineParser.Outcome {
        var parser = CommandLineParser(arguments)
        return try parser.parse()
    }

    private static func run(_ command: ParsedCommand, _ invocation: Invocation) -> ExitCode {
        do {
            return try command.bound.run(invocation)
        } catch let error as ConfigError {
            for single in error.all { Console.error("Error: \(single)") }
            return .config
        } catch let error as UsageError {
            Console.error("Error: \(error.message)")
            Console.error("See 'storekeeper \(command.name) --help'.")
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

    static func currentDirectory() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return "/" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
