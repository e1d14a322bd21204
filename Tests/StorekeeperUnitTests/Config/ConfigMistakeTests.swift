import Foundation
import TestSupport
import Testing

@testable import StorekeeperCLI
@testable import StorekeeperConfig
@testable import StorekeeperEngine
@testable import StorekeeperIndex
@testable import StorekeeperSystem

/// Typos and impossible settings are reported, all at once, with the key
/// that was probably meant; relative paths follow the config file.
@Suite struct ConfigMistakeTests {
    private func failure(_ text: String, file: String = "c.yaml", environment: [String: String] = [:]) -> ConfigError? {
        do {
            _ = try ConfigurationLoader.load(
                text: text, file: file, environment: environment, currentDirectory: "/work/dir")
            return nil
        } catch {
            return error
        }
    }

    @Test func everyMistakeIsReportedAtOnceInFileOrder() {
        let error = failure(
            """
            storage:
              base_path: /nonexistent-base
              retension:
                temp: 1d
              retention:
                tmp: 2d
                uploads: 5 days
              quotas:
                fraems: 1GiB
              cleanup:
                shedule: "0 3 * * *"
                dry_rn: true
              monitoring:
                log_levle: INFO
            """)
        #expect(
            error?.description.split(separator: "\n").map(String.init) == [
                "c.yaml:3: storage.retension: unknown key; did you mean 'retention'?",
                "c.yaml:6: storage.retention.tmp: no category 'tmp': not built in, not under storage.categories and no folder "
                    + "tmp/ in /nonexistent-base; did you mean 'temp'?",
                "c.yaml:7: storage.retention.uploads: expected a duration: whole seconds or a whole number with s, m, h, d or w "
                    + "(90s, 15m, 24h, 7d, 2w), or -1, found '5 days'",
                "c.yaml:9: storage.quotas.fraems: no category 'fraems': not built in, not under storage.categories and no "
                    + "folder fraems/ in /nonexistent-base; did you mean 'frames'?",
                "c.yaml:11: storage.cleanup.shedule: unknown key; did you mean 'schedule'?",
                "c.yaml:12: storage.cleanup.dry_rn: unknown key; did you mean 'dry_run'?",
                "c.yaml:14: storage.monitoring.log_levle: unknown key; did you mean 'log_level'?",
            ])
        #expect(error?.all.count == 7)
    }

    @Test func aMisspeltStorageSectionIsNamed() {
        #expect(
            failure("storge:\n  base_path: /s\n")?.description
                == "c.yaml:1: storge: missing the 'storage' section; did you mean 'storage'?")
        #expect(failure("app:\n  name: x\n")?.description == "c.yaml: storage: missing the 'storage' section")
    }

    @Test func anExtraCategoryIsDeclaredOrHasItsFolder() throws {
        let declared =
            "storage:\n  base_path: /nonexistent-base\n  retention:\n    scratch: 1d\n  categories:\n    scratch:\n"
        let (configuration, _) = try ConfigurationLoader.load(
            text: declared, file: "c.yaml", environment: [:], currentDirectory: "/")
        #expect(configuration.category(forDirectory: "scratch")?.retentionSeconds == 86_400)

        let baseDirectory = try TemporaryDirectory(prefix: "mistakes")
        defer { withExtendedLifetime(baseDirectory) {} }
        let base = baseDirectory.path
        try FileManager.default.createDirectory(atPath: base + "/raw-audio", withIntermediateDirectories: true)
        let onDisk = "storage:\n  base_path: \(base)\n  quotas:\n    raw_audio: 1GiB\n"
        let (withFolder, _) = try ConfigurationLoader.load(
            text: onDisk, file: "c.yaml", environment: [:], currentDirectory: "/")
        #expect(withFolder.category(forDirectory: "raw-audio")?.quotaBytes == 1 << 30)

        #expect(
            failure("storage:\n  base_path: \(base)\n  quotas:\n    video_raw: 1GiB\n")?.description
                == "c.yaml:4: storage.quotas.video_raw: no category 'video_raw': not built in, not under storage.categories and "
                + "no folder video-raw/ in \(base); declare it under storage.categories (with its directories) to add a category"
        )
    }

    @Test func aScheduleThatNeverFiresIsAnError() {
        #expect(
            failure("storage:\n  base_path: /s\n  cleanup:\n    schedule: \"0 0 30 2 *\"\n")?.description
                == "c.yaml:4: storage.cleanup.schedule: '0 0 30 2 *' never fires (no occurrence in the next 5 years)")
        // February 29 comes at least once in any five years.
        #expect(failure("storage:\n  base_path: /s\n  cleanup:\n    temp_schedule: \"0 0 29 2 *\"\n") == nil)
    }

    @Test func everyListedKeyIsOneTheDecoderReads() {
        for (section, keys) in ConfigKeys.sections where section.hasPrefix("storage") {
            for key in keys {
                let path = (section == "storage.categories.*" ? "storage.categories.temp" : section) + "." + key
                let error = failure(Self.nest(path, value: "x"))
                for single in error?.all ?? [] {
                    #expect(!single.message.hasPrefix("unknown key"), "\(path): \(single)")
                }
            }
        }
    }

    /// `a.b.c` with `value` as YAML, plus a base path.
    private static func nest(_ path: String, value: String) -> String {
        let parts = path.split(separator: ".")
        var lines = parts.enumerated().map { String(repeating: "  ", count: $0.offset) + $0.element + ":" }
        lines[lines.count - 1] += " " + value
        return lines.joined(separator: "\n") + "\n  base_path: /s\n"
    }

    @Test func suggestionsAreCloseNamesOnly() {
        #expect(Suggestion.closest(to: "--jsn", among: ["--json", "--config"]) == "--json")
        #expect(Suggestion.closest(to: "stroage", among: ["storage"]) == "storage")
        #expect(Suggestion.closest(to: "bogus", among: ["enabled", "schedule"]) == nil)
        #expect(Suggestion.closest(to: "ab", among: ["cd"]) == nil)
        #expect(Suggestion.editDistance("kitten", "sitting") == 3)
    }

    // MARK: - Relative paths

    @Test func relativePathsFollowTheConfigFileNotTheWorkingDirectory() throws {
        let text = """
            storage:
              base_path: ../storage
              index_path: index/storekeeper.db
              monitoring:
                log_file: log/storekeeper.log
                textfile_path: storekeeper.prom
            """
        let (configuration, warnings) = try ConfigurationLoader.load(
            text: text, file: "/srv/app/config/storekeeper.yaml", environment: [:], currentDirectory: "/somewhere/else")
        #expect(configuration.basePath == "/srv/app/storage")
        #expect(configuration.indexPath == "/srv/app/config/index/storekeeper.db")
        #expect(configuration.monitoring.logFile == "/srv/app/config/log/storekeeper.log")
        #expect(configuration.monitoring.textfilePath == "/srv/app/config/storekeeper.prom")
        #expect(warnings.isEmpty)

        let (_, noted) = try ConfigurationLoader.load(
            text: text, file: "/srv/app/config/storekeeper.yaml", environment: [:], currentDirectory: "/somewhere/else",
            noteRelativePaths: true)
        #expect(
            noted.map(\.key) == [
                "storage.base_path", "storage.index_path", "storage.monitoring.log_file",
                "storage.monitoring.textfile_path",
            ])

        let (relativeFile, _) = try ConfigurationLoader.load(
            text: "storage:\n  base_path: data\n", file: "conf/c.yaml", environment: [:], currentDirectory: "/home/op")
        #expect(relativeFile.basePath == "/home/op/conf/data")

        // A path given in the environment is the operator's, like one on a command line.
        let (fromEnvironment, _) = try ConfigurationLoader.load(
            text: "storage:\n  base_path: data\n", file: "/srv/c.yaml", environment: ["STORAGE_BASE_PATH": "media"],
            currentDirectory: "/home/op")
        #expect(fromEnvironment.basePath == "/home/op/media")
    }

    // MARK: - Where the file is looked for

    @Test func theLookupOrderEndsAtTheSystemFile() throws {
        let none: (String) -> Bool = { _ in false }
        #expect(
            try ConfigLookup.file(option: "a.yaml", environment: ["STOREKEEPER_CONFIG": "b.yaml"], exists: none)
                == "a.yaml")
        #expect(
            try ConfigLookup.file(option: nil, environment: ["STOREKEEPER_CONFIG": "b.yaml"], exists: none) == "b.yaml")
        #expect(
            try ConfigLookup.file(
                option: nil, environment: ["STOREKEEPER_CONFIG": ""], exists: { $0 == "config/storekeeper.yaml" })
                == "config/storekeeper.yaml")
        #expect(
            try ConfigLookup.file(option: nil, environment: [:], exists: { $0 == "/etc/storekeeper/storekeeper.yaml" })
                == "/etc/storekeeper/storekeeper.yaml")
        #expect(
            try ConfigLookup.file(
                option: nil, environment: ["STOREKEEPER_SYSTEM_CONFIG_DIR": "/opt/sk"],
                exists: { $0 == "/opt/sk/storekeeper.yaml" })
                == "/opt/sk/storekeeper.yaml")
        #expect(throws: ConfigError.self) { try ConfigLookup.file(option: nil, environment: [:], exists: none) }
    }

    // MARK: - Schedules

    @Test func aStoredRunFarAheadIsNotTrusted() throws {
        let temporary = try TemporaryDirectory(prefix: "fast-clock")
        defer { withExtendedLifetime(temporary) {} }
        let directory = temporary.path
        let store = try IndexStore.create(path: directory + "/index.db")
        let now: Int64 = 1_795_132_800 + 30 * 60  // 2026-11-20 00:30 UTC
        // Written while the clock said 2031.
        try store.registerJob(name: "temp_cleanup", schedule: "0 * * * *", nextRunAt: now + 5 * 365 * 86_400)
        // A run missed while the daemon was down is kept: it runs once at start.
        try store.registerJob(name: "cleanup", schedule: "0 2 * * *", nextRunAt: now - 3600)
        let scheduler = JobScheduler(store: store, logger: Logger(minimumLevel: .error), now: { now })
        try scheduler.register([
            JobScheduler.Job(name: .tempCleanup, schedule: "0 * * * *") { "ok" },
            JobScheduler.Job(name: .cleanup, schedule: "0 2 * * *") { "ok" },
        ])
        #expect(scheduler.nextDue == now - 3600)
        #expect(scheduler.runDue() == [.cleanup])
        #expect(scheduler.nextDue == now + 30 * 60, "the hourly job runs at 01:00, not in 2031")
        #expect(try store.job(named: "temp_cleanup")?.nextRunAt == now + 30 * 60)
    }
}
