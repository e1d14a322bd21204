import Glibc
import StorekeeperConfig
import StorekeeperEngine
import StorekeeperIndex
import StorekeeperMonitoring
import StorekeeperSystem

/// `storekeeper run`: the watcher daemon. Starts its parts in order — writer
/// lock, health file, HTTP server, signals — then runs sessions: each opens
/// the index (creating it when missing, moving a broken one aside), starts
/// inotify and reconciles, and loops until a stop is asked or the index file
/// is lost under it, when the next session rebuilds it. Stops in reverse on
/// SIGTERM/SIGINT, committing what was seen before it exits.
///
/// The loop is a set of contained steps (`DaemonStep`): a step that fails —
/// the index locked by another process, a full disk, a trash that cannot be
/// opened — is logged, counted, shown in `/health` and retried with backoff,
/// and the others go on. Only the base itself gone stops the daemon.
public final class Daemon {
    /// How often a degraded daemon (watch limit) reconciles what it cannot
    /// watch; `STOREKEEPER_DEGRADED_RECONCILE_SECONDS` overrides it.
    public static let defaultDegradedReconcileInterval = 30.0
    /// How often the daemon compares usage with quotas and free space.
    static let policyCheckInterval = 2.0
    static let policyRetryInterval = 60.0
    /// How often the daemon checks that the index path still names the file
    /// it has open (one `stat` and a 16-byte read).
    static let indexCheckInterval = 2.0

    private var configuration: Configuration
    private let layout: StorageLayout
    private let logger: Logger
    private let stopRequested = StopFlag()
    private let reloadRequested = RequestFlag()
    /// Reads the configuration file again (with the environment's overrides),
    /// for SIGHUP; nil when the daemon cannot reload (tests that build one).
    private let loadConfiguration: (() throws -> Configuration)?
    private let degradedReconcileInterval: Double
    private let environment: [String: String]

    private var health: HealthFile
    private let healthPath: String
    private var healthWriteError: String?
    private var nextHealthWrite = 0.0

    public init(
        configuration: Configuration, logger: Logger, environment: [String: String] = [:],
        reload: (() throws -> Configuration)? = nil
    ) {
        self.configuration = configuration
        loadConfiguration = reload
        self.environment = environment
        degradedReconcileInterval = environment["STOREKEEPER_DEGRADED_RECONCILE_SECONDS"].flatMap(Double.init)
            ?? Self.defaultDegradedReconcileInterval
        layout = StorageLayout(configuration)
        self.logger = logger
        healthPath = HealthFile.path(in: layout)
        let started = WallClock.now()
        health = HealthFile(pid: getpid(), state: .starting, startedAt: started, updatedAt: started)
        health.configLoadedAt = started
    }

    /// Runs until stopped (SIGTERM/SIGINT); throws when the daemon cannot
    /// start or the base is gone.
    public func run() throws {
        try layout.validate()
        guard FileSystemPaths.kind(layout.basePath) == .directory else {
            throw IndexStoreError.missing(path: layout.indexPath)
        }
        let lock = try FileLock(path: layout.writerLockPath, purpose: "the index \(layout.indexPath)")
        defer { lock.release() }
        prepareStateFiles()
        writeHealth()

        let queue = try EventQueue()
        // The HTTP listener is bound before the startup reconcile, so a port
        // in use fails at once, and /health says "starting" meanwhile.
        let monitoring = try DaemonMonitoring(
            configuration: configuration, logger: logger, environment: environment, initial: health, wake: queue.wake)
        monitoring.publish(&health)
        let signals = try SignalWatcher(
            logger: logger,
            onStop: { [stopRequested] in
                stopRequested.set()
                queue.wake.signal()
            },
            onReload: { [reloadRequested] in
                reloadRequested.set()
                queue.wake.signal()
            })
        signals.start()
        // After the SignalWatcher blocked the signals: threads inherit the mask.
        monitoring.start()
        defer { monitoring.stopServer() }

        logger.info("starting", ["base": layout.basePath, "index": layout.indexPath, "pid": String(getpid())])
        do {
            var lost = false
            while true {
                let store = try openIndex(afterLoss: lost)
                let end = try runSession(store: store, queue: queue, monitoring: monitoring)
                if case .stopped = end { break }
                if case .indexLost = end { lost = true } else { lost = false }
                if case .reload(let reloaded) = end {
                    configuration = reloaded
                    logger.setMinimumLevel(reloaded.monitoring.logLevel.loggerLevel)
                    monitoring.update(reloaded)
                }
                health.state = .starting
            }
        } catch let stop as Indexer.Stop {
            logger.error("stopped", ["reason": stop.description])
            health.state = .failed
            health.message = stop.description
            refreshHealth(force: true, monitoring: monitoring)
            throw stop
        }
        health.state = .stopped
        refreshHealth(force: true, monitoring: monitoring)
        logger.info("stopped", ["events": String(health.watcher.eventsProcessed)])
    }

