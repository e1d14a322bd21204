/// The SQL of the `trash` and `trash_usage` tables (schema/0002_trash.sql).
/// The trash folder is the truth; these rows mirror it for O(1) sizes.
extension IndexStore {
    /// Every row, by trash name.
    package func trashRows() throws -> [[UInt8]: TrashedItem] {
        var rows: [[UInt8]: TrashedItem] = [:]
        try database.statement("SELECT trash_name, original_path, category, size, deleted_at FROM trash")
            .forEachRow { row in
                let item = TrashedItem(
                    trashName: row.bytes(0), originalPath: row.bytes(1), deletedAt: row.int64(4), size: row.int64(3),
                    category: row.optionalString(2))
                rows[item.trashName] = item
            }
        return rows
    }

    /// Inserts or replaces the row of `item.trashName`; the triggers keep
    /// `trash_usage` exact either way.
    package func saveTrashRow(_ item: TrashedItem) throws {
        try database.statement(
            """
            INSERT OR REPLACE INTO trash (trash_name, original_path, category, size, deleted_at)
            VALUES (?1, ?2, ?3, ?4, ?5)
            """
        ).execute([
            .text(item.trashName), .text(item.originalPath), item.category.map(DatabaseValue.string) ?? .null,
            .integer(item.size), .integer(item.deletedAt),
        ])
    }

    package func deleteTrashRow(_ trashName: [UInt8]) throws {
        try database.statement("DELETE FROM trash WHERE trash_name = ?1").execute([.text(trashName)])
    }

    /// Items and bytes in the trash, from the one-row `trash_usage`: what
    /// `stats` shows without touching the disk (a read-only index will do).
    public func trashUsage() throws -> (files: Int64, bytes: Int64) {
        try database.statement("SELECT files, bytes FROM trash_usage WHERE id = 1").firstRow {
            ($0.int64(0), $0.int64(1))
        } ?? (0, 0)
    }
}
