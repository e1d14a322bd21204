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

    var configuration: Configuration
    let layout: StorageLayout
    let logger: Logger
    let stopRequested = StopFlag()
    let reloadRequested = RequestFlag()
    /// Reads the configuration file again (with the environment's overrides),
    /// for SIGHUP; nil when the daemon cannot reload (tests that build one).
    let loadConfiguration: (() throws -> Configuration)?
    let environment: [String: String]
    var timers: DaemonLoopTimers

    var health: HealthFile
    let healthPath: String
    var healthWriteError: String?

    public init(
        configuration: Configuration, logger: Logger, environment: [String: String] = [:],
        reload: (() throws -> Configuration)? = nil
    ) {
        self.configuration = configuration
        loadConfiguration = reload
        self.environment = environment
        timers = DaemonLoopTimers(
            degradedReconcileInterval: ProcessEnvironment(environment)[.degradedReconcileSeconds].flatMap(Double.init)
                ?? Self.defaultDegradedReconcileInterval)
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
        let (queue, monitoring) = try start()
        defer { monitoring.stopServer() }
        do {
            try runSessions(queue: queue, monitoring: monitoring)
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

    /// Under the writer lock: the state files, the HTTP listener and the
    /// signal thread. The listener is bound before the startup reconcile, so
    /// a port in use fails at once, and /health says "starting" meanwhile.
    private func start() throws -> (EventQueue, DaemonMonitoring) {
        prepareStateFiles()
        writeHealth()
        let queue = try EventQueue()
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
        logger.info("starting", ["base": layout.basePath, "index": layout.indexPath, "pid": String(getpid())])
        return (queue, monitoring)
    }

    /// Session after session until a stop: a lost index is rebuilt, a
    /// reloaded configuration takes over, an exclusive index is reopened.
    private func runSessions(queue: EventQueue, monitoring: DaemonMonitoring) throws {
        var lost = false
        while true {
            let store = try openIndex(afterLoss: lost)
            let end = try runSession(store: store, queue: queue, monitoring: monitoring)
            lost = false
            switch end {
            case .stopped:
                return
            case .indexLost:
                lost = true
            case .reopen:
                break
            case .reload(let reloaded):
                configuration = reloaded
                logger.setMinimumLevel(reloaded.monitoring.logLevel.loggerLevel)
                monitoring.update(reloaded)
            }
            health.state = .starting
        }
    }

    // MARK: State files

    /// The cleanup lock file exists before any cleanup needs it, so taking
    /// the lock on a full disk creates nothing; the space reserve is made
    /// while there is room for it.
    private func prepareStateFiles() {
        if let descriptor = try? FileDescriptor.open(
            PathBytes.bytes(layout.cleanupLockPath), access: .readOnly, options: [.create, .noFollow], mode: 0o644)
        {
            descriptor.close()
        }
        replenishReserve()
    }

    /// Puts the space reserve back once the disk has room beyond the alert
    /// threshold, so holding it never makes the disk look low.
    func replenishReserve() {
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
        if store.isLockedExclusively {
            logger.warning(
                "the disk is full: the index is open in exclusive mode until there is room; other readers wait")
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
            try moveAside(path, problem: problem)
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

    /// Renames the index and its WAL files out of the way, keeping them for a look.
    private func moveAside(_ path: String, problem: String) throws {
        let aside = path + ".broken-" + Formatting.compactTimestamp(WallClock.now())
        for suffix in ["", "-wal", "-shm"] where FileSystemPaths.exists(path + suffix) {
            _ = try systemCall("rename", path: PathBytes.bytes(path + suffix)) { rename(path + suffix, aside + suffix) }
        }
        logger.error(
            "the index cannot be opened; moved it aside and building a new one",
            [
                "path": path, "moved_to": aside, "error": problem,
            ])
    }
}
