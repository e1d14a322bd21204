import Glibc
import Synchronization

/// `storekeeper run`: the watcher daemon. Starts its parts in order — writer
/// lock, index, inotify reader, startup reconcile, event loop — and stops them
/// in reverse on SIGTERM/SIGINT, committing what was seen before it exits.
public final class Daemon {
    /// How often a degraded daemon (watch limit) reconciles what it cannot
    /// watch; `STOREKEEPER_DEGRADED_RECONCILE_SECONDS` overrides it.
    public static let defaultDegradedReconcileInterval = 30.0

    private let configuration: Configuration
    private let layout: StorageLayout
    private let logger: Logger
    private let stopRequested = StopFlag()

    private let degradedReconcileInterval: Double
    private let environment: [String: String]
    /// How often the daemon compares usage with quotas and free space.
    static let policyCheckInterval = 2.0
    static let policyRetryInterval = 60.0

    public init(configuration: Configuration, logger: Logger, environment: [String: String] = [:]) {
        self.configuration = configuration
        self.environment = environment
        degradedReconcileInterval = environment["STOREKEEPER_DEGRADED_RECONCILE_SECONDS"].flatMap(Double.init)
            ?? Self.defaultDegradedReconcileInterval
        self.layout = StorageLayout(configuration)
        self.logger = logger
    }

    /// Over quota (an `evict` category) or low on disk: clean now, under the
    /// shared cleanup lock (skipped while a CLI or cron run holds it), draining
    /// the event queue between slices so the index keeps up.
    /// Returns whether a policy is still violated after trying.
    private func enforcePolicies(store: IndexStore, indexer: Indexer) throws -> Bool {
        func violations() throws -> (lowDisk: Bool, overQuota: [String]) {
            let space = try? FileSystemSpace.of(layout.basePath)
            let lowDisk = space.map { $0.freePercent < configuration.monitoring.alertThresholdPercent } ?? false
            var overQuota: [String] = []
            for policy in configuration.categories
            where policy.onQuota == .evict && policy.key != CategoryPolicy.protectedKey {
                guard let quota = policy.quotaBytes else { continue }
                if try store.usage(of: policy.key).bytes > quota { overQuota.append(policy.key) }
            }
            return (lowDisk, overQuota)
        }
        let (lowDisk, overQuota) = try violations()
        guard lowDisk || !overQuota.isEmpty else { return false }
        guard configuration.cleanup.enabled else {
            logger.warning(
                "cleanup is disabled (cleanup.enabled: false); not evicting",
                ["low_disk": String(lowDisk), "over_quota": overQuota.joined(separator: ",")])
            return true
        }
        guard let lock = try? layout.lockForCleanup(wait: 0) else { return false }
        defer { lock.release() }
        var request = Cleaner.Request(
            trigger: lowDisk ? "low_disk" : "quota", dryRun: configuration.cleanup.dryRun,
            categories: lowDisk ? nil : Set(overQuota))
        request.expire = lowDisk
        request.purgeTrash = lowDisk
        let cleaner = Cleaner(
            configuration: configuration, store: store, logger: logger, betweenSlices: { try indexer.processQueued() })
        _ = try cleaner.run(request)
        let after = try violations()
        return after.lowDisk || !after.overQuota.isEmpty
    }