    // MARK: State files

    /// The cleanup lock file exists before any cleanup needs it, so taking
    /// the lock on a full disk creates nothing; the space reserve is made
    /// while there is room for it.
    private func prepareStateFiles() {
        if let descriptor = try? FileDescriptor.open(
            PathBytes.bytes(layout.cleanupLockPath), flags: O_RDONLY | O_CREAT | O_NOFOLLOW, mode: 0o644)
        {
            descriptor.close()
        }
        replenishReserve()
    }

    /// Puts the space reserve back once the disk has room beyond the alert
    /// threshold, so holding it never makes the disk look low.
    private func replenishReserve() {
        guard let space = try? FileSystemSpace.of(layout.basePath) else { return }
        let threshold = Int64(Double(space.totalBytes) * configuration.monitoring.alertThresholdPercent / 100)
        do {
            if try layout.spaceReserve.replenish(keepingFree: threshold) {
                logger.info("space reserve for the index in place", ["path": layout.spaceReserve.path])
            }
        } catch {
            logger.warning("cannot create the space reserve for the index", ["error": "\(error)"])
        }
    }

    // MARK: The index file

    /// Opens the index, creating it when it is missing and moving a file that
    /// is not a usable SQLite database aside first; says what it did. After a
    /// loss, whatever the path holds (a truncated file) is moved aside too:
    /// it is no longer a database anyone can trust.
    private func openIndex(afterLoss: Bool) throws -> IndexStore {
        let store = try openOrCreateIndex(afterLoss: afterLoss)
        if store.database.lockedExclusively {
            logger.warning("the disk is full: the index is open in exclusive mode until there is room; other readers wait")
        }
        return store
    }

    private func openOrCreateIndex(afterLoss: Bool) throws -> IndexStore {
        let path = layout.indexPath
        if FileSystemPaths.exists(path) {
            var problem = "it was truncated, overwritten or damaged while the daemon ran"
            if !afterLoss {
                do {
                    return try IndexStore(path: path)
                } catch let error as DatabaseError where error.isCorrupt {
                    problem = error.description
                }
            }
            let aside = path + ".broken-" + Formatting.compactTimestamp(WallClock.now())
            for suffix in ["", "-wal", "-shm"] where FileSystemPaths.exists(path + suffix) {
                _ = try retryingEINTR("rename", path: PathBytes.bytes(path + suffix)) { rename(path + suffix, aside + suffix) }
            }
            logger.error("the index cannot be opened; moved it aside and building a new one", [
                "path": path, "moved_to": aside, "error": problem,
            ])
        } else {
            // A write-ahead log left by a deleted index belongs to no database
            // now, and SQLite would replay it into the new one.
            for suffix in ["-wal", "-shm"] { unlink(path + suffix) }
            logger.warning("no index; creating one (the startup reconcile fills it)", ["path": path])
        }
        let store = try IndexStore.create(path: path)
        try? store.setMeta("base_path", layout.basePath)
        return store
    }

    // MARK: One session

    private enum SessionEnd {
        case stopped
        /// The index file was deleted, replaced or truncated: rebuild it.
        case indexLost
        /// The index was opened exclusively on a full disk; there is room now
        /// to open it so that `stats`, `verify` and `sqlite3` can read it again.
        case reopen
        /// SIGHUP brought a valid configuration: the next session runs with it.
        case reload(Configuration)
    }

