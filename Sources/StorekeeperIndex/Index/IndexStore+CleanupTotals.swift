/// The cleanup counters (schema/0003_cleanup_totals.sql) and the last runs:
/// what the metrics read about cleanups, a few rows each.
extension IndexStore {
    /// Why files left, as the metrics label it.
    public enum CleanupReason: String, Sendable, CaseIterable {
        case ttl
        case quota
        case lowDisk = "low_disk"
        case trashPurge = "trash_purge"

        /// The reason the metrics give a cleaner's cause.
        public init(_ cause: CleanupCause) {
            switch cause {
            case .expired: self = .ttl
            case .quota: self = .quota
            case .lowDisk: self = .lowDisk
            }
        }
    }

    /// One row of `cleanup_totals`.
    public struct CleanupTotal: Equatable, Sendable {
        public var category: String
        public var reason: String
        public var files: Int64
        public var bytes: Int64
        public var errors: Int64
    }

    /// One row of `cleanup_skips`.
    public struct CleanupSkips: Equatable, Sendable {
        public var category: String
        public var reason: String
        public var files: Int64
    }

    /// A finished cleanup run, from `cleanup_runs`.
    public struct CleanupRunSummary: Equatable, Sendable {
        public var id: Int64
        /// As stored: a trigger this version does not know still reads.
        public var trigger: String
        public var startedAt: Int64
        public var finishedAt: Int64
        /// As stored; `runStatus` is what code decides on.
        public var status: String
        public var errors: Int64

        /// Nil only for a row no version of Storekeeper wrote (the CHECK on
        /// `cleanup_runs.status` allows exactly the statuses there are).
        public var runStatus: CleanupRunStatus? { CleanupRunStatus(rawValue: status) }

        /// It stopped on an error, or left files it could not remove.
        public var failed: Bool { runStatus != .ok || errors > 0 }
    }

    /// Category of trash items other tools trashed, in `cleanup_totals`.
    public static let unknownCategory = "unknown"

    /// Adds to the totals of `(category, reason)`; the caller's transaction,
    /// if any, makes it atomic with the events it goes with.
    public func addCleanupTotals(
        category: String, reason: CleanupReason, files: Int64, bytes: Int64, errors: Int64
    ) throws {
        guard files != 0 || bytes != 0 || errors != 0 else { return }
        // SQLite's `+` turns an overflowing sum into a REAL that loses bytes;
        // the counter holds at the largest integer instead (a REAL left by an
        // older version settles there too).
        try database.statement(
            """
            INSERT INTO cleanup_totals (category, reason, files, bytes, errors) VALUES (?1, ?2, ?3, ?4, ?5)
            ON CONFLICT (category, reason) DO UPDATE SET files = files + excluded.files,
                bytes = CASE WHEN bytes > 9223372036854775807 - excluded.bytes THEN 9223372036854775807
                             ELSE bytes + excluded.bytes END,
                errors = errors + excluded.errors
            """
        ).execute([.string(category), .string(reason.rawValue), .integer(files), .integer(bytes), .integer(errors)])
    }

    public func addCleanupSkips(category: String, reason: SkipReason, files: Int64) throws {
        guard files != 0 else { return }
        try database.statement(
            """
            INSERT INTO cleanup_skips (category, reason, files) VALUES (?1, ?2, ?3)
            ON CONFLICT (category, reason) DO UPDATE SET files = files + excluded.files
            """
        ).execute([.string(category), .string(reason.rawValue), .integer(files)])
    }

    public func cleanupTotals() throws -> [CleanupTotal] {
        var rows: [CleanupTotal] = []
        try database.statement(
            "SELECT category, reason, files, bytes, errors FROM cleanup_totals ORDER BY category, reason"
        )
        .forEachRow { row in
            rows.append(
                CleanupTotal(
                    category: row.string(0), reason: row.string(1), files: row.int64(2), bytes: row.int64(3),
                    errors: row.int64(4)))
        }
        return rows
    }

    public func cleanupSkips() throws -> [CleanupSkips] {
        var rows: [CleanupSkips] = []
        try database.statement("SELECT category, reason, files FROM cleanup_skips ORDER BY category, reason")
            .forEachRow { rows.append(CleanupSkips(category: $0.string(0), reason: $0.string(1), files: $0.int64(2))) }
        return rows
    }

    /// The newest finished run that changed something (dry runs excluded),
    /// and the newest of those that succeeded. Both walk `cleanup_runs`
    /// backwards by id and stop at the first match.
    public func lastCleanupRuns() throws -> (last: CleanupRunSummary?, lastSuccess: CleanupRunSummary?) {
        func newest(_ condition: String, _ status: CleanupRunStatus) throws -> CleanupRunSummary? {
            try database.statement(
                """
                SELECT id, trigger, started_at, finished_at, status, errors FROM cleanup_runs
                WHERE dry_run = 0 AND finished_at IS NOT NULL AND \(condition) ORDER BY id DESC LIMIT 1
                """
            ).firstRow([.string(status.rawValue)]) { row in
                CleanupRunSummary(
                    id: row.int64(0), trigger: row.string(1), startedAt: row.int64(2), finishedAt: row.int64(3),
                    status: row.string(4), errors: row.int64(5))
            }
        }
        return (try newest("status != ?1", .running), try newest("status = ?1", .ok))
    }
}