    public func run() throws -> ExitCode {
        try layout.validate()
        let lock = try layout.lockForWriting()
        defer { lock.release() }
        let store = try IndexStore(path: layout.indexPath)
        try store.recordPolicy(configuration.categories)

        let started = WallClock.now()
        let healthPath = HealthFile.path(in: layout)
        var health = HealthFile(pid: getpid(), state: .starting, startedAt: started, updatedAt: started)
        try health.write(to: healthPath)

        let queue = try EventQueue()
        // The HTTP listener is bound before the startup reconcile, so a port
        // in use fails at once, and /health says "starting" meanwhile.
        let monitoring = try DaemonMonitoring(
            configuration: configuration, logger: logger, environment: environment, initial: health, wake: queue.wake)
        monitoring.publish(&health)
        try health.write(to: healthPath)
        let inotify = try Inotify()
        let reader = try InotifyReader(inotify: inotify, queue: queue)
        let signals = try SignalWatcher(logger: logger) { [stopRequested] in
            stopRequested.set()
            queue.wake.signal()
        }
        signals.start()
        // After the SignalWatcher blocked the signals: threads inherit the mask.
        monitoring.start()
        defer { monitoring.stop(store: store) }
        // The reader runs before the first watch exists, so nothing the startup
        // reconcile races with is lost: events for what it already indexed are
        // harmless duplicates.
        reader.start()
        defer { reader.stopAndJoin() }

        let indexer = try Indexer(
            store: store, categorizer: Categorizer(policies: configuration.categories), basePath: layout.basePath,
            inotify: inotify, queue: queue, logger: logger)
        logger.info("starting", ["base": layout.basePath, "index": layout.indexPath, "pid": String(getpid())])
        try indexer.reconcileEverything(reason: "startup")
        health.state = .running
        logger.info("watching", ["watches": String(indexer.watches.count)])

        let scheduler = JobScheduler(store: store, logger: logger, now: WallClock.now)
        try scheduler.register(
            DaemonJobs.make(configuration: configuration, store: store, indexer: indexer, logger: logger, now: WallClock.now))
        SystemdNotifier.notify(
            "READY=1\nSTATUS=watching \(indexer.watches.count) directories", environment: environment, logger: logger)
        // A run that fell due while the daemon was down runs once, now.
        scheduler.runDue(covers: DaemonJobs.covers)

        var nextHealthWrite = 0.0
        var nextPolicyCheck = 0.0
        var nextDegradedReconcile = ProgressLine.monotonicSeconds() + degradedReconcileInterval
        func refreshHealth(force: Bool = false) {
            let monotonic = ProgressLine.monotonicSeconds()
            guard force || monotonic >= nextHealthWrite else { return }
            nextHealthWrite = monotonic + 1
            health.updatedAt = WallClock.now()
            health.watcher = indexer.status
            health.queueLength = queue.count
            health.lagSeconds = queue.lag(now: monotonic)
            health.eventsRead = reader.eventsRead
            monitoring.publish(&health)
            do {
                try health.write(to: healthPath)
            } catch {
                logger.warning("cannot write the health file", ["path": healthPath, "error": "\(error)"])
            }
        }
        refreshHealth(force: true)
        // Long work on this thread (a cleanup drains the queue between its
        // slices) keeps the health file, and so /health and the cron fallback, fresh.
        indexer.afterBatch = { refreshHealth() }

        do {
            while !stopRequested.isSet {
                let monotonic = ProgressLine.monotonicSeconds()
                var timeout = max(0, nextHealthWrite - monotonic)
                if let deadline = indexer.nextDeadline { timeout = min(timeout, max(0, deadline - monotonic)) }
                if let due = scheduler.nextDue { timeout = min(timeout, Double(max(0, due - WallClock.now()))) }
                queue.wake.wait(timeout: min(timeout, 1))
                try indexer.processQueued()
                if let due = scheduler.nextDue, due <= WallClock.now() {
                    scheduler.runDue(covers: DaemonJobs.covers)
                }
                try monitoring.tick(store: store, indexer: indexer)
                if ProgressLine.monotonicSeconds() >= nextPolicyCheck {
                    let stillViolated = try enforcePolicies(store: store, indexer: indexer)
                    // A run that could not fix it (files in use, undeletable) is not
                    // retried every two seconds: the log would drown in it.
                    nextPolicyCheck = ProgressLine.monotonicSeconds()
                        + (stillViolated ? Self.policyRetryInterval : Self.policyCheckInterval)
                }
                if indexer.status.degraded && ProgressLine.monotonicSeconds() >= nextDegradedReconcile {
                    nextDegradedReconcile = ProgressLine.monotonicSeconds() + degradedReconcileInterval
                    try indexer.reconcileUnwatched()
                }
                refreshHealth()
            }
            logger.info("stopping", ["queued": String(queue.count)])
            SystemdNotifier.notify("STOPPING=1", environment: environment, logger: logger)
            reader.stopAndJoin()
            // Commit what was read before the signal; a move half still waiting
            // gets its pairing window, then counts as moved out.
            try indexer.processQueued()
            if let deadline = indexer.nextDeadline {
                usleep(UInt32(max(0, deadline - ProgressLine.monotonicSeconds()) * 1_000_000) + 1000)
                try indexer.processQueued()
            }
        } catch let stop as Indexer.Stop {
            logger.error("stopped", ["reason": stop.description])
            health.state = .failed
            health.message = stop.description
            refreshHealth(force: true)
            throw stop
        }
        health.state = .stopped
        refreshHealth(force: true)
        logger.info("stopped", ["events": String(indexer.status.eventsProcessed)])
        return .success
    }
}
