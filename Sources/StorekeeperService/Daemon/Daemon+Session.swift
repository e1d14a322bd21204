import Glibc
import StorekeeperConfig
import StorekeeperEngine
import StorekeeperIndex
import StorekeeperMonitoring
import StorekeeperSystem

/// One session: the watcher on one open index, from its startup reconcile
/// to the end of its loop.
extension Daemon {
    enum SessionEnd {
        case stopped
        /// The index file was deleted, replaced or truncated: rebuild it.
        case indexLost
        /// The index was opened exclusively on a full disk; there is room now
        /// to open it so that `stats`, `verify` and `sqlite3` can read it again.
        case reopen
        /// SIGHUP brought a valid configuration: the next session runs with it.
        case reload(Configuration)
    }

    /// What a session's loop works with.
    final class Session {
        let store: IndexStore
        let queue: EventQueue
        /// nil in poll mode.
        let reader: InotifyReader?
        let indexer: Indexer
        let steps: Steps
        let monitoring: DaemonMonitoring
        let scheduler: JobScheduler
        /// The base as the session found it: an index lost with the whole base is the base's loss.
        let baseIdentity: IndexFileIdentity?
        /// Jobs missed while the daemon was down run once, on the first turn.
        var ranMissedJobs = false

        init(
            store: IndexStore, queue: EventQueue, reader: InotifyReader?, indexer: Indexer, steps: Steps,
            monitoring: DaemonMonitoring, scheduler: JobScheduler, baseIdentity: IndexFileIdentity?
        ) {
            self.store = store
            self.queue = queue
            self.reader = reader
            self.indexer = indexer
            self.steps = steps
            self.monitoring = monitoring
            self.scheduler = scheduler
            self.baseIdentity = baseIdentity
        }
    }

    /// The contained steps of one session's loop.
    struct Steps {
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

    func runSession(store: IndexStore, queue: EventQueue, monitoring: DaemonMonitoring) throws -> SessionEnd {
        let filesystem = try FileSystemType.of(layout.basePath)
        if let refusal = configuration.watch.inotifyRefusal(base: layout.basePath, filesystem: filesystem) {
            throw WatchModeRefusal(description: refusal)
        }
        // Poll mode watches nothing: the loop reconciles every poll_interval.
        let inotify = configuration.watch.mode == .poll ? nil : try Inotify()
        let reader = try inotify.map { try InotifyReader(inotify: $0, queue: queue) }
        // Events of a previous session's watches mean nothing to this one.
        _ = queue.takeAll()
        // The reader runs before the first watch exists, so nothing the startup
        // reconcile races with is lost: events for what it already indexed are
        // harmless duplicates.
        reader?.start()
        defer { reader?.stopAndJoin() }

        let indexer = try Indexer(
            store: store, categorizer: Categorizer(policies: configuration.categories), basePath: layout.basePath,
            inotify: inotify, queue: queue, logger: logger)
        let steps = Steps(logger: logger)
        // Long work on this thread (a cleanup drains the queue between its
        // slices) keeps the health file, and so /health and the cron fallback, fresh.
        indexer.afterBatch = { [unowned self] in
            self.health.watcher = indexer.status
            self.health.queueLength = queue.count
            self.health.eventsRead = reader?.eventsRead ?? 0
            self.refreshHealth(monitoring: monitoring, steps: steps)
        }
        defer { indexer.afterBatch = nil }

        let session = try startSession(
            store: store, queue: queue, reader: reader, indexer: indexer, steps: steps, monitoring: monitoring)
        while !stopRequested.isSet {
            if let end = try turn(session) { return end }
        }
        try stopSession(session)
        return .stopped
    }

    /// The startup reconcile, the jobs, and readiness for systemd.
    private func startSession(
        store: IndexStore, queue: EventQueue, reader: InotifyReader?, indexer: Indexer, steps: Steps,
        monitoring: DaemonMonitoring
    ) throws -> Session {
        try steps.index.run {
            try store.recordPolicy(configuration.categories)
            try indexer.reconcileEverything(reason: "startup")
        }
        health.state = .running
        if reader == nil {
            logger.info("polling", ["every_seconds": String(configuration.watch.pollIntervalSeconds), "mode": "poll"])
        } else {
            logger.info("watching", ["watches": String(indexer.watches.count)])
        }

        let scheduler = JobScheduler(store: store, logger: logger, now: WallClock.now)
        try scheduler.register(
            DaemonJobs.make(
                configuration: configuration, store: store, indexer: indexer, logger: logger, now: WallClock.now))
        SystemdNotifier.notify(
            "READY=1\nSTATUS=watching \(indexer.watches.count) directories", environment: environment, logger: logger)

        let session = Session(
            store: store, queue: queue, reader: reader, indexer: indexer, steps: steps, monitoring: monitoring,
            scheduler: scheduler, baseIdentity: IndexFileIdentity(path: layout.basePath))
        timers.sessionStarted(
            now: MonotonicClock.seconds(),
            pollInterval: reader == nil ? Double(configuration.watch.pollIntervalSeconds) : nil)
        refreshHealth(force: true, session: session)
        return session
    }

