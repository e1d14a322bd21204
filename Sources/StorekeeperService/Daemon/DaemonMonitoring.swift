import Glibc
import StorekeeperConfig
import StorekeeperEngine
import StorekeeperHTTP
import StorekeeperIndex
import StorekeeperMonitoring
import StorekeeperSystem

/// The daemon's monitoring: the HTTP server (metrics and the JSON API, on a
/// thread of its own), the textfile-collector file, and the alert log lines.
/// The loop calls `tick` on every turn; everything here that touches the
/// writable index or the indexer runs there, on the loop's thread.
final class DaemonMonitoring {
    /// How often the textfile-collector file is rewritten.
    static let textfileInterval = 15.0
    /// How often the alert conditions are checked.
    static let alertInterval = 2.0
    /// Overrides `monitoring.metrics_listen` (tests ask for port 0; two
    /// daemons on one machine need two ports); empty means unset.
    static let listenVariable = ProcessEnvironment.Variable.metricsListen.rawValue

    let board: DaemonStatusBoard
    private let cleanups: CleanupRequestQueue
    private let server: HTTPServer?
    private var configuration: Configuration
    /// The configuration the HTTP thread reads, replaced on a reload.
    private let shared: SharedConfiguration
    private let layout: StorageLayout
    let logger: Logger
    private let environment: [String: String]
    private var alertLog = AlertLog()
    private var nextAlertCheck = 0.0
    private var nextTextfile = 0.0
    /// The first sample is taken at once, so a fresh daemon's page has a point.
    private var nextHistorySample = 0.0
    private var textfileFailing = false
    private var nextEventLogCheck = 0.0

    /// Binds the listener now, so a port in use stops the daemon at startup.
    init(
        configuration: Configuration, logger: Logger, environment: [String: String], initial: HealthFile, wake: WakePipe
    ) throws {
        self.configuration = configuration
        shared = SharedConfiguration(configuration)
        layout = StorageLayout(configuration)
        self.logger = logger
        self.environment = environment
        board = DaemonStatusBoard(initial)
        cleanups = CleanupRequestQueue(wake: wake)
        guard configuration.monitoring.metricsEnabled else {
            server = nil
            return
        }
        var listen = configuration.monitoring.metricsListen
        if let override = ProcessEnvironment(environment)[.metricsListen] {
            if let problem = configuration.monitoring.listenProblem(override) {
                throw ConfigError(file: "environment", line: nil, key: Self.listenVariable, message: problem)
            }
            listen = override
        }
        guard let address = ListenAddress(listen) else {
            preconditionFailure("metrics_listen was validated when the configuration was loaded")
        }
        server = try HTTPServer(address: address, logger: logger)
    }

    func start() {
        guard let server else {
            logger.info("HTTP server off (monitoring.metrics_enabled: false)")
            return
        }
        if !server.address.isLoopback {
            logger.warning(
                "serving metrics and the API beyond this machine (monitoring.allow_remote); the API has no authentication",
                ["listen": server.address.description])
        }
        logger.info("serving metrics and the API", ["listen": server.address.description])
        var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
        let currentDirectory =
            buffer.withUnsafeMutableBufferPointer { pointer in
                pointer.withMemoryRebound(to: CChar.self) { getcwd($0.baseAddress, $0.count) } != nil
            } ? String(decoding: buffer.prefix { $0 != 0 }, as: UTF8.self) : "/"
        server.start { [shared, logger, environment, board, cleanups] in
            StorageAPI(
                configuration: shared, logger: logger, environment: environment,
                currentDirectory: currentDirectory, board: board, cleanups: cleanups
            ).handle
        }
    }

    /// A reloaded configuration, for this loop's work and the HTTP thread's.
    /// The listener stays where it is: the daemon refuses a new address on reload.
    func update(_ configuration: Configuration) {
        self.configuration = configuration
        shared.replace(configuration)
    }

    /// Stamps the listen address on the status and hands it to the HTTP thread.
    func publish(_ health: inout HealthFile) {
        health.listen = server?.address.description
        board.publish(health)
    }

