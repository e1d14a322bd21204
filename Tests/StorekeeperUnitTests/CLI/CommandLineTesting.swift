import Testing

@testable import StorekeeperCLI

/// Parsing without running: what a command line turns into, or the usage
/// error it is.
enum CommandLineTesting {
    /// The subcommand a line names, parsed; records an issue when it is help
    /// or the version instead.
    static func command(_ words: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> ParsedCommand {
        switch try CommandLineInterface.parse(words) {
        case .command(let parsed):
            return parsed
        case .help, .version:
            Issue.record("\(words) is not a command to run", sourceLocation: sourceLocation)
            throw UsageError("not a command")
        }
    }

    /// The typed options of the subcommand a line names.
    static func options<Options: CommandOptions>(
        _ type: Options.Type, _ words: [String], sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> Options {
        let parsed = try command(words, sourceLocation: sourceLocation)
        return try #require(parsed.bound.options as? Options, sourceLocation: sourceLocation)
    }

    /// The usage error a line is, or nil when it parses.
    static func mistake(_ words: [String]) -> UsageError? {
        do {
            _ = try CommandLineInterface.parse(words)
            return nil
        } catch {
            return error
        }
    }
}
