import Foundation
import Testing

/// The CLI contract (SPEC §3): help, usage errors (64), results on stdout and
/// `Error: …` on stderr.
@Suite struct CommandLineTests {
    @Test func helpListsTheSubcommands() throws {
        let tree = try TemporaryTree()
        let result = try tree.storekeeper(["--help"])
        #expect(result.status == 0)
        for section in ["OVERVIEW:", "USAGE:", "OPTIONS:", "SUBCOMMANDS:"] { #expect(result.stdout.contains(section)) }
        for command in ["init", "scan", "verify", "stats", "check"] { #expect(result.stdout.contains("  \(command) ")) }
        let scanHelp = try tree.storekeeper(["help", "scan"])
        #expect(scanHelp.status == 0)
        #expect(scanHelp.stdout.contains("USAGE: storekeeper scan"))
        #expect(try tree.storekeeper(["stats", "-h"]).stdout.contains("--prometheus"))
    }

    @Test(arguments: [
        (["frobnicate"], "unknown subcommand 'frobnicate'", "storekeeper --help"),
        (["scan", "--bogus"], "unknown option '--bogus'", "storekeeper scan --help"),
        (["scan", "extra"], "unexpected argument 'extra'", "storekeeper scan --help"),
        (["stats", "--json", "--prometheus"], "'--json' and '--prometheus' cannot be combined", "storekeeper stats --help"),
        ([], "missing subcommand", "storekeeper --help"),
    ])
    func usageErrorsExit64(arguments: [String], message: String, helpHint: String) throws {
        let tree = try TemporaryTree()
        let result = try StorekeeperBinary.run(arguments + ["--config", tree.configPath], in: tree.root)
        #expect(result.status == 64)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("Error: \(message)"), "\(result.stderr)")
        #expect(result.stderr.contains("See '\(helpHint)'."), "\(result.stderr)")
    }

    @Test func configComesFromTheEnvironmentWhenNotGiven() throws {
        let tree = try TemporaryTree()
        let result = try StorekeeperBinary.run(
            ["init"], in: tree.root, environment: ["STOREKEEPER_CONFIG": tree.configPath])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(FileManager.default.fileExists(atPath: tree.base + "/temp/.gitkeep"))
    }
}
