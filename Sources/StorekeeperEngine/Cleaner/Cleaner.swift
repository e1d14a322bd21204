import Glibc
import StorekeeperConfig
import StorekeeperIndex
import StorekeeperSystem

/// Applies the retention, quota, trash and low-disk policies. Candidates come
/// from the index (an index range per category, oldest first, in slices of
/// `batch_size` until none remain); each one is verified on disk by
/// `SafeRemover` before anything happens to it. The caller holds the cleanup lock.
public final class Cleaner {
    public struct Request: Sendable {
        public var trigger: String
        public var dryRun: Bool
        /// Only these categories (nil: all).
        public var categories: Set<String>?
        public var expire = true
        public var enforceQuotas = true
        public var purgeTrash = true

        public init(trigger: String, dryRun: Bool, categories: Set<String>? = nil) {
            self.trigger = trigger
            self.dryRun = dryRun
            self.categories = categories
        }
    }

    /// Eviction stops once a category is under this share of its quota, so a
    /// category hovering at its quota is not cleaned file by file.
    public static let quotaTarget = 0.9

    /// A run acts only on an index that passed SQLite's quick check this long
    /// ago at most (the CLI checks on every run; a daemon cleaning under
    /// pressure every few seconds checks once a minute).
    public static let integrityCheckValidity = 60.0

    private let configuration: Configuration
    private let layout: StorageLayout
    private let store: IndexStore
    private let logger: Logger
    private let now: () -> Int64
    private let betweenSlices: (() throws -> Void)?

    /// `betweenSlices` runs after every slice: the daemon drains its event queue
    /// there, so a long cleanup never leaves the index behind.
    public init(
        configuration: Configuration, store: IndexStore, logger: Logger, now: @escaping () -> Int64 = WallClock.now,
        betweenSlices: (() throws -> Void)? = nil
    ) {
        self.configuration = configuration
        layout = StorageLayout(configuration)
        self.store = store
        self.logger = logger
        self.now = now
        self.betweenSlices = betweenSlices
    }

    /// The state of one run.
    private struct Run {
        let request: Request
        let startedAt: Int64
        var remover: SafeRemover?
        var report: CleanupReport
        /// False while the run has no `cleanup_runs` row: the index could not
        /// take the insert (full disk, another writer); `finish` writes it whole.
        var hasRunRow = false
        var removedCount = 0
        /// Folders a removal may have emptied.
        var touchedDirectories: Set<[UInt8]> = []
        /// Bytes a dry run would have freed per category, so its quota and
        /// low-disk figures follow what a real run would see.
        var simulatedFreed: [String: Int64] = [:]
        var capReached = false
        var deleteInsteadOfTrash = false
        /// Slices already acted on whose rows the index could not take yet:
        /// the files are gone, so their records are written as soon as it can.
        var unrecorded: [Slice] = []
        /// Paths skipped in this run. A skip brings the row in line with the
        /// disk, which can move it into a later page of the same selection
        /// (a `touch -d` lands in another second): a file found changed is
        /// left for the next run, not taken on its second look.
        var skipped: Set<[UInt8]> = []
    }

    /// One slice's outcomes, waiting to be written to the index.
    private struct Slice {
        let outcomes: [(IndexedFile, SafeRemover.Outcome)]
        let category: String
        let cause: String
        let time: Int64
    }