    /// One turn of the loop: sleeps until an event or the earliest deadline,
    /// then runs each step that is due. Returns how the session ends, or nil
    /// to go on.
    private func turn(_ session: Session) throws -> SessionEnd? {
        let monotonic = MonotonicClock.seconds()
        let woken = session.queue.wake.wait(
            timeout: timers.waitTimeout(
                now: monotonic, moveDeadline: session.indexer.nextDeadline,
                jobDueIn: session.scheduler.nextDue.map { Double(max(0, $0 - WallClock.now())) },
                indexRetryAt: session.steps.index.retryAt))
        if woken, let pause = timers.gatherPause(now: MonotonicClock.seconds()) {
            usleep(UInt32(pause * 1_000_000))
        }

        if reloadRequested.take(), let reloaded = reloadedConfiguration() {
            return .reload(reloaded)
        }
        if timers.takeIndexCheck(now: monotonic), let end = try checkIndexFile(session) { return end }
        let takeStarted = MonotonicClock.seconds()
        try session.steps.index.run {
            do {
                if try session.indexer.processQueued() { timers.lastEventTake = takeStarted }
            } catch let error as DatabaseError where error.isDiskFull {
                layout.spaceReserve.releaseIfDiskFull(logger: logger)
                throw error
            }
        }
        if timers.takePoll(now: MonotonicClock.seconds()) {
            try session.steps.index.run { try session.indexer.reconcileEverything(reason: "poll") }
        }
        runDueJobs(session)
        try session.steps.monitoring.run { try session.monitoring.tick(store: session.store, indexer: session.indexer) }
        try checkPoliciesIfDue(session)
        if session.indexer.status.degraded && timers.takeDegradedReconcile(now: MonotonicClock.seconds()) {
            try session.steps.degradedReconcile.run { try session.indexer.reconcileUnwatched() }
        }
        refreshHealth(session: session)
        if let damaged = session.steps.all.first(where: \.failsOnACorruptIndex) {
            logger.error(
                "the index is damaged; moving it aside and rebuilding it",
                ["path": layout.indexPath, "step": damaged.name])
            session.store.skipCheckpointOnClose()
            return .indexLost
        }
        return nil
    }

    /// Whether the index path still names the file the session has open, and
    /// whether an index held exclusively on a full disk can be shared again.
    private func checkIndexFile(_ session: Session) throws -> SessionEnd? {
        if let loss = session.store.openedFile?.loss(at: layout.indexPath) {
            // An index gone with the whole base is the base's loss, not the index's.
            if IndexFileIdentity(path: layout.basePath) != session.baseIdentity {
                throw Indexer.Stop.baseGone("moved or deleted")
            }
            logger.error(
                "the index file was lost while the daemon ran; rebuilding it",
                ["path": layout.indexPath, "what": loss.description])
            session.store.skipCheckpointOnClose()
            return .indexLost
        }
        if session.store.isLockedExclusively, let space = try? FileSystemSpace.of(layout.stateDirectory),
            space.freeBytes >= SpaceReserve.size(forFilesystemOf: space.totalBytes)
        {
            logger.info("the disk has room again; reopening the index so that other processes can read it")
            return .reopen
        }
        return nil
    }

    /// Jobs catch their own failures (the scheduler records each run); a run
    /// that fell due while the daemon was down runs once, on the first turn.
    private func runDueJobs(_ session: Session) {
        guard !session.ranMissedJobs || (session.scheduler.nextDue.map { $0 <= WallClock.now() } ?? false) else {
            return
        }
        session.ranMissedJobs = true
        session.scheduler.runDue(covers: DaemonJobs.covers)
    }

    private func checkPoliciesIfDue(_ session: Session) throws {
        guard timers.policyCheckIsDue(now: MonotonicClock.seconds()) else { return }
        var stillViolated = false
        try session.steps.policy.run {
            stillViolated = try enforcePolicies(store: session.store, indexer: session.indexer)
            replenishReserve()
        }
        timers.policyChecked(now: MonotonicClock.seconds(), stillViolated: stillViolated)
    }

    /// Commits what was read before the signal; a move half still waiting
    /// gets its pairing window, then counts as moved out.
    private func stopSession(_ session: Session) throws {
        logger.info("stopping", ["queued": String(session.queue.count)])
        SystemdNotifier.notify("STOPPING=1", environment: environment, logger: logger)
        session.reader?.stopAndJoin()
        do {
            try session.indexer.processQueued()
            if let deadline = session.indexer.nextDeadline {
                usleep(UInt32(max(0, deadline - MonotonicClock.seconds()) * 1_000_000) + 1000)
                try session.indexer.processQueued()
            }
        } catch let stop as Indexer.Stop {
            throw stop
        } catch {
            // The next start reconciles: nothing seen is lost for good.
            logger.error("cannot commit the last changes before stopping", ["error": "\(error)"])
        }
        health.watcher = session.indexer.status
        health.state = .stopped
        session.monitoring.publish(&health)
        session.monitoring.writeFinalTextfile(store: session.store)
    }
}

/// The daemon will not watch a tree inotify cannot see whole.
struct WatchModeRefusal: Error, CustomStringConvertible {
    let description: String
}
