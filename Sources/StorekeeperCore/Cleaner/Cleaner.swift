import Glibc

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
        let remover: SafeRemover
        var report: CleanupReport
        var removedCount = 0
        /// Folders a removal may have emptied.
        var touchedDirectories: Set<[UInt8]> = []
        /// Bytes a dry run would have freed per category, so its quota and
        /// low-disk figures follow what a real run would see.
        var simulatedFreed: [String: Int64] = [:]
        var capReached = false
        var deleteInsteadOfTrash = false
    }

    public func run(_ request: Request) throws -> CleanupReport {
        let startedAt = now()
        let trash = request.dryRun || !configuration.cleanup.useTrash ? nil : try Trash(layout: layout, store: store)
        var run = Run(
            request: request, startedAt: startedAt,
            remover: try SafeRemover(
                basePath: layout.basePath, trash: trash, dryRun: request.dryRun,
                excludes: configuration.cleanup.exclude, policies: configuration.categories),
            report: CleanupReport(dryRun: request.dryRun, trigger: request.trigger))
        run.report.runID = try store.beginCleanupRun(trigger: request.trigger, dryRun: request.dryRun, startedAt: startedAt)
        logger.info("cleanup started", ["run": String(run.report.runID), "trigger": request.trigger, "dry_run": String(request.dryRun)])

        do {
            if request.purgeTrash, !request.dryRun, let trash {
                run.report.add(try trash.empty(olderThan: configuration.cleanup.trashRetentionSeconds, now: startedAt))
            }
            let lowDisk = try lowDiskShortfall()
            if lowDisk != nil {
                run.report.lowDisk = true
                // Moving files into the trash would free nothing now.
                run.deleteInsteadOfTrash = true
                if !request.dryRun, let trash {
                    // The trash is the cheapest space there is.
                    run.report.add(try trash.empty(olderThan: nil, now: startedAt, cause: "low_disk"))
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
            try? finish(&run, status: "failed")
            throw error
        }
        try finish(&run, status: "ok")
        return run.report
    }

    private func selected(_ request: Request) -> [CategoryPolicy] {
        configuration.categories.filter { policy in
            policy.key != CategoryPolicy.protectedKey && (request.categories?.contains(policy.key) ?? true)
        }
    }

    private func finish(_ run: inout Run, status: String) throws {
        let report = run.report
        let skippedByReason = report.categories.flatMap { $0.result.skipped }.reduce(into: [String: Int]()) {
            $0[$1.key.rawValue, default: 0] += $1.value
        }
        let detail = JSONValue.object([
            ("categories", .object(report.categories.map { ($0.key, .int($0.result.filesRemoved)) })),
            ("skipped", .object(skippedByReason.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) })),
            ("trash_files_purged", .int(report.trashFilesPurged)),
            ("directories_removed", .int(report.directoriesRemoved)),
            ("low_disk", .bool(report.lowDisk)),
        ]).serialized(pretty: false)
        try store.finishCleanupRun(
            report.runID, status: status, finishedAt: now(), removed: report.totalFilesRemoved,
            bytes: report.totalBytesFreed, skipped: report.totalSkipped, errors: report.totalErrors, detail: detail)
        logger.info(
            "cleanup finished",
            [
                "run": String(report.runID), "status": status, "dry_run": String(report.dryRun),
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
            return reference < cutoff
        } enough: { _ in false }
    }

    // MARK: Quota

    private func enforceQuota(_ policy: CategoryPolicy, _ run: inout Run) throws {
        guard let quota = policy.quotaBytes else { return }
        let bytes = try store.usage(of: policy.key).bytes.subtractingSaturating(run.simulatedFreed[policy.key] ?? 0)
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

    /// Bytes to free to get back above `alert_threshold_percent`, or nil when there is room.
    private func lowDiskShortfall() throws -> Int64? {
        let space = try FileSystemSpace.of(layout.basePath)
        let wanted = Int64(saturating: Double(space.totalBytes) * configuration.monitoring.alertThresholdPercent / 100)
        return space.freeBytes < wanted ? wanted.subtractingSaturating(space.freeBytes) : nil
    }

    private func relieveLowDisk(_ run: inout Run) throws {
        guard var shortfall = try lowDiskShortfall() else { return }
        if run.request.dryRun {
            shortfall = shortfall.subtractingSaturating(run.simulatedFreed.values.saturatingSum { $0 })
        }
        logger.error(
            "disk space below the alert threshold; evicting from evictable categories",
            ["shortfall_bytes": String(shortfall), "threshold_percent": String(configuration.monitoring.alertThresholdPercent)])
        for policy in selected(run.request) where policy.onQuota == .evict && shortfall > 0 {
            try removeOldest(policy, cause: "low_disk", before: nil, &run) { _, _ in true } enough: { freed in
                shortfall = shortfall.subtractingSaturating(freed)
                return shortfall <= 0
            }
        }
        if shortfall > 0 {
            logger.error("disk space still below the alert threshold after cleanup", ["shortfall_bytes": String(shortfall)])
            run.report.warnings.append("disk space still below the alert threshold: \(shortfall) bytes short")
        }
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
                category: policy.key, ageBy: policy.ageBy, before: cutoff, after: key, limit: sliceSize)
            guard let last = page.last else { return }
            key = IndexStore.CandidateKey(ageReference: last.ageReference, id: last.id)

            var outcomes: [(IndexedFile, SafeRemover.Outcome)] = []
            for candidate in page {
                let outcome = run.remover.remove(
                    candidate.file, deletedAt: run.startedAt, toTrash: !run.deleteInsteadOfTrash,
                    enteredAt: candidate.enteredAt
                ) { stillWanted(candidate.file, $0) }
                outcomes.append((candidate.file, outcome))
                if case .removed = outcome {
                    run.removedCount += 1
                    if enough(candidate.file.size) { satisfied = true }
                    if let cap = configuration.cleanup.maxFilesPerRun, run.removedCount >= cap { run.capReached = true }
                    if satisfied || run.capReached { break }
                }
            }
            try record(outcomes, policy: policy, cause: cause, &run)
            try betweenSlices?()
        }
    }

    /// Writes one slice's outcomes to the index and the event log (nothing in a dry run).
    private func record(
        _ outcomes: [(IndexedFile, SafeRemover.Outcome)], policy: CategoryPolicy, cause: String, _ run: inout Run
    ) throws {
        let dryRun = run.request.dryRun
        let time = now()
        let eviction = cause != "expired"
        var touched: [[UInt8]] = []
        for (row, outcome) in outcomes {
            switch outcome {
            case .removed:
                run.report.update(policy.key) {
                    $0.filesRemoved += 1
                    $0.bytesFreed = $0.bytesFreed.addingSaturating(row.size)
                    if eviction { $0.filesEvicted += 1 }
                }
                run.report.noteRemoved(row.path, outcome, category: policy.key, cause: cause)
                if dryRun {
                    run.simulatedFreed[policy.key] = (run.simulatedFreed[policy.key] ?? 0).addingSaturating(row.size)
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
        try store.database.transaction {
            for (row, outcome) in outcomes {
                switch outcome {
                case .removed(let trashName):
                    try store.delete(path: row.path)
                    let action: IndexEvent.Action = trashName != nil ? .trash : (eviction ? .evict : .delete)
                    try store.record(
                        IndexEvent(
                            time: time, action: action, path: row.path, newPath: trashName, category: row.category,
                            size: row.size, cause: cause, detail: "run=\(run.report.runID)"))
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
            try CleanupTally(outcomes).add(to: store, category: policy.key, cause: cause)
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