    private func runSession(store: IndexStore, queue: EventQueue, monitoring: DaemonMonitoring) throws -> SessionEnd {
        let inotify = try Inotify()
        let reader = try InotifyReader(inotify: inotify, queue: queue)
        // Events of a previous session's watches mean nothing to this one.
        _ = queue.takeAll()
        // The reader runs before the first watch exists, so nothing the startup
        // reconcile races with is lost: events for what it already indexed are
        // harmless duplicates.
        reader.start()
        defer { reader.stopAndJoin() }

        let indexer = try Indexer(
            store: store, categorizer: Categorizer(policies: configuration.categories), basePath: layout.basePath,
            inotify: inotify, queue: queue, logger: logger)
        let steps = Steps(logger: logger)
        // Long work on this thread (a cleanup drains the queue between its
        // slices) keeps the health file, and so /health and the cron fallback, fresh.
        indexer.afterBatch = { [unowned self] in
            self.health.watcher = indexer.status
            self.health.queueLength = queue.count
            self.health.eventsRead = reader.eventsRead
            self.refreshHealth(monitoring: monitoring, steps: steps)
        }
        defer { indexer.afterBatch = nil }

        try steps.index.run {
            try store.recordPolicy(configuration.categories)
            try indexer.reconcileEverything(reason: "startup")
        }
        health.state = .running
        logger.info("watching", ["watches": String(indexer.watches.count)])

        let scheduler = JobScheduler(store: store, logger: logger, now: WallClock.now)
        try scheduler.register(
            DaemonJobs.make(configuration: configuration, store: store, indexer: indexer, logger: logger, now: WallClock.now))
        SystemdNotifier.notify(
            "READY=1\nSTATUS=watching \(indexer.watches.count) directories", environment: environment, logger: logger)
        var ranMissedJobs = false

        let baseIdentity = IndexFileIdentity(path: layout.basePath)
        var nextPolicyCheck = 0.0
        var nextIndexCheck = 0.0
        var nextDegradedReconcile = MonotonicClock.seconds() + degradedReconcileInterval
        refreshHealth(force: true, monitoring: monitoring, steps: steps, indexer: indexer, queue: queue, reader: reader)

        while !stopRequested.isSet {
            let monotonic = MonotonicClock.seconds()
            var timeout = max(0, nextHealthWrite - monotonic)
            if let deadline = indexer.nextDeadline { timeout = min(timeout, max(0, deadline - monotonic)) }
            if let due = scheduler.nextDue { timeout = min(timeout, Double(max(0, due - WallClock.now()))) }
            if let retry = steps.index.retryAt { timeout = min(timeout, max(0, retry - monotonic)) }
            queue.wake.wait(timeout: min(timeout, 1))

            if reloadRequested.take(), let reloaded = reloadedConfiguration() {
                return .reload(reloaded)
            }
            if monotonic >= nextIndexCheck {
                nextIndexCheck = monotonic + Self.indexCheckInterval
                if let loss = store.openedFile?.loss(at: layout.indexPath) {
                    // An index gone with the whole base is the base's loss, not the index's.
                    if IndexFileIdentity(path: layout.basePath) != baseIdentity {
                        throw Indexer.Stop.baseGone("moved or deleted")
                    }
                    logger.error(
                        "the index file was lost while the daemon ran; rebuilding it",
                        ["path": layout.indexPath, "what": loss.description])
                    store.database.skipCheckpointOnClose()
                    return .indexLost
                }
                if store.database.lockedExclusively, let space = try? FileSystemSpace.of(layout.stateDirectory),
                    space.freeBytes >= SpaceReserve.size(forFilesystemOf: space.totalBytes)
                {
                    logger.info("the disk has room again; reopening the index so that other processes can read it")
                    return .reopen
                }
            }
            try steps.index.run {
                do {
                    try indexer.processQueued()
                } catch let error as DatabaseError where error.isDiskFull {
                    layout.spaceReserve.releaseIfDiskFull(logger: logger)
                    throw error
                }
            }
            // Jobs catch their own failures (the scheduler records each run);
            // a run that fell due while the daemon was down runs once, now.
            if !ranMissedJobs || (scheduler.nextDue.map { $0 <= WallClock.now() } ?? false) {
                ranMissedJobs = true
                scheduler.runDue(covers: DaemonJobs.covers)
            }
            try steps.monitoring.run { try monitoring.tick(store: store, indexer: indexer) }
            if MonotonicClock.seconds() >= nextPolicyCheck {
                var stillViolated = false
                try steps.policy.run {
                    stillViolated = try enforcePolicies(store: store, indexer: indexer)
                    replenishReserve()
                }
                // A run that could not fix it (files in use, undeletable) is not
                // retried every two seconds: the log would drown in it.
                nextPolicyCheck = MonotonicClock.seconds()
                    + (stillViolated ? Self.policyRetryInterval : Self.policyCheckInterval)
            }
            if indexer.status.degraded && MonotonicClock.seconds() >= nextDegradedReconcile {
                nextDegradedReconcile = MonotonicClock.seconds() + degradedReconcileInterval
                try steps.degradedReconcile.run { try indexer.reconcileUnwatched() }
            }
            refreshHealth(monitoring: monitoring, steps: steps, indexer: indexer, queue: queue, reader: reader)
            if let damaged = steps.all.first(where: \.failsOnACorruptIndex) {
                logger.error(
                    "the index is damaged; moving it aside and rebuilding it",
                    ["path": layout.indexPath, "step": damaged.name])
                store.database.skipCheckpointOnClose()
                return .indexLost
            }
        }

        logger.info("stopping", ["queued": String(queue.count)])
        SystemdNotifier.notify("STOPPING=1", environment: environment, logger: logger)
        reader.stopAndJoin()
        // Commit what was read before the signal; a move half still waiting
        // gets its pairing window, then counts as moved out.
        do {
            try indexer.processQueued()
            if let deadline = indexer.nextDeadline {
                usleep(UInt32(max(0, deadline - MonotonicClock.seconds()) * 1_000_000) + 1000)
                try indexer.processQueued()
            }
        } catch let stop as Indexer.Stop {
            throw stop
        } catch {
            // The next start reconciles: nothing seen is lost for good.
            logger.error("cannot commit the last changes before stopping", ["error": "\(error)"])
        }
        health.watcher = indexer.status
        health.state = .stopped
        monitoring.publish(&health)
        monitoring.writeFinalTextfile(store: store)
        return .stopped
    }

