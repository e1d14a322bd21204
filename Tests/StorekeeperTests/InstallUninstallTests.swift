import Foundation
import Glibc
import TestSupport
import Testing

/// `scripts/install.sh --uninstall` into a staging folder: it takes back what
/// an install put there and nothing an operator made or changed.
@Suite struct InstallUninstallTests {
    static func install(_ arguments: [String]) throws -> Shell.Result {
        try Shell.run(
            ["bash", OperationsTests.repository + "/scripts/install.sh", "--binary", StorekeeperBinary.path]
                + arguments,
            in: OperationsTests.repository)
    }

    static func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    static let installed = [
        "usr/local/bin/storekeeper", "usr/local/lib/storekeeper/cleanup.sh",
        "usr/local/share/doc/storekeeper/operations.md",
        "etc/systemd/system/storekeeper.service", "etc/systemd/system/storekeeper-clean.service",
        "etc/systemd/system/storekeeper-clean.timer", "etc/logrotate.d/storekeeper",
        "usr/local/share/storekeeper/prometheus/storekeeper-rules.yml",
    ]

    @Test func uninstallRemovesWhatTheInstallPutThereAndKeepsTheData() throws {
        let tree = try TemporaryTree()
        let stage = tree.root + "/stage"
        let first = try Self.install(["--destdir", stage])
        #expect(first.status == 0, "\(first.stderr)")
        // Data of the operator's: a storage tree with its index, under the stage too.
        let storage = stage + "/opt/services/media-analysis/storage"
        try FileManager.default.createDirectory(atPath: storage + "/.storekeeper", withIntermediateDirectories: true)
        try "index".write(toFile: storage + "/.storekeeper/index.db", atomically: true, encoding: .utf8)

        let dry = try Self.install(["--destdir", stage, "--uninstall", "--dry-run"])
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("would remove: \(stage)/usr/local/bin/storekeeper"), "\(dry.stdout)")
        for path in Self.installed { #expect(Self.exists(stage + "/" + path), "the dry run removed \(path)") }

        let removed = try Self.install(["--destdir", stage, "--uninstall"])
        #expect(removed.status == 0, "\(removed.stderr)")
        for path in Self.installed { #expect(!Self.exists(stage + "/" + path), "left \(path)") }
        // The shipped config was unchanged, so it goes, and its now empty folders with it.
        #expect(!Self.exists(stage + "/etc/storekeeper"))
        #expect(!Self.exists(stage + "/usr/local/lib/storekeeper"))
        #expect(!Self.exists(stage + "/usr/local/share/storekeeper"))
        #expect(Self.exists(storage + "/.storekeeper/index.db"))
        #expect(removed.stdout.contains("kept: the storage tree and its index"), "\(removed.stdout)")

        // Uninstalling again finds nothing to remove and still succeeds.
        let again = try Self.install(["--destdir", stage, "--uninstall"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(!again.stdout.contains("remove: "), "\(again.stdout)")
    }

    @Test func anEditedConfigSurvivesAnUninstall() throws {
        let tree = try TemporaryTree()
        let stage = tree.root + "/stage"
        #expect(try Self.install(["--destdir", stage]).status == 0)
        let config = stage + "/etc/storekeeper/storekeeper.yaml"
        try "# local\n".appending(OperationsTests.contents(config)).write(
            toFile: config, atomically: true, encoding: .utf8)

        let removed = try Self.install(["--destdir", stage, "--uninstall"])
        #expect(removed.status == 0, "\(removed.stderr)")
        #expect(removed.stdout.contains("kept (changed since install): \(config)"), "\(removed.stdout)")
        #expect(OperationsTests.contents(config).hasPrefix("# local\n"))
        #expect(!Self.exists(stage + "/usr/local/bin/storekeeper"))
    }
}
