import Foundation
import TestSupport
import Testing

/// The operator's day with the installed binary: it finds its config outside
/// the repository, relative paths follow the config file, every mistake is
/// named at once with what was probably meant, and `stats` shows the policy
/// in force.
@Suite struct ConfigLookupTests {
    /// A folder to run in that has no config/ of its own, and an empty
    /// stand-in for /etc/storekeeper (the real one is never touched).
    struct Outside {
        let tree: TemporaryTree
        var work: String { tree.root + "/work" }
        var system: String { tree.root + "/etc-storekeeper" }
        var environment: [String: String] { ["STOREKEEPER_SYSTEM_CONFIG_DIR": system] }

        init() throws {
            tree = try TemporaryTree()
            try FileManager.default.createDirectory(atPath: tree.root + "/work", withIntermediateDirectories: true)
            try FileManager.default.createDirectory(
                atPath: tree.root + "/etc-storekeeper", withIntermediateDirectories: true)
        }

        func run(_ arguments: [String], in directory: String? = nil, environment extra: [String: String] = [:]) throws
            -> Shell.Result
        {
            try StorekeeperBinary.run(
                arguments, in: directory ?? work, environment: environment.merging(extra) { $1 })
        }
    }

    private static func json(_ text: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]) ?? [:]
    }

    @Test func withoutAConfigEveryPlaceTriedIsListed() throws {
        let outside = try Outside()
        let result = try outside.run(["stats"])
        #expect(result.status == 78)
        #expect(result.stderr.contains("no configuration file found"), "\(result.stderr)")
        for place in [
            "--config", "STOREKEEPER_CONFIG", "./config/storekeeper.yaml", outside.system + "/storekeeper.yaml",
        ] {
            #expect(result.stderr.contains(place), "\(place) in \(result.stderr)")
        }
        #expect(!result.stderr.contains("cannot read config file"))
    }

    @Test func theSystemConfigIsUsedOutsideTheRepository() throws {
        let outside = try Outside()
        let system = outside.system + "/storekeeper.yaml"
        try "storage:\n  base_path: \(outside.tree.base)\n".write(toFile: system, atomically: true, encoding: .utf8)
        let check = try outside.run(["check"])
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.stdout.hasPrefix(system + ": valid"), "\(check.stdout)")

        // A checkout's config/ wins over the system file; STOREKEEPER_CONFIG over both.
        try FileManager.default.createDirectory(atPath: outside.work + "/config", withIntermediateDirectories: true)
        try "storage:\n  base_path: /srv/local\n".write(
            toFile: outside.work + "/config/storekeeper.yaml", atomically: true, encoding: .utf8)
        #expect(try outside.run(["check"]).stdout.hasPrefix("config/storekeeper.yaml: valid"))
        #expect(
            try outside.run(["check"], environment: ["STOREKEEPER_CONFIG": system]).stdout.hasPrefix(system + ": valid")
        )
    }

    @Test func aRelativeBasePathFollowsTheConfigFileAndIsSaidOnceByCheck() throws {
        let outside = try Outside()
        let folder = outside.tree.root + "/conf"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try "storage:\n  base_path: ../storage\n".write(
            toFile: folder + "/storekeeper.yaml", atomically: true, encoding: .utf8)
        let base = outside.tree.base

        let check = try outside.run(["check", "--config", "../conf/storekeeper.yaml"])
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.stdout.contains("  base:  \(base)\n"), "\(check.stdout)")
        #expect(check.stderr.components(separatedBy: "relative path '../storage'").count == 2, "\(check.stderr)")

        // From / (where a service starts) the same file means the same tree, and nothing is repeated.
        let initialize = try outside.run(["init", "--config", folder + "/storekeeper.yaml"], in: "/")
        #expect(initialize.status == 0, "\(initialize.stderr)")
        #expect(FileManager.default.fileExists(atPath: outside.tree.base + "/.storekeeper/index.db"))
        #expect(!initialize.stderr.contains("relative path"), "\(initialize.stderr)")
        let stats = try outside.run(["stats", "--json", "--config", folder + "/storekeeper.yaml"], in: "/")
        #expect(stats.status == 0, "\(stats.stderr)")
        #expect(Self.json(stats.stdout)["base_path"] as? String == base)
        #expect(!stats.stderr.contains("relative path"), "\(stats.stderr)")
    }

    @Test func everyMistakeIsReportedWithWhatWasMeant() throws {
        let tree = try TemporaryTree()
        try tree.writeConfig(
            """
            storage:
              base_path: \(tree.base)
              retention:
                tmp: 2d
              cleanup:
                shedule: "0 3 * * *"
                schedule: "0 0 30 2 *"
              monitoring:
                log_levle: INFO
            """)
        let result = try tree.storekeeper(["check"])
        #expect(result.status == 78)
        let errors = result.stderr.split(separator: "\n").filter { $0.hasPrefix("Error: ") }
        #expect(errors.count == 4, "\(result.stderr)")
        #expect(result.stderr.contains("Error: \(tree.configPath):4: storage.retention.tmp: no category 'tmp'"))
        #expect(result.stderr.contains("did you mean 'temp'?"))
        #expect(
            result.stderr.contains(
                "Error: \(tree.configPath):6: storage.cleanup.shedule: unknown key; did you mean 'schedule'?"))
        #expect(result.stderr.contains("storage.cleanup.schedule: '0 0 30 2 *' never fires"))
        #expect(result.stderr.contains("storage.monitoring.log_levle: unknown key; did you mean 'log_level'?"))

        let json = try tree.storekeeper(["check", "--json"])
        #expect(json.status == 78)
        #expect((Self.json(json.stdout)["errors"] as? [String])?.count == 4, "\(json.stdout)")

        try tree.writeConfig("storge:\n  base_path: \(tree.base)\n")
        let section = try tree.storekeeper(["check"])
        #expect(section.status == 78)
        #expect(
            section.stderr.contains("storge: missing the 'storage' section; did you mean 'storage'?"),
            "\(section.stderr)")
    }

    @Test func aMisspeltFlagOrSubcommandGetsASuggestion() throws {
        let tree = try TemporaryTree()
        try tree.writeConfig("storage:\n  base_path: \(tree.base)\n")
        let flag = try tree.storekeeper(["stats", "--jsn"])
        #expect(flag.status == 64)
        #expect(flag.stderr.contains("unknown option '--jsn'; did you mean '--json'?"), "\(flag.stderr)")
        let command = try tree.storekeeper(["statz"])
        #expect(command.status == 64)
        #expect(command.stderr.contains("unknown subcommand 'statz'; did you mean 'stats'?"), "\(command.stderr)")
    }

    @Test func statsShowsThePolicyInForceNotTheLastRunsOne() throws {
        let tree = try TemporaryTree()
        try tree.writeConfig(
            "storage:\n  base_path: \(tree.base)\n  retention:\n    temp: 24h\n  quotas:\n    temp: 5GiB\n")
        #expect(try tree.storekeeper(["init"]).status == 0)
        func temp(_ environment: [String: String] = [:]) throws -> [String: Any] {
            let result = try tree.storekeeper(["stats", "--json"], environment: environment)
            #expect(result.status == 0, "\(result.stderr)")
            return (Self.json(result.stdout)["categories"] as? [String: Any])?["temp"] as? [String: Any] ?? [:]
        }
        #expect(try temp()["quota_bytes"] as? Int == 5 << 30)
        let overridden = try temp(["STORAGE_QUOTA_TEMP": "1GiB", "STORAGE_RETENTION_TEMP": "2h"])
        #expect(overridden["quota_bytes"] as? Int == 1 << 30)
        #expect(overridden["retention_seconds"] as? Int == 7200)

        // An edit of the file shows at once, before any run writes the index again.
        try tree.writeConfig(
            "storage:\n  base_path: \(tree.base)\n  retention:\n    temp: 3d\n  quotas:\n    temp: -1\n")
        let edited = try temp()
        #expect(edited["retention_seconds"] as? Int == 3 * 86_400)
        #expect(edited["quota_bytes"] as? Int == -1)
        let table = try tree.storekeeper(["stats"])
        #expect(
            table.stdout.split(separator: "\n").contains { $0.hasPrefix("temp ") && $0.contains("3d") },
            "\(table.stdout)")
        let prometheus = try tree.storekeeper(["stats", "--prometheus"])
        #expect(
            prometheus.stdout.contains("storekeeper_category_retention_seconds{category=\"temp\"} 259200"),
            "\(prometheus.stdout)")
        #expect(
            !prometheus.stdout.contains("storekeeper_category_quota_bytes{category=\"temp\"}"), "\(prometheus.stdout)")
    }
}
