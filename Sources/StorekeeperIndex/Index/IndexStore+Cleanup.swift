import StorekeeperConfig

/// The cleaner's reads and writes: candidates in age order, and the run log.
extension IndexStore {
    /// A row the cleaner may act on, with the key it was paged by.
    public struct Candidate: Equatable, Sendable {
        public let id: Int64
        public let file: IndexedFile
        /// What the age is measured by: mtime, or the path date for `age_by: path_date`.
        public let ageReference: Int64
        /// When the row was written (`entered_at`): a file whose inode changed
        /// after this, and after its mtime, is not what the index saw.
        public let enteredAt: Int64
    }

    /// Where a paged selection stopped: the (age, id) of its last row.
    public struct CandidateKey: Equatable, Sendable {
        public let ageReference: Int64
        public let id: Int64

        public init(ageReference: Int64, id: Int64) {
            self.ageReference = ageReference
            self.id = id
        }
    }

    /// The next `limit` rows of `category`, oldest first, whose age reference
    /// is before `cutoff` (nil: any age, for quota eviction), after `key`.
    /// Ordered by (mtime, id), which is the `(category, mtime)` index order, so
    /// each page is an index range, whatever the size of the category.
    /// `forSpace` (quota and low-disk eviction) leaves out names whose inode
    /// has other names: removing one frees nothing.
    public func candidates(
        category: String, ageBy: CategoryPolicy.AgeBy, before cutoff: Int64?, after key: CandidateKey?, limit: Int,
        forSpace: Bool = false
    ) throws -> [Candidate] {
        let age = ageBy == .mtime ? "mtime" : "coalesce(path_date, mtime)"
        // A folder's .gitkeep keeps the folder: it is never a candidate.
        var conditions = ["category = ?1", Self.isContent()]
        var values: [DatabaseValue] = [.string(category)]
        if let cutoff {
            values.append(.integer(cutoff))
            conditions.append("\(age) < ?\(values.count)")
            // A restored file ages from its restore, or the next run takes it straight back.
            conditions.append("(restored_at IS NULL OR restored_at < ?\(values.count))")
        }
        if forSpace { conditions.append("nlink <= 1") }
        if let key {
            values.append(.integer(key.ageReference))
            let ageIndex = values.count
            values.append(.integer(key.id))
            // The `>=` bound starts the index range at the last page's end; the
            // OR alone would make every page rescan the range from its start.
            conditions.append(
                "\(age) >= ?\(ageIndex) AND (\(age) > ?\(ageIndex) OR id > ?\(values.count))")
        }
        values.append(.int(limit))
        let sql = """
            SELECT id, \(Self.fileColumns), \(age), entered_at FROM files
            WHERE \(conditions.joined(separator: " AND "))
            ORDER BY \(age), id LIMIT ?\(values.count)
            """
        var rows: [Candidate] = []
        try database.statement(sql).forEachRow(values) { row in
            rows.append(
                Candidate(
                    id: row.int64(0), file: Self.file(from: row, offset: 1),
                    ageReference: row.int64(Self.fileColumnCount + 1),
                    enteredAt: row.int64(Self.fileColumnCount + 2)))
        }
        return rows
    }

    /// Marks a row as written at `time` (`entered_at`): the cleaner found the
    /// file's inode changed since, took the disk's facts, and must not skip it
    /// for that change again. The id stays, so the run's paging moves past it.
    public func markEntered(path: [UInt8], at time: Int64) throws {
        try database.statement("UPDATE files SET entered_at = ?2 WHERE path = ?1").execute([
            .text(path), .integer(time),
        ])
    }

    /// Deletes the row the cleaner paged as `id`, once its file is removed:
    /// the rowid needs no lookup of the path, and a row a new file at the
    /// same path got since is not touched.
    public func deleteFile(id: Int64) throws {
        try database.statement("DELETE FROM files WHERE id = ?1").execute([.integer(id)])
    }

    /// Files, apparent bytes and allocated bytes (what quotas count) of one category, from `usage`.
    public func usage(of category: String) throws -> (files: Int64, bytes: Int64, allocated: Int64) {
        try database.statement("SELECT files, bytes, allocated FROM usage WHERE category = ?1")
            .firstRow([.string(category)]) { ($0.int64(0), $0.int64(1), $0.int64(2)) } ?? (0, 0, 0)
    }

    // MARK: cleanup_runs

    /// What a finished run did, as its `cleanup_runs` row holds it.
    public struct CleanupRunTotals: Sendable {
        public var removed: Int
        public var bytes: Int64
        public var skipped: Int
        public var errors: Int
        public var detail: String

        public init(removed: Int, bytes: Int64, skipped: Int, errors: Int, detail: String) {
            self.removed = removed
            self.bytes = bytes
            self.skipped = skipped
            self.errors = errors
            self.detail = detail
        }
    }

    /// Starts a run's row. The caller holds the cleanup lock, so a row still
    /// `running` belongs to a run that died (killed, power lost): it is marked
    /// `interrupted` here, in the same transaction, and counted in the result.
    public func beginCleanupRun(
        trigger: CleanupTrigger, dryRun: Bool, startedAt: Int64
    ) throws -> (id: Int64, interrupted: Int) {
        try write {
            try database.statement("UPDATE cleanup_runs SET status = ?2, finished_at = ?1 WHERE status = ?3")
                .execute([
                    .integer(startedAt), .string(CleanupRunStatus.interrupted.rawValue),
                    .string(CleanupRunStatus.running.rawValue),
                ])
            let interrupted = database.changes
            try database.statement(
                "INSERT INTO cleanup_runs (started_at, trigger, dry_run, status) VALUES (?1, ?2, ?3, ?4)"
            ).execute([
                .integer(startedAt), .string(trigger.rawValue), .integer(dryRun ? 1 : 0),
                .string(CleanupRunStatus.running.rawValue),
            ])
            let id = try database.statement("SELECT last_insert_rowid()").firstRow { $0.int64(0) } ?? 0
            return (id, interrupted)
        }
    }

    public func finishCleanupRun(_ id: Int64, status: CleanupRunStatus, finishedAt: Int64, totals: CleanupRunTotals)
        throws
    {
        try database.statement(
            """
            UPDATE cleanup_runs SET status = ?2, finished_at = ?3, files_removed = ?4, bytes_freed = ?5,
                files_skipped = ?6, errors = ?7, detail = ?8
            WHERE id = ?1
            """
        ).execute([
            .integer(id), .string(status.rawValue), .integer(finishedAt), .int(totals.removed), .integer(totals.bytes),
            .int(totals.skipped), .int(totals.errors), .string(totals.detail),
        ])
    }

    /// Writes a whole run's row at its end, for a run whose start could not
    /// be recorded (the index was full or locked then); returns its id.
    public func recordCleanupRun(
        trigger: CleanupTrigger, dryRun: Bool, startedAt: Int64, status: CleanupRunStatus, finishedAt: Int64,
        totals: CleanupRunTotals
    ) throws -> Int64 {
        try database.statement(
            """
            INSERT INTO cleanup_runs (started_at, trigger, dry_run, status, finished_at, files_removed, bytes_freed,
                files_skipped, errors, detail)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
            """
        ).execute([
            .integer(startedAt), .string(trigger.rawValue), .integer(dryRun ? 1 : 0), .string(status.rawValue),
            .integer(finishedAt),
            .int(totals.removed), .integer(totals.bytes), .int(totals.skipped), .int(totals.errors),
            .string(totals.detail),
        ])
        return try database.statement("SELECT last_insert_rowid()").firstRow { $0.int64(0) } ?? 0
    }
}
