/// One append-only step of the schema, numbered like its file in `schema/`.
struct Migration: Sendable {
    let version: Int
    let file: String
    let sql: String
}

extension Database {
    /// The schema version this binary writes: the newest migration it carries.
    public static var schemaVersion: Int { EmbeddedSchema.migrations.last?.version ?? 0 }

    /// Applies every migration newer than `PRAGMA user_version`, each in its own
    /// transaction with the version bump, so a crash leaves a whole version.
    func migrate() throws {
        let current = try userVersion
        if current > Database.schemaVersion {
            throw IndexStoreError.schemaMismatch(path: path, found: current, expected: Database.schemaVersion)
        }
        for migration in EmbeddedSchema.migrations where migration.version > current {
            try transaction {
                try execute(migration.sql)
                try execute("PRAGMA user_version = \(migration.version)")
            }
        }
    }
}
