import Foundation
import Testing

@testable import StorekeeperIndex

/// The binary carries its migrations as Swift strings generated from
/// `schema/*.sql` by `scripts/embed-schema`; these tests fail when someone
/// edits one side and forgets to regenerate the other.
@Suite struct SchemaEmbeddingTests {
    /// `schema/` of this checkout: this file is `Tests/StorekeeperCoreTests/Index/…`.
    static let schemaDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("schema").path

    static func schemaFiles() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: schemaDirectory)
            .filter { $0.wholeMatch(of: /[0-9]{4}_.+\.sql/) != nil }
            .sorted()
    }

    @Test func everySchemaFileIsEmbeddedUnderItsName() throws {
        let files = try Self.schemaFiles()
        #expect(!files.isEmpty, "no migrations found in \(Self.schemaDirectory)")
        #expect(EmbeddedSchema.migrations.map(\.file) == files, "run scripts/embed-schema")
    }

    @Test func embeddedTextEqualsTheFileByteForByte() throws {
        let files = try Self.schemaFiles()
        for (migration, file) in zip(EmbeddedSchema.migrations, files) {
            let onDisk = try Data(contentsOf: URL(fileURLWithPath: Self.schemaDirectory + "/" + file))
            // The generator's closing `"""#` drops the file's final newline.
            #expect(Array(migration.sql.utf8) + [0x0A] == Array(onDisk), "\(file) differs: run scripts/embed-schema")
        }
    }

    @Test func versionsCountFromOneWithoutGaps() {
        let versions = EmbeddedSchema.migrations.map(\.version)
        #expect(versions == Array(1...max(1, versions.count)))
        #expect(Database.schemaVersion == versions.count)
    }

    @Test func versionMatchesTheFileNumber() {
        for migration in EmbeddedSchema.migrations {
            #expect(Int(migration.file.prefix(4)) == migration.version, "\(migration.file)")
        }
    }
}
