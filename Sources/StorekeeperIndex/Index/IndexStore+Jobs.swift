/// The `jobs` table: what ran last and what runs next, per scheduled job.
extension IndexStore {
    public struct JobRecord: Equatable, Sendable {
        public let name: String
        public let schedule: String
        public let lastStartedAt: Int64?
        public let lastFinishedAt: Int64?
        public let lastStatus: String?
        public let nextRunAt: Int64?
        public let runs: Int64
    }

    public func jobs() throws -> [JobRecord] {
        var records: [JobRecord] = []
        try database.statement(
            "SELECT name, schedule, last_started_at, last_finished_at, last_status, next_run_at, runs FROM jobs ORDER BY name"
        ).forEachRow { row in
            records.append(
                JobRecord(
                    name: row.string(0), schedule: row.string(1), lastStartedAt: row.optionalInt64(2),
                    lastFinishedAt: row.optionalInt64(3), lastStatus: row.optionalString(4),
                    nextRunAt: row.optionalInt64(5), runs: row.int64(6)))
        }
        return records
    }

    public func job(named name: String) throws -> JobRecord? {
        try jobs().first { $0.name == name }
    }

    /// Registers a job, or changes its schedule (which also resets the next run).
    public func registerJob(name: String, schedule: String, nextRunAt: Int64?) throws {
        try database.statement(
            """
            INSERT INTO jobs (name, schedule, next_run_at) VALUES (?1, ?2, ?3)
            ON CONFLICT (name) DO UPDATE SET schedule = excluded.schedule, next_run_at = excluded.next_run_at
            """
        ).execute([.string(name), .string(schedule), .optional(nextRunAt)])
    }

    public func jobStarted(name: String, at time: Int64) throws {
        try database.statement("UPDATE jobs SET last_started_at = ?2, last_status = 'running' WHERE name = ?1")
            .execute([.string(name), .integer(time)])
    }

    public func jobFinished(name: String, at time: Int64, status: String, nextRunAt: Int64?) throws {
        try database.statement(
            """
            UPDATE jobs SET last_finished_at = ?2, last_status = ?3, next_run_at = ?4, runs = runs + 1
            WHERE name = ?1
            """
        ).execute([.string(name), .integer(time), .string(status), .optional(nextRunAt)])
    }
}