    public func run(_ asked: Request) throws -> CleanupReport {
        var request = asked
        request.dryRun = try CleanupGate(configuration).runsDry(asked: asked.dryRun)
        // Nothing is removed on the word of a damaged index.
        try store.checkIntegrity(unlessPassedWithin: Self.integrityCheckValidity)
        let startedAt = now()
        var run = Run(
            request: request, startedAt: startedAt,
            report: CleanupReport(dryRun: request.dryRun, trigger: request.trigger, startedAt: startedAt))
        // On a full disk the index needs room to record what is removed.
        layout.spaceReserve.releaseIfDiskFull(logger: logger)
        do {
            let (id, interrupted) = try store.beginCleanupRun(
                trigger: request.trigger, dryRun: request.dryRun, startedAt: startedAt)
            run.report.runID = id
            run.hasRunRow = true
            if interrupted > 0 {
                logger.warning("marked cleanup runs that died while running as interrupted", ["runs": String(interrupted)])
            }
        } catch let error as DatabaseError where error.isTransient {
            logger.warning("cannot record the cleanup run's start yet; cleaning anyway", ["error": "\(error)"])
        }
        logger.info("cleanup started", ["run": String(run.report.runID), "trigger": request.trigger, "dry_run": String(request.dryRun)])

        do {
            let trash = request.dryRun || !configuration.cleanup.useTrash ? nil : try Trash(layout: layout, store: store)
            // Purged whatever use_trash says now: turning the trash off must
            // not strand what it already holds.
            let purgeable = request.dryRun
                ? nil : try trash ?? (FileSystemPaths.kind(layout.trashDirectory) == nil ? nil : Trash(layout: layout, store: store))
            run.remover = try SafeRemover(
                basePath: layout.basePath, trash: trash, dryRun: request.dryRun, excludes: configuration.cleanup.exclude,
                policies: configuration.categories)
            if request.purgeTrash, let purgeable {
                run.report.add(try purgeable.empty(olderThan: configuration.cleanup.trashRetentionSeconds, now: startedAt))
            }
            let lowDisk = try lowDiskShortfall()
            if lowDisk != nil {
                run.report.lowDisk = true
                // Moving files into the trash would free nothing now.
                run.deleteInsteadOfTrash = true
                if let purgeable {
                    // The trash is the cheapest space there is: all of it goes.
                    run.report.add(try purgeable.empty(olderThan: nil, now: startedAt, cause: "low_disk"))
                }
            }
            for policy in selected(request) {
                run.report.update(policy.key) { _ in }
            }
            if request.expire {
                for policy in selected(request) where policy.retentionSeconds != nil { try expire(policy, &run) }
            }
            if request.enforceQuotas {
                // outputs too: it is never evicted, but an overrun is still reported.
                for policy in configuration.categories
                where policy.quotaBytes != nil && (request.categories?.contains(policy.key) ?? true) {
                    try enforceQuota(policy, &run)
                }
            }
            if lowDisk != nil { try relieveLowDisk(&run) }
            if !request.dryRun { run.report.directoriesRemoved = removeEmptiedDirectories(run.touchedDirectories) }
        } catch {
            logger.error(
                "cleanup failed", ["run": String(run.report.runID), "trigger": request.trigger, "error": "\(error)"])
            run.report.failure = "\(error)"
            finish(&run, status: "failed")
            throw error
        }
        finish(&run, status: run.report.totalErrors == 0 ? "ok" : "failed")
        return run.report
    }

    private func selected(_ request: Request) -> [CategoryPolicy] {
        configuration.categories.filter { policy in
            policy.key != CategoryPolicy.protectedKey && (request.categories?.contains(policy.key) ?? true)
        }
    }