    /// Runs a cleanup asked for over HTTP, checks the alerts, rewrites the
    /// textfile when due. Rethrows `Indexer.Stop`.
    func tick(store: IndexStore, indexer: Indexer) throws {
        try serveCleanup(store: store, indexer: indexer)
        let now = MonotonicClock.seconds()
        if now >= nextAlertCheck {
            nextAlertCheck = now + Self.alertInterval
            do {
                let snapshot = try MetricsSnapshot.read(store: store, configuration: configuration, daemon: board.live)
                alertLog.update(snapshot.alerts, logger: logger)
            } catch {
                logger.warning("cannot check the alert conditions", ["error": "\(error)"])
            }
        }
        if now >= nextTextfile {
            nextTextfile = now + Self.textfileInterval
            writeTextfile(store: store)
        }
        if now >= nextHistorySample {
            nextHistorySample = now + Double(configuration.monitoring.historyIntervalSeconds)
            try sampleUsage(store: store)
        }
        if now >= nextEventLogCheck {
            nextEventLogCheck = now + Self.eventLogCheckInterval
            try boundEventLog(store: store, indexer: indexer, maxBytes: configuration.monitoring.eventLogMaxBytes)
        }
    }

    /// Copies `usage` into `usage_history` and prunes what is older than the
    /// history's retention, a bounded step at a time.
    private func sampleUsage(store: IndexStore) throws {
        let wall = WallClock.now()
        try store.write {
            try store.recordUsageSample(at: wall)
            try store.pruneUsageHistory(before: wall - configuration.monitoring.historyRetentionSeconds)
        }
    }

    /// Writes the textfile a last time, as the daemon stops (`daemon_up 0`).
    func writeFinalTextfile(store: IndexStore) {
        writeTextfile(store: store)
    }

    func stopServer() {
        server?.stopAndJoin()
    }

    private func serveCleanup(store: IndexStore, indexer: Indexer) throws {
        guard let request = cleanups.take() else { return }
        let response: HTTPResponse
        defer {
            // The slot is free before the client hears back, so its next
            // request, however quick, is never refused as a concurrent one.
            cleanups.finish()
            request.responder.send(response)
        }
        do {
            let lock = try layout.lockForCleanup(wait: 0)
            defer { lock.release() }
            let cleaner = Cleaner(
                configuration: configuration, store: store, logger: logger, betweenSlices: { try indexer.catchUp() })
            let report = try cleaner.run(
                Cleaner.Request(trigger: .api, dryRun: request.dryRun || configuration.cleanup.dryRun))
            response = .json(.ok, report.json)
        } catch let disabled as CleanupGate.Disabled {
            response = .error(.conflict, "\(disabled)")
        } catch is FileLock.Busy {
            response = .error(
                .conflict, "another cleanup run holds the lock (storekeeper clean, cron, or a scheduled run)")
        } catch let stop as Indexer.Stop {
            response = .error(.serviceUnavailable, "the daemon is stopping: \(stop)")
            throw stop
        } catch {
            logger.error("cleanup requested over HTTP failed", ["error": "\(error)"])
            response = .error(.internalServerError, "cleanup failed: \(error)")
        }
    }

    /// node_exporter's textfile collector: a temporary name in the same
    /// folder (not matching `*.prom`), fsync, rename.
    private func writeTextfile(store: IndexStore) {
        guard let path = configuration.monitoring.textfilePath else { return }
        do {
            let snapshot = try MetricsSnapshot.read(store: store, configuration: configuration, daemon: board.live)
            try FileSystemPaths.writeAtomically(path, contents: MetricsRenderer.render(snapshot))
            if textfileFailing {
                textfileFailing = false
                logger.info("the metrics textfile is written again", ["path": path])
            }
        } catch {
            if !textfileFailing {
                textfileFailing = true
                logger.warning(
                    "cannot write the metrics textfile (monitoring.textfile_path)", ["path": path, "error": "\(error)"])
            }
        }
    }
}
