import Testing

@testable import StorekeeperCLI

/// What `storekeeper` itself takes: `--config`, `--help`, `--version`, the
/// subcommand and `help <subcommand>`.
@Suite struct GlobalOptionsParsingTests {
    typealias Line = CommandLineTesting

    @Test func helpInEveryFormPrintsTheTopHelp() throws {
        for words in [["--help"], ["-h"], ["help"], ["--config", "a.yaml", "--help"]] {
            guard case .help(let text) = try CommandLineInterface.parse(words) else {
                Issue.record("\(words) did not ask for help")
                continue
            }
            #expect(text == CommandLineInterface.help, "\(words)")
        }
    }

    @Test func helpForASubcommandWinsOverItsOptionsAndArguments() throws {
        let clean = try #require(CommandLineInterface.commands.first { $0.name == "clean" })
        for words in [
            ["clean", "--help"], ["clean", "-h"], ["help", "clean"], ["clean", "--limit", "x", "extra", "-h"],
        ] {
            guard case .help(let text) = try CommandLineInterface.parse(words) else {
                Issue.record("\(words) did not ask for help")
                continue
            }
            #expect(text == clean.help, "\(words)")
        }
    }

    @Test func theVersionOnlyBeforeASubcommand() throws {
        guard case .version = try CommandLineInterface.parse(["--version"]) else {
            Issue.record("--version did not ask for the version")
            return
        }
        #expect(Line.mistake(["scan", "--version"]) == UsageError("unknown option '--version'", command: "scan"))
        #expect(Line.mistake(["--verison"]) == UsageError("unknown option '--verison'; did you mean '--version'?"))
    }

    @Test func theConfigurationFileInEitherFormAndPlace() throws {
        #expect(try Line.command(["--config", "a.yaml", "scan"]).configPath == "a.yaml")
        #expect(try Line.command(["scan", "--config", "a.yaml"]).configPath == "a.yaml")
        #expect(try Line.command(["scan", "--config=a.yaml"]).configPath == "a.yaml")
        #expect(try Line.command(["scan"]).configPath == nil)
    }

    @Test func theConfigurationFileOnceAndWithAValue() {
        #expect(
            Line.mistake(["--config", "a.yaml", "scan", "--config", "b.yaml"])
                == UsageError("'--config' given twice", command: "scan"))
        #expect(Line.mistake(["--config"]) == UsageError("missing value for '--config <file>'"))
        #expect(
            Line.mistake(["scan", "--config"]) == UsageError("missing value for '--config <file>'", command: "scan"))
    }

    @Test func subcommandMistakes() {
        #expect(Line.mistake([]) == UsageError("missing subcommand"))
        #expect(Line.mistake(["statz"]) == UsageError("unknown subcommand 'statz'; did you mean 'stats'?"))
        #expect(Line.mistake(["help", "frob"]) == UsageError("unknown subcommand 'frob'"))
        #expect(Line.mistake(["--bogus", "scan"]) == UsageError("unknown option '--bogus'"))
        // After `--` every word is an argument, the subcommand's name too.
        #expect(Line.mistake(["--", "scan"]) == UsageError("missing subcommand"))
    }

    @Test func argumentsAfterTheDoubleDashAreNotOptions() {
        #expect(Line.mistake(["scan", "--", "--json"]) == UsageError("unexpected argument '--json'", command: "scan"))
        #expect(Line.mistake(["scan", "extra"]) == UsageError("unexpected argument 'extra'", command: "scan"))
    }
}
