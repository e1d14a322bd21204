import Foundation
import Glibc
import TestSupport
import Testing

@testable import StorekeeperIndex

@Suite struct MigrationTests {
    let directory: TemporaryDirectory
    let path: String

    init() throws {
        directory = try TemporaryDirectory()
        path = directory.path("index.db")
    }

    /// Everything the schema defines, as sqlite3's `.schema` would list it.
    static func schema(of database: Database) throws -> [String] {
        var rows: [String] = []
        try database.statement("SELECT type, name, sql FROM sqlite_master ORDER BY type, name").forEachRow {
            rows.append("\($0.string(0)) \($0.string(1)): \($0.optionalString(2) ?? "")")
        }
        return rows
    }

    static func names(_ type: String, in database: Database) throws -> Set<String> {
        var names: Set<String> = []
        try database.statement("SELECT name FROM sqlite_master WHERE type = ?1 AND name NOT LIKE 'sqlite%'")
            .forEachRow([.string(type)]) { names.insert($0.string(0)) }
        return names
    }

    @Test func freshIndexMigratesToTheNewestVersionInWALMode() throws {
        let store = try IndexStore.create(path: path)
        let database = store.database
        #expect(try database.userVersion == Database.schemaVersion)
        #expect(try database.statement("PRAGMA journal_mode").firstRow { $0.string(0) } == "wal")
        #expect(
            try Self.names("table", in: database)
                == [
                    "files", "usage", "usage_replaced", "categories", "events", "cleanup_runs", "jobs", "meta", "trash",
                    "trash_usage", "trash_usage_replaced", "cleanup_totals", "cleanup_skips", "restores",
                    "usage_history", "event_log",
                ])
        #expect(
            try Self.names("view", in: database)
                == ["quota_status", "expired_files", "largest_files", "recent_deletions", "trash_contents"])
        #expect(
            try Self.names("trigger", in: database)
                == [
                    "files_note_replaced_on_insert", "files_note_replaced_on_rename", "files_usage_after_insert_alone",
                    "files_usage_after_insert", "files_usage_after_delete_alone", "files_usage_after_delete",
                    "files_usage_after_update_alone", "files_usage_after_update",
                    "trash_note_replaced_on_insert", "trash_note_replaced_on_rename", "trash_usage_after_insert",
                    "trash_usage_after_delete", "trash_usage_after_update", "trash_usage_after_rename",
                    "events_log_after_insert", "events_log_after_delete",
                ])
    }

    @Test func anEmptyDatabaseFileIsMigratedOnOpen() throws {
        try Database(path: path).execute("PRAGMA user_version = 0")
        let store = try IndexStore(path: path)
        #expect(try store.database.userVersion == Database.schemaVersion)
    }

    @Test func reopeningIsIdempotent() throws {
        let schema: [String]
        do {
            let store = try IndexStore.create(path: path)
            try store.setMeta("base", "/srv/storage")
            schema = try Self.schema(of: store.database)
        }
        for _ in 0..<2 {
            let store = try IndexStore(path: path)
            #expect(try store.database.userVersion == Database.schemaVersion)
            #expect(try Self.schema(of: store.database) == schema)
            #expect(try store.meta("base") == "/srv/storage")
        }
        let reader = try IndexStore(path: path, readOnly: true)
        #expect(try reader.database.userVersion == Database.schemaVersion)
    }

    @Test func anIndexFromANewerStorekeeperIsRefused() throws {
        let newer = Database.schemaVersion + 1
        do {
            let store = try IndexStore.create(path: path)
            try store.database.execute("PRAGMA user_version = \(newer)")
        }
        let error = #expect(throws: IndexStoreError.self) { try IndexStore(path: path) }
        let message = error?.description ?? ""
        #expect(message.contains(path))
        #expect(message.contains("version \(newer), newer than this storekeeper's \(Database.schemaVersion)"))
        #expect(message.contains("use a newer storekeeper"))

        let readOnlyError = #expect(throws: IndexStoreError.self) { try IndexStore(path: path, readOnly: true) }
        guard case .schemaMismatch(_, let found, let expected) = readOnlyError else {
            Issue.record("expected schemaMismatch, got \(String(describing: readOnlyError))")
            return
        }
        #expect(found == newer && expected == Database.schemaVersion)
        // Refusing must leave the newer index as it was.
        #expect(try Database(path: path, mode: .readOnly).userVersion == newer)
    }

    @Test(arguments: [false, true])
    func openingAMissingIndexThrowsAndCreatesNothing(readOnly: Bool) throws {
        let error = #expect(throws: IndexStoreError.self) { try IndexStore(path: path, readOnly: readOnly) }
        guard case .missing(let missingPath) = error else {
            Issue.record("expected .missing, got \(String(describing: error))")
            return
        }
        #expect(missingPath == path)
        #expect(error?.description.contains("storekeeper init") == true)
        #expect(access(path, F_OK) != 0)
    }
}
