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
    static let covers: [String: Set<String>] = ["cleanup": ["temp_cleanup", "trash_purge"]]

    /// Every job's name and schedule, in the order they run when due together.
    package static func schedules(_ configuration: Configuration) -> [(name: String, schedule: String)] {
        [
            ("cleanup", configuration.cleanup.schedule),
            ("temp_cleanup", configuration.cleanup.tempSchedule),
            ("trash_purge", trashPurgeSchedule),
            ("prune_events", eventPruningSchedule),
            ("verify", verifySchedule),
        ]
    }

    static func make(
        configuration: Configuration, store: IndexStore, indexer: Indexer, logger: Logger,
        now: @escaping () -> Int64
    ) throws -> [JobScheduler.Job] {
        let layout = StorageLayout(configuration)
        let cleanup = configuration.cleanup

        func cleanerRun(_ request: Cleaner.Request) throws -> String {
            let lock: FileLock
            do {
                lock = try layout.lockForCleanup(wait: 0)
            } catch is FileLock.Busy {
                return "skipped: another cleanup run holds the lock"
            }
            defer { lock.release() }
            let cleaner = Cleaner(
                configuration: configuration, store: store, logger: logger, now: now,
                betweenSlices: { try indexer.catchUp() })
            let report: CleanupReport
            do {
                report = try cleaner.run(request)
            } catch let disabled as CleanupGate.Disabled {
                return "skipped: \(disabled)"
            }
            let summary = "removed \(Formatting.count(report.totalFilesRemoved, "file")), \(Formatting.count(Int(clamping: report.totalBytesFreed), "byte"))"
            return report.totalErrors == 0 ? "ok: \(summary)" : "errors: \(report.totalErrors); \(summary)"
        }

        let table = Dictionary(uniqueKeysWithValues: schedules(configuration).map { ($0.name, $0.schedule) })
        func schedule(_ name: String) -> String { table[name]! }

        var tempRequest = Cleaner.Request(trigger: "temp_schedule", dryRun: cleanup.dryRun, categories: ["temp"])
        tempRequest.purgeTrash = false

        return [
            try JobScheduler.Job(name: "cleanup", schedule: schedule("cleanup")) {
                try cleanerRun(Cleaner.Request(trigger: "schedule", dryRun: cleanup.dryRun))
            },
            try JobScheduler.Job(name: "temp_cleanup", schedule: schedule("temp_cleanup")) {
                try cleanerRun(tempRequest)
            },
            try JobScheduler.Job(name: "trash_purge", schedule: schedule("trash_purge")) {
                // Asks the same gate as every cleanup; runs whatever use_trash
                // says now, so turning the trash off does not strand its contents.
                let gate = CleanupGate(configuration)
                guard gate.allowsRemoval else {
                    return "skipped: " + (gate.enabled ? "cleanup.dry_run is true" : "cleanup.enabled is false")
                }
                guard FileSystemPaths.kind(layout.trashDirectory) != nil else { return "skipped: no trash" }
                let purged = try Trash(layout: layout, store: store).empty(
                    olderThan: cleanup.trashRetentionSeconds, now: now())
                return "ok: purged \(purged.files) files, \(purged.bytes) bytes"
            },
            try JobScheduler.Job(name: "prune_events", schedule: schedule("prune_events")) {
                guard let retention = configuration.monitoring.eventRetentionSeconds else {
                    return "skipped: monitoring.event_retention is -1 (keep forever)"
                }
                let removed = try store.pruneEvents(before: now() - retention)
                return "ok: pruned \(removed) events"
            },
            try JobScheduler.Job(name: "verify", schedule: schedule("verify")) {
                try verify(indexer: indexer, store: store, configuration: configuration, logger: logger)
            },
        ]
    }

    /// The weekly judge: compare the index with the disk; a difference that is
    /// still there after the queue is drained is logged loudly, counted, and
    /// repaired by a full reconcile.
    static func verify(indexer: Indexer, store: IndexStore, configuration: Configuration, logger: Logger) throws -> String {
        let comparison = IndexComparison(
            store: store, categorizer: Categorizer(policies: configuration.categories), basePath: configuration.basePath)
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
