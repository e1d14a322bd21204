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

    public init(configuration: Configuration, logger: Logger, environment: [String: String] = [:]) {
        self.configuration = configuration
        degradedReconcileInterval = environment["STOREKEEPER_DEGRADED_RECONCILE_SECONDS"].flatMap(Double.init)
            ?? Self.defaultDegradedReconcileInterval
        self.layout = StorageLayout(configuration)
        self.logger = logger
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
        let inotify = try Inotify()
        let reader = try InotifyReader(inotify: inotify, queue: queue)
        let signals = try SignalWatcher(logger: logger) { [stopRequested] in
            stopRequested.set()
            queue.wake.signal()
        }
        signals.start()
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

        var nextHealthWrite = 0.0
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
            do {
                try health.write(to: healthPath)
            } catch {
                logger.warning("cannot write the health file", ["path": healthPath, "error": "\(error)"])
            }
        }
        refreshHealth(force: true)

        do {
            while !stopRequested.isSet {
                let monotonic = ProgressLine.monotonicSeconds()
                var timeout = max(0, nextHealthWrite - monotonic)
                if let deadline = indexer.nextDeadline { timeout = min(timeout, max(0, deadline - monotonic)) }
                queue.wake.wait(timeout: min(timeout, 1))
                try indexer.processQueued()
                if indexer.status.degraded && ProgressLine.monotonicSeconds() >= nextDegradedReconcile {
                    nextDegradedReconcile = ProgressLine.monotonicSeconds() + degradedReconcileInterval
                    try indexer.reconcileUnwatched()
                }
                refreshHealth()
            }
            logger.info("stopping", ["queued": String(queue.count)])
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