    /// The contained steps of one session's loop.
    private struct Steps {
        let index: DaemonStep
        let monitoring: DaemonStep
        let policy: DaemonStep
        let degradedReconcile: DaemonStep

        init(logger: Logger) {
            index = DaemonStep("index", backoff: 0.5, maximumBackoff: 15, logger: logger)
            monitoring = DaemonStep("monitoring", backoff: 2, maximumBackoff: 60, logger: logger)
            policy = DaemonStep("policy", backoff: 5, maximumBackoff: 300, logger: logger)
            degradedReconcile = DaemonStep("degraded_reconcile", backoff: 5, maximumBackoff: 300, logger: logger)
        }

        var all: [DaemonStep] { [index, monitoring, policy, degradedReconcile] }
    }

    // MARK: Reload

    /// Settings a running daemon cannot change: they name what it holds open
    /// (the base and its watches, the index, the listener, the log file).
    static func restartOnlyKeys(from old: Configuration, to new: Configuration) -> [String] {
        var keys: [String] = []
        if new.basePath != old.basePath { keys.append("storage.base_path") }
        if new.indexPath != old.indexPath { keys.append("storage.index_path") }
        if new.monitoring.metricsListen != old.monitoring.metricsListen { keys.append("monitoring.metrics_listen") }
        if new.monitoring.metricsEnabled != old.monitoring.metricsEnabled { keys.append("monitoring.metrics_enabled") }
        if new.monitoring.allowRemote != old.monitoring.allowRemote { keys.append("monitoring.allow_remote") }
        if new.monitoring.logFile != old.monitoring.logFile { keys.append("monitoring.log_file") }
        return keys
    }

    /// SIGHUP: reads the file again. A valid one is returned for the next
    /// session — except the keys only a restart can change, which keep their
    /// running values and are named in the log. An invalid one is refused and
    /// the running configuration kept, visible in `/health` and the metrics.
    private func reloadedConfiguration() -> Configuration? {
        guard let loadConfiguration else { return nil }
        var reloaded: Configuration
        do {
            reloaded = try loadConfiguration()
        } catch {
            health.configReloadSuccessful = false
            health.configProblem =
                "the configuration in \(configuration.sourceFile) was refused on reload; the daemon runs with the one "
                + "it loaded last: \(error)"
            logger.error("configuration reload refused; the running configuration is kept", ["error": "\(error)"])
            return nil
        }
        let refused = Self.restartOnlyKeys(from: configuration, to: reloaded)
        if !refused.isEmpty {
            logger.warning(
                "these settings change only with a restart; they keep their running values",
                ["keys": refused.joined(separator: ",")])
            reloaded.basePath = configuration.basePath
            reloaded.indexPath = configuration.indexPath
            reloaded.monitoring.metricsListen = configuration.monitoring.metricsListen
            reloaded.monitoring.metricsEnabled = configuration.monitoring.metricsEnabled
            reloaded.monitoring.allowRemote = configuration.monitoring.allowRemote
            reloaded.monitoring.logFile = configuration.monitoring.logFile
        }
        health.configReloadSuccessful = true
        health.configLoadedAt = WallClock.now()
        health.configProblem = nil
        logger.info("configuration reloaded", ["file": reloaded.sourceFile, "changed": String(reloaded != configuration)])
        return reloaded
    }