    /// Writes what is still unrecorded and the run's row. Never throws: the
    /// files are already gone, and a run that cannot be recorded now is said
    /// in the log; its rows are corrected by the watcher or the next scan.
    private func finish(_ run: inout Run, status: String) {
        run.report.finish(at: now())
        let report = run.report
        let skippedByReason = report.categories.flatMap { $0.result.skipped }.reduce(into: [String: Int]()) {
            $0[$1.key.rawValue, default: 0] += $1.value
        }
        var fields: [(String, JSONValue)] = [
            ("categories", .object(report.categories.map { ($0.key, .int($0.result.filesRemoved)) })),
            ("skipped", .object(skippedByReason.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) })),
            ("trash_files_purged", .int(report.trashFilesPurged)),
            ("directories_removed", .int(report.directoriesRemoved)),
            ("low_disk", .bool(report.lowDisk)),
        ]
        if let failure = report.failure { fields.append(("error", .string(failure))) }
        do {
            try flushUnrecorded(&run)
            let totals = IndexStore.CleanupRunTotals(
                removed: report.totalFilesRemoved, bytes: report.totalBytesFreed, skipped: report.totalSkipped,
                errors: report.totalErrors + (report.failure == nil ? 0 : 1),
                detail: JSONValue.object(fields).serialized(pretty: false))
            if run.hasRunRow {
                try store.finishCleanupRun(report.runID, status: status, finishedAt: now(), totals: totals)
            } else {
                run.report.runID = try store.recordCleanupRun(
                    trigger: report.trigger, dryRun: report.dryRun, startedAt: run.startedAt, status: status,
                    finishedAt: now(), totals: totals)
            }
        } catch {
            logger.error(
                "cannot record the cleanup run in the index; the watcher or the next scan corrects its rows",
                ["run": String(report.runID), "unrecorded_slices": String(run.unrecorded.count), "error": "\(error)"])
        }
        logger.log(
            status == "ok" ? .info : .error, "cleanup finished",
            [
                "run": String(run.report.runID), "status": status, "dry_run": String(report.dryRun),
                "files_removed": String(report.totalFilesRemoved), "bytes_freed": String(report.totalBytesFreed),
                "skipped": String(report.totalSkipped), "errors": String(report.totalErrors),
                "trash_purged": String(report.trashFilesPurged),
            ])
    }

    // MARK: Retention

    private func expire(_ policy: CategoryPolicy, _ run: inout Run) throws {
        guard let retention = policy.retentionSeconds else { return }
        if retention == 0 {
            run.report.warnings.append("\(policy.key): retention is 0, every file in it expires at once")
        }
        // Fixed at the start, so files that expire during a long run wait for the next.
        let cutoff = run.startedAt - retention
        let ageBy = policy.ageBy
        try removeOldest(policy, cause: "expired", before: cutoff, &run) { row, status in
            let reference = ageBy == .pathDate ? (row.pathDate ?? status.mtime) : status.mtime
            return max(reference, row.restoredAt ?? reference) < cutoff
        } enough: { _ in false }
    }

    // MARK: Quota

    private func enforceQuota(_ policy: CategoryPolicy, _ run: inout Run) throws {
        guard let quota = policy.quotaBytes else { return }
        let bytes = try store.usage(of: policy.key).allocated.subtractingSaturating(run.simulatedFreed[policy.key] ?? 0)
        guard bytes > quota else { return }
        run.report.update(policy.key) { $0.overQuota = true }
        let fields = ["category": policy.key, "bytes": String(bytes), "quota_bytes": String(quota)]
        guard policy.onQuota == .evict, policy.key != CategoryPolicy.protectedKey else {
            logger.warning("category over quota; on_quota is alert, nothing removed", fields)
            run.report.warnings.append("\(policy.key) is over its quota (\(bytes) of \(quota) bytes); on_quota: alert")
            return
        }
        logger.warning("category over quota; evicting its oldest files", fields)
        let target = Int64(saturating: Double(quota) * Self.quotaTarget)
        var remaining = bytes
        try removeOldest(policy, cause: "quota", before: nil, &run) { _, _ in true } enough: { freed in
            remaining = remaining.subtractingSaturating(freed)
            return remaining <= target
        }
    }

    // MARK: Low disk

    /// Bytes to free to get back above `alert_threshold_percent` and
    /// `min_free_bytes`, or nil when there is room.
    private func lowDiskShortfall() throws -> Int64? {
        let shortfall = configuration.monitoring.lowDiskShortfall(try FileSystemSpace.of(layout.basePath))
        return shortfall > 0 ? shortfall : nil
    }

    /// The order unexpired files are evicted in for space, when the operator
    /// opted in; outputs never.
    public static let lowDiskEvictionOrder = ["temp", "uploads", "frames", "contact_sheets"]

    /// Still low after the trash and expiry: an alert, and unexpired files go
    /// only when `low_disk.evict_unexpired` is on and free space is below its
    /// own, lower `evict_below_percent`.
    private func relieveLowDisk(_ run: inout Run) throws {
        guard var shortfall = try lowDiskShortfall() else { return }
        if run.request.dryRun {
            shortfall = shortfall.subtractingSaturating(run.simulatedFreed.values.saturatingSum { $0 })
        }
        // A dry run whose expiry alone would have made room has nothing to say.
        guard shortfall > 0 else { return }
        let cleanup = configuration.cleanup
        let space = try FileSystemSpace.of(layout.basePath)
        guard cleanup.evictUnexpiredOnLowDisk, let floor = cleanup.evictUnexpiredBelowPercent, space.freePercent < floor
        else {
            logger.log(
                run.request.dryRun ? .warning : .error,
                "disk space still below the alert threshold after the trash and expiry; no unexpired file is removed",
                [
                    "shortfall_bytes": String(shortfall),
                    "threshold_percent": String(configuration.monitoring.alertThresholdPercent),
                    "evict_unexpired": String(cleanup.evictUnexpiredOnLowDisk),
                ])
            run.report.warnings.append(
                "disk space still below the alert threshold: \(shortfall) bytes short; unexpired files are kept "
                    + "(cleanup.low_disk.evict_unexpired is \(cleanup.evictUnexpiredOnLowDisk ? "on, below \(floorText)" : "off"))")
            return
        }
        logger.log(
            run.request.dryRun ? .warning : .error,
            "disk space below low_disk.evict_below_percent; evicting unexpired files",
            ["shortfall_bytes": String(shortfall), "evict_below_percent": String(floor)])
        let policies = Self.lowDiskEvictionOrder.compactMap { key in
            selected(run.request).first { $0.key == key && $0.key != CategoryPolicy.protectedKey }
        }
        for policy in policies where shortfall > 0 {
            try removeOldest(policy, cause: "low_disk", before: nil, &run) { _, _ in true } enough: { freed in
                shortfall = shortfall.subtractingSaturating(freed)
                return shortfall <= 0
            }
        }
        if shortfall > 0 {
            logger.error("disk space still below the alert threshold after eviction", ["shortfall_bytes": String(shortfall)])
            run.report.warnings.append("disk space still below the alert threshold: \(shortfall) bytes short")
        }
    }

    private var floorText: String {
        configuration.cleanup.evictUnexpiredBelowPercent.map { Formatting.fixed($0, digits: 1) + " %" } ?? "-"
    }

    // MARK: The slice loop

    /// Pages through `policy`'s rows oldest first (before `cutoff` when given),
    /// verifies and removes each, records each slice in one transaction, and
    /// stops when `enough` says so after a removal, or when no rows remain.
    private func removeOldest(
        _ policy: CategoryPolicy, cause: String, before cutoff: Int64?, _ run: inout Run,
        stillWanted: (IndexedFile, FileStatus) -> Bool, enough: (Int64) -> Bool
    ) throws {
        let sliceSize = max(1, configuration.cleanup.batchSize)
        var key: IndexStore.CandidateKey?
        var satisfied = false
        while !satisfied && !run.capReached {
            let page = try store.candidates(
                category: policy.key, ageBy: policy.ageBy, before: cutoff, after: key, limit: sliceSize,
                forSpace: cause != "expired")
            guard let last = page.last else { return }
            key = IndexStore.CandidateKey(ageReference: last.ageReference, id: last.id)

            guard let remover = run.remover else { return }
            var outcomes: [(IndexedFile, SafeRemover.Outcome)] = []
            for candidate in page where !run.skipped.contains(candidate.file.path) {
                let outcome = remover.remove(
                    candidate.file, deletedAt: run.startedAt, toTrash: !run.deleteInsteadOfTrash,
                    enteredAt: candidate.enteredAt
                ) { stillWanted(candidate.file, $0) }
                outcomes.append((candidate.file, outcome))
                if case .skipped = outcome { run.skipped.insert(candidate.file.path) }
                if case .removed(_, let freed) = outcome {
                    run.removedCount += 1
                    if enough(freed) { satisfied = true }
                    if let cap = configuration.cleanup.maxFilesPerRun, run.removedCount >= cap { run.capReached = true }
                    if satisfied || run.capReached { break }
                }
            }
            try record(outcomes, policy: policy, cause: cause, &run)
            try betweenSlices?()
        }
    }

    /// Counts one slice's outcomes in the report and writes them to the index
    /// and the event log (nothing in a dry run). The files are gone before
    /// their rows are: when the index cannot take the write (a full disk,
    /// another writer), the slice waits in `unrecorded` and the run goes on
    /// freeing space, which is what lets the index commit again.
    private func record(
        _ outcomes: [(IndexedFile, SafeRemover.Outcome)], policy: CategoryPolicy, cause: String, _ run: inout Run
    ) throws {
        let dryRun = run.request.dryRun
        let eviction = cause != "expired"
        var touched: [[UInt8]] = []
        for (row, outcome) in outcomes {
            switch outcome {
            case .removed(_, let freed):
                run.report.update(policy.key) {
                    $0.filesRemoved += 1
                    $0.bytesFreed = $0.bytesFreed.addingSaturating(freed)
                    if eviction { $0.filesEvicted += 1 }
                }
                run.report.noteRemoved(row.path, outcome, category: policy.key, cause: cause)
                if dryRun {
                    run.simulatedFreed[policy.key] = (run.simulatedFreed[policy.key] ?? 0).addingSaturating(freed)
                }
                touched.append(Array(PathBytes.components(row.path).dropLast().joined(separator: [PathBytes.separator])))
            case .skipped(let reason, _):
                run.report.update(policy.key) { $0.skipped[reason, default: 0] += 1 }
            case .failed(let message):
                run.report.update(policy.key) { $0.errors.append("\(PathBytes.display(row.path)): \(message)") }
                logger.warning("cannot remove", ["path": PathBytes.display(row.path), "error": message])
            }
        }
        run.touchedDirectories.formUnion(touched)
        guard !dryRun else { return }
        run.unrecorded.append(Slice(outcomes: outcomes, category: policy.key, cause: cause, time: now()))
        do {
            try flushUnrecorded(&run)
        } catch let error as DatabaseError where error.isTransient {
            if run.unrecorded.count == 1 {
                logger.warning(
                    "the index cannot take the cleanup's records now; they are kept and written later",
                    ["run": String(run.report.runID), "error": "\(error)"])
            }
        }
    }

    /// Writes the slices waiting in `unrecorded`, oldest first, each in one
    /// transaction; stops at the first the index refuses.
    private func flushUnrecorded(_ run: inout Run) throws {
        while let slice = run.unrecorded.first {
            try write(slice, runID: run.report.runID)
            run.unrecorded.removeFirst()
        }
    }

    private func write(_ slice: Slice, runID: Int64) throws {
        let eviction = slice.cause != "expired"
        let time = slice.time
        let cause = slice.cause
        try store.database.transaction {
            for (row, outcome) in slice.outcomes {
                switch outcome {
                case .removed(let trashName, _):
                    try store.delete(path: row.path)
                    let action: IndexEvent.Action = trashName != nil ? .trash : (eviction ? .evict : .delete)
                    try store.record(
                        IndexEvent(
                            time: time, action: action, path: row.path, newPath: trashName, category: row.category,
                            size: row.size, cause: cause, detail: "run=\(runID)"))
                case .skipped(let reason, let onDisk):
                    try refreshRow(row, onDisk: onDisk, reason: reason, time: time)
                    try store.record(
                        IndexEvent(
                            time: time, action: .skip, path: row.path, category: row.category, size: row.size, cause: cause,
                            detail: reason.rawValue))
                case .failed(let message):
                    try store.record(
                        IndexEvent(
                            time: time, action: .error, path: row.path, category: row.category, size: row.size,
                            cause: cause, detail: message))
                }
            }
            try CleanupTally(slice.outcomes).add(to: store, category: slice.category, cause: cause)
        }
    }

    /// A skipped file's row is brought in line with the disk, so the next
    /// selection sees the truth (Robinhood updates the entry the same way).
    private func refreshRow(_ row: IndexedFile, onDisk: FileStatus?, reason: SkipReason, time: Int64) throws {
        switch reason {
        case .excluded, .protectedCategory, .notExpired, .categoryMismatch:
            return
        case .vanished, .parentReplaced, .nowDirectory, .otherFilesystem, .invalidPath:
            try store.delete(path: row.path)
        case .changedCtime:
            // Stamped with now, after the change: the next run judges the file
            // as it is instead of skipping it forever.
            try store.markEntered(path: row.path, at: time)
        case .changedSize, .changedMtime, .replacedInode, .nowSymlink:
            guard let onDisk else { return }
            try store.update(IndexedFile(path: row.path, category: row.category, status: onDisk))
        }
    }

    // MARK: Empty folders

    /// Removes folders the run emptied, walking up, never a category root (or
    /// the base) and never one that still holds anything (a `.gitkeep` included):
    /// `rmdir` refuses a non-empty folder, so a file written meanwhile is safe.
    private func removeEmptiedDirectories(_ directories: Set<[UInt8]>) -> Int {
        guard let base = try? FileDescriptor.open(PathBytes.bytes(layout.basePath), flags: O_RDONLY | O_DIRECTORY),
            let parents = try? ParentDirectories(base: base)
        else { return 0 }
        // Deepest first, a level at a time, so a parent is tried after its children.
        var byDepth: [Int: Set<[UInt8]>] = [:]
        for directory in directories {
            byDepth[directory.count(where: { $0 == PathBytes.separator }) + 1, default: []].insert(directory)
        }
        var removed = 0
        var depth = byDepth.keys.max() ?? 0
        while depth >= 2 {
            for directory in byDepth[depth] ?? [] {
                guard let slash = directory.lastIndex(of: PathBytes.separator) else { continue }
                let parentPath = Array(directory[..<slash])
                let name = Array(directory[(slash + 1)...])
                guard let parent = try? parents.directory(parentPath) else { continue }
                if PathBytes.withCString(name, { unlinkat(parent.rawValue, $0, AT_REMOVEDIR) }) == 0 {
                    removed += 1
                    byDepth[depth - 1, default: []].insert(parentPath)
                }
            }
            depth -= 1
        }
        return removed
    }
}
