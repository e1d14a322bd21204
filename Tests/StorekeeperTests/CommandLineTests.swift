import Foundation
import TestSupport
import Testing

/// The CLI contract: help, usage errors (64), results on stdout and
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
        (
            ["stats", "--json", "--prometheus"], "'--json' and '--prometheus' cannot be combined",
            "storekeeper stats --help"
        ),
        ([], "missing subcommand", "storekeeper --help"),
        (["scan", "--config", "a.yaml"], "'--config' given twice", "storekeeper scan --help"),
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

/// A bad configuration stops every command with `file:line` and exit 78,
/// before anything is created or changed.
@Suite struct BadConfigurationTests {
    @Test(arguments: [
        ("storage:\n  base_path: \"B\"\n  colour: blue\n", ":3:", "storage.colour"),
        ("storage:\n  base_path: \"B\"\n  retention:\n    temp: 3 fortnights\n", ":4:", "storage.retention.temp"),
        ("storage:\n  base_path: \"B\"\n  quotas:\n    temp: -5\n", ":4:", "storage.quotas.temp"),
        ("storage:\n\tbase_path: \"B\"\n", ":2:", "tab"),
        ("storage:\n  base_path: \"B\"\n  base_path: \"B\"\n", ":3:", "duplicate"),
    ])
    func badInputExits78AndTouchesNothing(text: String, line: String, mention: String) throws {
        let tree = try TemporaryTree()
        try tree.writeConfig(text.replacingOccurrences(of: "\"B\"", with: "\"\(tree.base)\""))
        for command in ["init", "scan", "stats", "check", "run"] {
            let result = try tree.storekeeper([command])
            #expect(result.status == 78, "\(command): \(result.stderr)")
            #expect(result.stderr.contains(tree.configPath + line), "\(command): \(result.stderr)")
            #expect(result.stderr.lowercased().contains(mention), "\(command): \(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: tree.base))
    }

    @Test func aMissingFileExits78() throws {
        let tree = try TemporaryTree()
        let result = try StorekeeperBinary.run(["init", "--config", tree.root + "/nope.yaml"], in: tree.root)
        #expect(result.status == 78)
        #expect(result.stderr.contains("nope.yaml"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: tree.base))
    }

    @Test func theSeedConfigurationLoadsUnchanged() throws {
        let tree = try TemporaryTree()
        let seed = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("StorekeeperUnitTests/Fixtures/seed-config.yaml").path
        let result = try StorekeeperBinary.run(
            ["check", "--config", seed], in: tree.root, environment: ["STORAGE_BASE_PATH": tree.base])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("contact_sheets"))
        #expect(result.stdout.contains(tree.base))
    }
}