    // MARK: Policies

    /// Over quota (an `evict` category) or low on disk: clean now, under the
    /// shared cleanup lock (skipped while a CLI or cron run holds it), draining
    /// the event queue between slices so the index keeps up.
    /// Returns whether a policy is still violated after trying.
    private func enforcePolicies(store: IndexStore, indexer: Indexer) throws -> Bool {
        func violations() throws -> (lowDisk: FileSystemSpace?, overQuota: [String]) {
            let space = try? FileSystemSpace.of(layout.basePath)
            let lowDisk = space.flatMap { configuration.monitoring.isLow($0) ? $0 : nil }
            var overQuota: [String] = []
            for policy in configuration.categories
            where policy.onQuota == .evict && policy.key != CategoryPolicy.protectedKey {
                guard let quota = policy.quotaBytes else { continue }
                if try store.usage(of: policy.key).allocated > quota { overQuota.append(policy.key) }
            }
            return (lowDisk, overQuota)
        }
        let (lowSpace, overQuota) = try violations()
        let lowDisk = lowSpace != nil
        health.lowDisk = nil
        if let space = lowSpace {
            health.lowDisk =
                "free disk space is low: \(Formatting.bytes(space.freeBytes)) "
                + "(\(Formatting.fixed(space.freePercent, digits: 1)) %) free, alert below "
                + "\(Formatting.fixed(configuration.monitoring.alertThresholdPercent, digits: 1)) %"
                + (configuration.monitoring.minFreeBytes.map { " or \(Formatting.bytes($0))" } ?? "")
        }
        guard lowDisk || !overQuota.isEmpty else { return false }
        guard CleanupGate(configuration).enabled else {
            logger.warning(
                "cleanup is disabled (cleanup.enabled: false); not evicting",
                ["low_disk": String(lowDisk), "over_quota": overQuota.joined(separator: ",")])
            return true
        }
        let lock: FileLock
        do {
            lock = try layout.lockForCleanup(wait: 0)
        } catch is FileLock.Busy {
            return false  // that run is doing this work
        }
        defer { lock.release() }
        var request = Cleaner.Request(
            trigger: lowDisk ? "low_disk" : "quota", dryRun: configuration.cleanup.dryRun,
            categories: lowDisk ? nil : Set(overQuota))
        request.expire = lowDisk
        request.purgeTrash = lowDisk
        let cleaner = Cleaner(
            configuration: configuration, store: store, logger: logger, betweenSlices: { try indexer.catchUp() })
        _ = try cleaner.run(request)
        let after = try violations()
        return after.lowDisk != nil || !after.overQuota.isEmpty
    }

    // MARK: Health

    /// Rewrites the health file at most once a second (or now, when forced)
    /// and publishes the status to the HTTP thread.
    private func refreshHealth(
        force: Bool = false, monitoring: DaemonMonitoring, steps: Steps? = nil, indexer: Indexer? = nil,
        queue: EventQueue? = nil, reader: InotifyReader? = nil
    ) {
        let monotonic = MonotonicClock.seconds()
        guard force || monotonic >= nextHealthWrite else { return }
        nextHealthWrite = monotonic + 1
        health.updatedAt = WallClock.now()
        if let indexer { health.watcher = indexer.status }
        if let queue {
            health.queueLength = queue.count
            health.lagSeconds = queue.lag(now: monotonic)
        }
        if let reader { health.eventsRead = reader.eventsRead }
        if let steps {
            health.problems = steps.all.compactMap(\.problem)
            for step in steps.all where step.failures > 0 { health.stepFailures[step.name] = step.failures }
        }
        if let healthWriteError { health.problems.append(healthWriteError) }
        monitoring.publish(&health)
        writeHealth()
    }

    /// A health file that cannot be written is a problem in `/health` (the
    /// cron fallback reads the file, and would believe the daemon dead).
    private func writeHealth() {
        do {
            try health.write(to: healthPath)
            if healthWriteError != nil {
                healthWriteError = nil
                logger.info("the health file is written again", ["path": healthPath])
            }
        } catch {
            if healthWriteError == nil {
                logger.warning("cannot write the health file", ["path": healthPath, "error": "\(error)"])
                // The reserve gives the index, and this file, room on a full disk.
                layout.spaceReserve.releaseIfDiskFull(logger: logger)
            }
            healthWriteError = "cannot write the health file: \(error)"
        }
    }
}
