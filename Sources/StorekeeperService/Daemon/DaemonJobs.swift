import StorekeeperConfig
import StorekeeperEngine
import StorekeeperIndex
import StorekeeperSystem

/// The daemon's scheduled jobs, built from the configuration.
/// Cleanup jobs share the cleanup lock with `storekeeper clean` and the cron
/// fallback: when another run holds it, this one is skipped, not queued, since
/// that run is doing the same work.
package enum DaemonJobs {
    static let trashPurgeSchedule = "30 * * * *"
    static let eventPruningSchedule = "15 3 * * *"
    static let verifySchedule = "0 4 * * 0"

    /// Jobs that a run of the key job makes redundant when due at the same time.
    static let covers: [JobName: Set<JobName>] = [.cleanup: [.tempCleanup, .trashPurge]]

    /// The cron schedule of `job`.
    static func schedule(of job: JobName, _ configuration: Configuration) -> String {
        switch job {
        case .cleanup: configuration.cleanup.schedule
        case .tempCleanup: configuration.cleanup.tempSchedule
        case .trashPurge: trashPurgeSchedule
        case .pruneEvents: eventPruningSchedule
        case .verify: verifySchedule
        }
    }

    /// Every job's name (as the `jobs` table stores it) and schedule, in the
    /// order they run when due together.
    package static func schedules(_ configuration: Configuration) -> [(name: String, schedule: String)] {
        JobName.allCases.map { ($0.rawValue, schedule(of: $0, configuration)) }
    }

    /// What the daemon's jobs work with.
    struct Context {
        let configuration: Configuration
        let layout: StorageLayout
        let store: IndexStore
        let indexer: Indexer
        let logger: Logger
        let now: () -> Int64
    }

    static func make(
        configuration: Configuration, store: IndexStore, indexer: Indexer, logger: Logger,
        now: @escaping () -> Int64
    ) throws -> [JobScheduler.Job] {
        let context = Context(
            configuration: configuration, layout: StorageLayout(configuration), store: store, indexer: indexer,
            logger: logger, now: now)
        return try JobName.allCases.map { name in
            try JobScheduler.Job(name: name, schedule: schedule(of: name, configuration)) { try run(name, context) }
        }
    }

    /// Runs one job; returns its status for the `jobs` table.
    static func run(_ job: JobName, _ context: Context) throws -> String {
        let cleanup = context.configuration.cleanup
        switch job {
        case .cleanup:
            return try cleanerRun(Cleaner.Request(trigger: .schedule, dryRun: cleanup.dryRun), context)
        case .tempCleanup:
            var request = Cleaner.Request(trigger: .tempSchedule, dryRun: cleanup.dryRun, categories: ["temp"])
            request.purgeTrash = false
            return try cleanerRun(request, context)
        case .trashPurge:
            return try purgeTrash(context)
        case .pruneEvents:
            guard let retention = context.configuration.monitoring.eventRetentionSeconds else {
                return "skipped: monitoring.event_retention is -1 (keep forever)"
            }
            let removed = try EventLogPruning.pruneOlder(than: context.now() - retention, store: context.store) {
                try context.indexer.catchUp()
            }
            return "ok: pruned \(removed) events"
        case .verify:
            return try verify(
                indexer: context.indexer, store: context.store, configuration: context.configuration,
                logger: context.logger)
        }
    }

    /// A cleanup under the shared lock, skipped while another run holds it.
    private static func cleanerRun(_ request: Cleaner.Request, _ context: Context) throws -> String {
        let lock: FileLock
        do {
            lock = try context.layout.lockForCleanup(wait: 0)
        } catch is FileLock.Busy {
            return "skipped: another cleanup run holds the lock"
        }
        defer { lock.release() }
        let cleaner = Cleaner(
            configuration: context.configuration, store: context.store, logger: context.logger, now: context.now,
            betweenSlices: { try context.indexer.catchUp() })
        let report: CleanupReport
        do {
            report = try cleaner.run(request)
        } catch let disabled as CleanupGate.Disabled {
            return "skipped: \(disabled)"
        }
        let summary =
            "removed \(Formatting.count(report.totalFilesRemoved, "file")), "
            + Formatting.count(Int(clamping: report.totalBytesFreed), "byte")
        return report.totalErrors == 0 ? "ok: \(summary)" : "errors: \(report.totalErrors); \(summary)"
    }

    /// Asks the same gate as every cleanup; runs whatever use_trash says now,
    /// so turning the trash off does not strand its contents.
    private static func purgeTrash(_ context: Context) throws -> String {
        let gate = CleanupGate(context.configuration)
        guard gate.allowsRemoval else {
            return "skipped: " + (gate.enabled ? "cleanup.dry_run is true" : "cleanup.enabled is false")
        }
        guard FileSystemPaths.kind(context.layout.trashDirectory) != nil else { return "skipped: no trash" }
        let purged = try Trash(layout: context.layout, store: context.store).empty(
            olderThan: context.configuration.cleanup.trashRetentionSeconds, now: context.now())
        return "ok: purged \(purged.files) files, \(purged.bytes) bytes"
    }

    /// The weekly judge: compare the index with the disk; a difference that is
    /// still there after the queue is drained is logged loudly, counted, and
    /// repaired by a full reconcile.
    static func verify(indexer: Indexer, store: IndexStore, configuration: Configuration, logger: Logger) throws
        -> String
    {
        let comparison = IndexComparison(
            store: store, categorizer: Categorizer(policies: configuration.categories), basePath: configuration.basePath
        )
        func differences() throws -> Int {
            try indexer.processQueued()
            return try comparison.run { _ in }.differences
        }
        // A change in flight shows as a difference once; a divergence twice.
        guard try differences() > 0 else { return "ok: the index matches the disk" }
        let count = try differences()
        guard count > 0 else { return "ok: the index matches the disk" }
        logger.error("the index diverged from the disk; repairing with a reconcile", ["differences": String(count)])
        indexer.recordDivergence(count)
        try indexer.reconcileEverything(reason: "verify found differences")
        return "repaired: \(count) differences"
    }
}
