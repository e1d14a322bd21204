import StorekeeperConfig

/// The queries behind the status page: each an index range or a short
/// backwards walk, so the page costs what `stats` costs.
extension IndexStore {
    /// One row of `cleanup_runs`, whole.
    public struct CleanupRunRecord: Sendable, Equatable {
        public let id: Int64
        public let trigger: String
        public let startedAt: Int64
        public let finishedAt: Int64?
        public let status: String
        public let dryRun: Bool
        public let filesRemoved: Int64
        public let bytesFreed: Int64
        public let filesSkipped: Int64
        public let errors: Int64
        /// The run's JSON detail (files per category, skips by reason, error).
        public let detail: String?
    }

    /// The newest `limit` runs, newest first.
    public func recentCleanupRuns(limit: Int) throws -> [CleanupRunRecord] {
        var runs: [CleanupRunRecord] = []
        try database.statement(
            """
            SELECT id, trigger, started_at, finished_at, status, dry_run, files_removed, bytes_freed, files_skipped,
                   errors, detail
            FROM cleanup_runs ORDER BY id DESC LIMIT ?1
            """
        ).forEachRow([.int(limit)]) { row in
            runs.append(
                CleanupRunRecord(
                    id: row.int64(0), trigger: row.string(1), startedAt: row.int64(2), finishedAt: row.optionalInt64(3),
                    status: row.string(4), dryRun: row.int64(5) != 0, filesRemoved: row.int64(6),
                    bytesFreed: row.int64(7), filesSkipped: row.int64(8), errors: row.int64(9),
                    detail: row.isNull(10) ? nil : row.string(10)))
        }
        return runs
    }

    /// Files of `category` (and their bytes) whose retention ends before
    /// `now + window`: those already due wait for the next run and count too.
    /// A `.gitkeep` is layout and never expires.
    public func expiring(
        category: CategoryPolicy, now: Int64, window: Int64
    ) throws -> (files: Int64, bytes: Int64) {
        guard let retention = category.retentionSeconds else { return (0, 0) }
        let age = category.ageBy == .mtime ? "mtime" : "coalesce(path_date, mtime)"
        let cutoff = now.addingReportingOverflow(window).partialValue.subtractingReportingOverflow(retention)
            .partialValue
        return try database.statement(
            """
            SELECT count(*), coalesce(sum(size), 0) FROM files
            WHERE category = ?1 AND \(age) < ?2 AND \(Self.isContent())
              AND (restored_at IS NULL OR restored_at < ?2)
            """
        ).firstRow([.string(category.key), .integer(cutoff)]) { row in (row.int64(0), row.int64(1)) } ?? (0, 0)
    }

    /// The path of the category's oldest content file (by mtime), for people
    /// to see what the oldest age means.
    public func oldestFile(category: String) throws -> [UInt8]? {
        try database.statement(
            """
            SELECT path FROM files WHERE category = ?1 AND \(Self.isContent()) ORDER BY mtime, id LIMIT 1
            """
        ).firstRow([.string(category)]) { row in row.bytes(0) }
    }
}
