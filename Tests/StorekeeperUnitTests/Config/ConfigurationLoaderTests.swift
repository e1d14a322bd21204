import Foundation
import StorekeeperConfig
import Testing

@Suite struct ConfigurationLoaderTests {
    private static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures")
    private static let packageRoot = fixtures.deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    private func load(
        _ text: String, environment: [String: String] = [:]
    ) throws(ConfigError) -> (Configuration, [ConfigWarning]) {
        try ConfigurationLoader.load(
            text: text, file: "c.yaml", environment: environment, currentDirectory: "/work/dir")
    }

    private func failure(_ text: String, environment: [String: String] = [:]) -> ConfigError? {
        do {
            _ = try load(text, environment: environment)
            return nil
        } catch {
            return error
        }
    }

    private func temporaryFile(_ bytes: [UInt8]) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "storekeeper-\(UUID().uuidString).yaml"
        ).path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    // MARK: - The shipped files

    @Test func seedConfigLoadsWithTheSeedsValues() throws {
        let path = Self.fixtures.appendingPathComponent("seed-config.yaml").path
        let (configuration, warnings) = try ConfigurationLoader.load(
            file: path, environment: [:], currentDirectory: "/")
        #expect(warnings.isEmpty)
        #expect(configuration.sourceFile == path)
        #expect(configuration.basePath == "/opt/services/media-analysis/storage")
        #expect(configuration.indexPath == "/opt/services/media-analysis/storage/.storekeeper/index.db")
        #expect(configuration.categories == CategoryPolicy.builtIns)
        #expect(configuration.categories.map(\.key) == ["temp", "frames", "contact_sheets", "uploads", "outputs"])
        let temp = configuration.categories[0]
        #expect(temp.retentionSeconds == 86_400 && temp.quotaBytes == 5_368_709_120 && temp.onQuota == .evict)
        #expect(configuration.category(forDirectory: "contact-sheets")?.key == "contact_sheets")
        #expect(configuration.category(forDirectory: "contact_sheets") == nil)
        #expect(
            configuration.cleanup
                == CleanupSettings(enabled: true, schedule: "0 2 * * *", dryRun: false, batchSize: 100, useTrash: true))
        #expect(
            configuration.monitoring
                == MonitoringSettings(logLevel: .info, metricsEnabled: true, alertThresholdPercent: 10))
    }

    @Test func defaultConfigLoadsWithOnlyTheRelativePathWarning() throws {
        let path = Self.packageRoot.appendingPathComponent("config/storekeeper.yaml").path
        let (configuration, warnings) = try ConfigurationLoader.load(
            file: path, environment: [:], currentDirectory: "/srv/app", noteRelativePaths: true)
        let storage = Self.packageRoot.resolvingSymlinksInPath().path + "/storage"
        #expect(configuration.basePath == storage)
        #expect(configuration.indexPath == storage + "/.storekeeper/index.db")
        #expect(configuration.categories == CategoryPolicy.builtIns)
        #expect(configuration.cleanup == CleanupSettings())
        #expect(configuration.monitoring == MonitoringSettings())
        #expect(warnings.map(\.key) == ["storage.base_path"])
        #expect(
            warnings.first?.message
                == "relative path '../storage' is resolved against the config file's folder: \(storage)")
    }

    // MARK: - Values

    @Test func everySettingIsRead() throws {
        let (configuration, warnings) = try load(
            """
            storage:
              base_path: /data/media/
              index_path: index/storekeeper.db
              retention:
                temp: 90m
                scratch: 2d
              quotas:
                temp: 512MiB
                archive: -1
              categories:
                frames:
                  directories:
                    - frames
                    - thumbnails
                  age_by: path_date
                archive:
                scratch:
              cleanup:
                enabled: false
                schedule: "30 3 * * 1"
                temp_schedule: "*/10 * * * *"
                dry_run: yes
                batch_size: 500
                use_trash: false
                trash_retention: 2w
                exclude: ["uploads/keep/**", '*.part']
                max_files_per_run: 10000
              monitoring:
                log_level: WARN
                metrics_enabled: false
                alert_threshold_percent: 7.5
                log_file: /var/log/storekeeper.log
                metrics_listen: "[::1]:9100"
                textfile_path: /var/lib/node_exporter/storekeeper.prom
            """)
        #expect(warnings.isEmpty)
        #expect(configuration.basePath == "/data/media")
        #expect(configuration.indexPath == "/work/dir/index/storekeeper.db")
        #expect(
            configuration.categories.map(\.key) == [
                "temp", "frames", "contact_sheets", "uploads", "outputs", "scratch", "archive",
            ])
        #expect(configuration.categories[0].retentionSeconds == 5_400)
        #expect(configuration.categories[0].quotaBytes == 536_870_912)
        #expect(configuration.categories[1].directories == ["frames", "thumbnails"])
        #expect(configuration.categories[1].ageBy == .pathDate)
        #expect(
            configuration.categories[5]
                == CategoryPolicy(
                    key: "scratch", directories: ["scratch"], retentionSeconds: 172_800, quotaBytes: nil,
                    onQuota: .alert))
        #expect(configuration.category(forDirectory: "thumbnails")?.key == "frames")
        #expect(configuration.category(forDirectory: "archive")?.quotaBytes == nil)
        #expect(
            configuration.cleanup
                == CleanupSettings(
                    enabled: false, schedule: "30 3 * * 1", tempSchedule: "*/10 * * * *", dryRun: true, batchSize: 500,
                    useTrash: false, trashRetentionSeconds: 1_209_600, exclude: ["uploads/keep/**", "*.part"],
                    maxFilesPerRun: 10_000))
        #expect(
            configuration.monitoring
                == MonitoringSettings(
                    logLevel: .warning, metricsEnabled: false, alertThresholdPercent: 7.5,
                    logFile: "/var/log/storekeeper.log", metricsListen: "[::1]:9100",
                    textfilePath: "/var/lib/node_exporter/storekeeper.prom"))
    }

    @Test(
        arguments: [
            ("127.0.0.1:0", true), ("127.3.2.1:9464", true), ("localhost:9464", true), ("[::1]:9464", true),
            ("[::ffff:127.0.0.1]:1", true), ("0.0.0.0:9464", false), ("[::]:9464", false), ("10.0.0.5:9464", false),
            ("media-box:9464", false),
        ] as [(String, Bool)])
    func loopbackAddresses(address: String, loopback: Bool) throws {
        #expect(ListenAddress(address)?.isLoopback == loopback)
    }

    @Test func aRemoteListenerNeedsAllowRemote() throws {
        let (configuration, _) = try load(
            "storage:\n  base_path: /s\n  monitoring:\n    allow_remote: true\n    metrics_listen: \"0.0.0.0:9464\"\n")
        #expect(configuration.monitoring.allowRemote)
        #expect(configuration.monitoring.metricsListen == "0.0.0.0:9464")
        // With the server off the address does not matter.
        let (off, _) = try load(
            "storage:\n  base_path: /s\n  monitoring:\n    metrics_enabled: false\n    metrics_listen: \"0.0.0.0:9464\"\n"
        )
        #expect(!off.monitoring.metricsEnabled)
        #expect(ListenAddress("[::1]:0") == ListenAddress(host: "::1", port: 0))
        #expect(ListenAddress("[::1]:0")?.description == "[::1]:0")
        for bad in ["::1:9464", "[::1]", "[]:1", "host:", ":9464", "a b:1", "h:65536", "[127.0.0.1]:1"] {
            #expect(ListenAddress(bad) == nil, "\(bad)")
        }
    }

    @Test func extraCategoryKeyMapsToADashedFolder() throws {
        let (configuration, _) = try load(
            "storage:\n  base_path: /s\n  retention:\n    raw_audio: 1d\n  categories:\n    raw_audio:\n")
        #expect(configuration.category(forDirectory: "raw-audio")?.retentionSeconds == 86_400)
    }

    // MARK: - Errors point at file, line and key

    @Test(
        arguments: [
            (
                "storage:\n  base_path: /s\n  cleanup:\n    bogus: 1\n",
                "c.yaml:4: storage.cleanup.bogus: unknown key"
            ),
            (
                "storage:\n  base_path: /s\n  retension:\n    temp: 1d\n",
                "c.yaml:3: storage.retension: unknown key; did you mean 'retention'?"
            ),
            (
                "storage:\n  base_path: /s\n  categories:\n    temp:\n      quota: 1GiB\n",
                "c.yaml:5: storage.categories.temp.quota: unknown key"
            ),
            (
                "storage:\n  base_path: /s\n  retention:\n    temp: 5 days\n",
                "c.yaml:4: storage.retention.temp: expected a duration: whole seconds or a whole number with s, m, h, d or w (90s, 15m, 24h, 7d, 2w), or -1, found '5 days'"
            ),
            (
                "storage:\n  base_path: /s\n  retention:\n    temp: 1.5\n",
                "c.yaml:4: storage.retention.temp: expected a duration: whole seconds or a whole number with s, m, h, d or w (90s, 15m, 24h, 7d, 2w), or -1, found '1.5'"
            ),
            (
                "storage:\n  base_path: /s\n  quotas:\n    temp: -5\n",
                "c.yaml:4: storage.quotas.temp: negative size '-5': only -1 (no quota) is allowed"
            ),
            (
                "storage:\n  base_path: /s\n  retention:\n    uploads: -2\n",
                "c.yaml:4: storage.retention.uploads: negative duration '-2': only -1 (forever) is allowed"
            ),
            (
                "storage:\n  base_path: /s\n  retention:\n\ttemp: 1\n",
                "c.yaml:4: tab character in indentation (column 1); indent with spaces"
            ),
            (
                "storage:\n  base_path: /s\n  base_path: /t\n",
                "c.yaml:3: duplicate key 'base_path' (first defined on line 2)"
            ),
            (
                "storage:\n  base_path: /s\n  cleanup:\n    batch_size: \"abc\"\n",
                "c.yaml:4: storage.cleanup.batch_size: expected an integer, found the quoted string 'abc'"
            ),
            (
                "storage:\n  base_path: /s\n  cleanup:\n    enabled: maybe\n",
                "c.yaml:4: storage.cleanup.enabled: expected true or false, found 'maybe'"
            ),
            (
                "storage:\n  base_path: /s\n  cleanup:\n    batch_size: 0\n",
                "c.yaml:4: storage.cleanup.batch_size: must be at least 1, found 0"
            ),
            (
                "storage:\n  base_path: /s\n  cleanup:\n    schedule: \"0 2 * *\"\n",
                "c.yaml:4: storage.cleanup.schedule: cron '0 2 * *': expected 5 fields (minute hour day-of-month month day-of-week) or a macro such as @daily, found 4"
            ),
            (
                "storage:\n  base_path: /s\n  cleanup:\n    temp_schedule: \"61 * * * *\"\n",
                "c.yaml:4: storage.cleanup.temp_schedule: cron '61 * * * *': minute: 61 is out of range 0-59"
            ),
            (
                "storage:\n  base_path: /s\n  cleanup:\n    trash_retention: -1\n",
                "c.yaml:4: storage.cleanup.trash_retention: the trash must be emptied eventually: -1 is not allowed here"
            ),
            (
                "storage:\n  base_path: /s\n  cleanup:\n    exclude: [\"uploads/[keep\"]\n",
                "c.yaml:4: storage.cleanup.exclude: 'uploads/[keep' is not a valid exclude pattern: a '[' is never closed by ']'"
            ),
            (
                "storage:\n  base_path: /s\n  cleanup:\n    exclude: uploads\n",
                "c.yaml:4: storage.cleanup.exclude: expected a list of strings, found 'uploads'"
            ),
            (
                "storage:\n  base_path: /s\n  retention:\n    outputs: 30d\n",
                "c.yaml:4: storage.retention.outputs: outputs is never deleted by any policy: its retention must be -1 (keep forever)"
            ),
            (
                "storage:\n  base_path: /s\n  categories:\n    outputs:\n      on_quota: evict\n",
                "c.yaml:5: storage.categories.outputs.on_quota: outputs is never deleted by any policy: on_quota must be alert"
            ),
            (
                "storage:\n  base_path: /s\n  categories:\n    temp:\n      on_quota: delete\n",
                "c.yaml:5: storage.categories.temp.on_quota: expected evict or alert, found 'delete'"
            ),
            (
                "storage:\n  base_path: /s\n  categories:\n    frames:\n      directories: [temp]\n",
                "c.yaml:5: storage.categories.frames.directories: directory 'temp' belongs to both temp and frames"
            ),
            (
                "storage:\n  base_path: /s\n  categories:\n    temp:\n      directories: [frames]\n",
                "c.yaml:5: storage.categories.temp.directories: directory 'frames' belongs to both temp and frames"
            ),
            (
                "storage:\n  base_path: /s\n  categories:\n    frames:\n      directories:\n        - frames\n        - .cache\n",
                "c.yaml:7: storage.categories.frames.directories: '.cache' is not a top-level folder name: one path component, not starting with '.'"
            ),
            (
                "storage:\n  base_path: /s\n  categories:\n    frames:\n      directories:\n        - frames\n        - temp\n",
                "c.yaml:5: storage.categories.frames.directories: directory 'temp' belongs to both temp and frames"
            ),
            (
                "storage:\n  base_path: /s\n  categories:\n    temp:\n      directories: [.trash]\n",
                "c.yaml:5: storage.categories.temp.directories: '.trash' is not a top-level folder name: one path component, not starting with '.'"
            ),
            (
                "storage:\n  base_path: /s\n  categories:\n    temp:\n      directories: [a/b]\n",
                "c.yaml:5: storage.categories.temp.directories: 'a/b' is not a top-level folder name: one path component, not starting with '.'"
            ),
            (
                "storage:\n  base_path: /s\n  categories:\n    temp:\n      directories: []\n",
                "c.yaml:5: storage.categories.temp.directories: a category needs at least one directory"
            ),
            (
                "storage:\n  base_path: /s\n  quotas:\n    Temp: 1GiB\n",
                "c.yaml:4: storage.quotas.Temp: a category key is lowercase letters, digits and '_', starting with a letter"
            ),
            (
                "storage:\n  base_path: /s\n  monitoring:\n    metrics_listen: localhost\n",
                "c.yaml:4: storage.monitoring.metrics_listen: expected host:port with a port from 0 to 65535 (e.g. 127.0.0.1:9464; 0 picks a free port), found 'localhost'"
            ),
            (
                "storage:\n  base_path: /s\n  monitoring:\n    metrics_listen: \"127.0.0.1:70000\"\n",
                "c.yaml:4: storage.monitoring.metrics_listen: expected host:port with a port from 0 to 65535 (e.g. 127.0.0.1:9464; 0 picks a free port), found '127.0.0.1:70000'"
            ),
            (
                "storage:\n  base_path: /s\n  monitoring:\n    metrics_listen: \"0.0.0.0:9464\"\n",
                "c.yaml:4: storage.monitoring.metrics_listen: 0.0.0.0 is not a loopback address: set monitoring.allow_remote: true "
                    + "to serve metrics and the API (which can start cleanups and has no authentication) to other machines"
            ),
            (
                "storage:\n  base_path: /s\n  monitoring:\n    metrics_listen: \"media-box:9464\"\n    allow_remote: false\n",
                "c.yaml:4: storage.monitoring.metrics_listen: media-box is not a loopback address: set monitoring.allow_remote: true "
                    + "to serve metrics and the API (which can start cleanups and has no authentication) to other machines"
            ),
            (
                "storage:\n  base_path: /s\n  monitoring:\n    alert_threshold_percent: 150\n",
                "c.yaml:4: storage.monitoring.alert_threshold_percent: expected a percentage from 0 to 100, found 150"
            ),
            (
                "storage:\n  base_path: /s\n  monitoring:\n    log_level: LOUD\n",
                "c.yaml:4: storage.monitoring.log_level: expected DEBUG, INFO, WARNING or ERROR, found 'LOUD'"
            ),
            (
                "storage:\n  base_path: ~/media\n",
                "c.yaml:2: storage.base_path: '~' is not expanded; use an absolute path"
            ),
            (
                "storage:\n  base_path: 42\n",
                "c.yaml:2: storage.base_path: expected a string, found '42'"
            ),
            (
                "storage:\n  retention:\n    temp: 1d\n",
                "c.yaml:1: storage.base_path: missing; set it here or in STORAGE_BASE_PATH"
            ),
            (
                "storage: everything\n",
                "c.yaml:1: storage: expected a mapping, found 'everything'"
            ),
            (
                "app:\n  name: x\n",
                "c.yaml: storage: missing the 'storage' section"
            ),
            (
                "storage:\n  base_path: 2024-01-01\n",
                "c.yaml:2: ambiguous scalar: '2024-01-01' is read as a date by YAML 1.1; quote it (column 14)"
            ),
        ] as [(String, String)])
    func rejects(text: String, expected: String) {
        #expect(failure(text)?.description == expected)
    }

    @Test func missingFileNamesTheReason() {
        #expect(
            throws: ConfigError(
                file: "/nonexistent/storekeeper.yaml", line: nil, key: nil,
                message: "cannot read config file: No such file or directory")
        ) {
            try ConfigurationLoader.load(file: "/nonexistent/storekeeper.yaml", environment: [:], currentDirectory: "/")
        }
    }

    @Test func invalidUTF8NamesTheLine() throws {
        let path = try temporaryFile(Array("storage:\n  base_path: /s\n  # caf".utf8) + [0xE9, 0x0A])
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: ConfigError(file: path, line: 3, key: nil, message: "not valid UTF-8 text")) {
            try ConfigurationLoader.load(file: path, environment: [:], currentDirectory: "/")
        }
    }

    // MARK: - Environment

    private let minimal = "storage:\n  base_path: /s\n  retention:\n    scratch: 1d\n  categories:\n    scratch:\n"

    @Test func environmentWinsOverTheFile() throws {
        let (configuration, warnings) = try load(
            minimal,
            environment: [
                "STORAGE_BASE_PATH": "/mnt/media",
                "STORAGE_RETENTION_CONTACT_SHEETS": "7d",
                "STORAGE_RETENTION_SCRATCH": "-1",
                "STORAGE_QUOTA_TEMP": "1GiB",
                "STORAGE_QUOTA_UPLOADS": "-1",
                "STORAGE_CLEANUP_ENABLED": "FALSE",
                "STORAGE_CLEANUP_DRY_RUN": "1",
                "STORAGE_CLEANUP_BATCH_SIZE": "50",
                "STORAGE_QUOTA_FRAMES": "",
                "HOME": "/root",
            ])
        #expect(warnings.isEmpty)
        #expect(configuration.basePath == "/mnt/media")
        #expect(configuration.category(forDirectory: "contact-sheets")?.retentionSeconds == 604_800)
        #expect(configuration.category(forDirectory: "scratch")?.retentionSeconds == nil)
        #expect(configuration.category(forDirectory: "temp")?.quotaBytes == 1 << 30)
        #expect(configuration.category(forDirectory: "uploads")?.quotaBytes == nil)
        #expect(configuration.category(forDirectory: "frames")?.quotaBytes == 50 << 30)
        #expect(!configuration.cleanup.enabled && configuration.cleanup.dryRun && configuration.cleanup.batchSize == 50)
    }

    @Test func environmentBasePathAloneIsEnough() throws {
        let (configuration, warnings) = try ConfigurationLoader.load(
            text: "storage:\n  cleanup:\n    dry_run: true\n", file: "c.yaml",
            environment: ["STORAGE_BASE_PATH": "media"],
            currentDirectory: "/work/dir", noteRelativePaths: true)
        #expect(configuration.basePath == "/work/dir/media")
        #expect(
            warnings.map(\.description) == [
                "environment: STORAGE_BASE_PATH: relative path 'media' is resolved against the working directory: /work/dir/media"
            ])
    }

    @Test(
        arguments: [
            (
                "STORAGE_QUOTA_TEMP", "5 GB",
                "environment: STORAGE_QUOTA_TEMP: expected a size: whole bytes or a number with B, KB, MB, GB, TB, KiB, MiB, GiB or TiB (512MiB, 10GiB, 1.5TB), or -1, found '5 GB'"
            ),
            (
                "STORAGE_RETENTION_TEMP", "-3",
                "environment: STORAGE_RETENTION_TEMP: negative duration '-3': only -1 (forever) is allowed"
            ),
            (
                "STORAGE_RETENTION_OUTPUTS", "86400",
                "environment: STORAGE_RETENTION_OUTPUTS: outputs is never deleted by any policy: its retention must be -1 (keep forever)"
            ),
            (
                "STORAGE_CLEANUP_ENABLED", "sometimes",
                "environment: STORAGE_CLEANUP_ENABLED: expected true, false, 1, 0, yes or no, found 'sometimes'"
            ),
            (
                "STORAGE_CLEANUP_DRY_RUN", "on",
                "environment: STORAGE_CLEANUP_DRY_RUN: expected true, false, 1, 0, yes or no, found 'on'"
            ),
            ("STORAGE_CLEANUP_BATCH_SIZE", "0", "environment: STORAGE_CLEANUP_BATCH_SIZE: must be at least 1, found 0"),
            (
                "STORAGE_CLEANUP_BATCH_SIZE", "ten",
                "environment: STORAGE_CLEANUP_BATCH_SIZE: expected an integer, found 'ten'"
            ),
            ("STORAGE_BASE_PATH", "~/x", "environment: STORAGE_BASE_PATH: '~' is not expanded; use an absolute path"),
        ] as [(String, String, String)])
    func badEnvironmentValue(name: String, value: String, expected: String) {
        let error = failure(minimal, environment: [name: value])
        #expect(error?.description == expected)
        #expect(error?.file == "environment" && error?.key == name && error?.line == nil)
    }

    // MARK: - Warnings

    @Test func warningsForSurprisingButValidSettings() throws {
        let (_, warnings) = try ConfigurationLoader.load(
            text: """
                app:
                  name: media-analysis
                storage:
                  base_path: ./storage
                  retention:
                    temp: 0
                  quotas:
                    frames: 0
                logging: x
                """, file: "c.yaml", environment: ["STORAGE_QUOTA_NOPE": "1GiB"], currentDirectory: "/work/dir",
            noteRelativePaths: true)
        #expect(
            warnings.map(\.description) == [
                "c.yaml:1: app: ignored: not a Storekeeper setting (left to the host application)",
                "c.yaml:9: logging: ignored: not a Storekeeper setting (left to the host application)",
                "environment: STORAGE_QUOTA_NOPE: ignored: no configured category is named 'nope'",
                "c.yaml:4: storage.base_path: relative path './storage' is resolved against the config file's folder: /work/dir/storage",
                "c.yaml:6: storage.retention.temp: retention 0: every file is expired at once",
                "c.yaml:8: storage.quotas.frames: quota 0: the category is always over quota",
            ])
    }
}
