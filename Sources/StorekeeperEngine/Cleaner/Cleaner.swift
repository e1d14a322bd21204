import StorekeeperConfig
import StorekeeperIndex
import StorekeeperSystem

/// Applies the retention, quota, trash and low-disk policies. Candidates come
/// from the index (an index range per category, oldest first, in slices of
/// `batch_size` until none remain); each one is verified on disk by
/// `SafeRemover` before anything happens to it. The caller holds the cleanup lock.
///
/// The work is spread by responsibility: the policies (`Cleaner+Policies`),
/// paging candidates and removing them (`Cleaner+Slices`), writing each slice
/// to the index (`Cleaner+Recording`) and the run's own row (`Cleaner+RunRecord`).
public final class Cleaner {
    public struct Request: Sendable {
        public var trigger: CleanupTrigger
        public var dryRun: Bool
        /// Only these categories (nil: all).
        public var categories: Set<String>?
        public var expire = true
        public var enforceQuotas = true
        public var purgeTrash = true

        public init(trigger: CleanupTrigger, dryRun: Bool, categories: Set<String>? = nil) {
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

    let configuration: Configuration
    let layout: StorageLayout
    let store: IndexStore
    let logger: Logger
    let now: () -> Int64
    let betweenSlices: (() throws -> Void)?

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
    struct Run {
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

    /// What became of one candidate: its row, the row's id (a removed
    /// file's row is deleted by it, with no lookup of the path) and the outcome.
    typealias Verdict = (row: IndexedFile, id: Int64, outcome: SafeRemover.Outcome)

    /// One slice's outcomes, waiting to be written to the index.
    struct Slice {
        let outcomes: [Verdict]
        let category: String
        let cause: CleanupCause
        let time: Int64
    }

    public func run(_ asked: Request) throws -> CleanupReport {
        var request = asked
        request.dryRun = try CleanupGate(configuration).runsDry(asked: asked.dryRun)
        // Nothing is removed on the word of a damaged index.
        try store.checkIntegrity(unlessPassedWithin: Self.integrityCheckValidity)
        var run = try begin(request)
        do {
            try applyPolicies(&run)
        } catch {
            logger.error(
                "cleanup failed",
                ["run": String(run.report.runID), "trigger": request.trigger.rawValue, "error": "\(error)"])
            run.report.failure = "\(error)"
            finish(&run, status: .failed)
            throw error
        }
        finish(&run, status: run.report.totalErrors == 0 ? .ok : .failed)
        return run.report
    }

    /// Trash purge, expiry, quotas and low-disk relief, in that order: the
    /// cheapest space first, unexpired files last.
    private func applyPolicies(_ run: inout Run) throws {
        let request = run.request
        let purgeable = try prepareRemoval(&run)
        let lowDisk = try lowDiskShortfall()
        if lowDisk != nil {
            run.report.lowDisk = true
            // Moving files into the trash would free nothing now.
            run.deleteInsteadOfTrash = true
            if let purgeable {
                // The trash is the cheapest space there is: all of it goes.
                run.report.add(try purgeable.empty(olderThan: nil, now: run.startedAt, cause: .lowDisk))
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
    }

    /// Sets up the run's remover, purges the trash of what outlived its
    /// retention, and returns the trash a low disk may empty (nil in a dry run).
    private func prepareRemoval(_ run: inout Run) throws -> Trash? {
        let request = run.request
        let trash = request.dryRun || !configuration.cleanup.useTrash ? nil : try Trash(layout: layout, store: store)
        // Purged whatever use_trash says now: turning the trash off must
        // not strand what it already holds.
        let purgeable =
            request.dryRun
            ? nil
            : try trash
                ?? (FileSystemPaths.kind(layout.trashDirectory) == nil ? nil : Trash(layout: layout, store: store))
        run.remover = try SafeRemover(
            basePath: layout.basePath, trash: trash, dryRun: request.dryRun, excludes: configuration.cleanup.exclude,
            policies: configuration.categories)
        if request.purgeTrash, let purgeable {
            run.report.add(
                try purgeable.empty(olderThan: configuration.cleanup.trashRetentionSeconds, now: run.startedAt))
        }
        return purgeable
    }

    func selected(_ request: Request) -> [CategoryPolicy] {
        configuration.categories.filter { policy in
            policy.key != CategoryPolicy.protectedKey && (request.categories?.contains(policy.key) ?? true)
        }
    }
}
