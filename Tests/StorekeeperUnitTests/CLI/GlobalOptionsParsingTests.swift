@testable import StorekeeperCLI
import Testing

/// What `storekeeper` itself takes: `--config`, `--help`, `--version`, the
/// subcommand and `help <subcommand>`.
@Suite struct GlobalOptionsParsingTests {
    typealias T = CommandLineTesting

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
        for words in [["clean", "--help"], ["clean", "-h"], ["help", "clean"], ["clean", "--limit", "x", "extra", "-h"]] {
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
        #expect(T.mistake(["scan", "--version"]) == UsageError("unknown option '--version'", command: "scan"))
        #expect(T.mistake(["--verison"]) == UsageError("unknown option '--verison'; did you mean '--version'?"))
    }

    @Test func theConfigurationFileInEitherFormAndPlace() throws {
        #expect(try T.command(["--config", "a.yaml", "scan"]).configPath == "a.yaml")
        #expect(try T.command(["scan", "--config", "a.yaml"]).configPath == "a.yaml")
        #expect(try T.command(["scan", "--config=a.yaml"]).configPath == "a.yaml")
        #expect(try T.command(["scan"]).configPath == nil)
    }

    @Test func theConfigurationFileOnceAndWithAValue() {
        #expect(T.mistake(["--config", "a.yaml", "scan", "--config", "b.yaml"])
            == UsageError("'--config' given twice", command: "scan"))
        #expect(T.mistake(["--config"]) == UsageError("missing value for '--config <file>'"))
        #expect(T.mistake(["scan", "--config"]) == UsageError("missing value for '--config <file>'", command: "scan"))
    }

    @Test func subcommandMistakes() {
        #expect(T.mistake([]) == UsageError("missing subcommand"))
        #expect(T.mistake(["statz"]) == UsageError("unknown subcommand 'statz'; did you mean 'stats'?"))
        #expect(T.mistake(["help", "frob"]) == UsageError("unknown subcommand 'frob'"))
        #expect(T.mistake(["--bogus", "scan"]) == UsageError("unknown option '--bogus'"))
        // After `--` every word is an argument, the subcommand's name too.
        #expect(T.mistake(["--", "scan"]) == UsageError("missing subcommand"))
    }

    @Test func argumentsAfterTheDoubleDashAreNotOptions() {
        #expect(T.mistake(["scan", "--", "--json"]) == UsageError("unexpected argument '--json'", command: "scan"))
        #expect(T.mistake(["scan", "extra"]) == UsageError("unexpected argument 'extra'", command: "scan"))
    }
}
