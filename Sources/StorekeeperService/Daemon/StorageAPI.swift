import StorekeeperConfig
import StorekeeperEngine
import StorekeeperHTTP
import StorekeeperIndex
import StorekeeperMonitoring
import StorekeeperSystem

/// The daemon's HTTP routes: `/metrics`, `/health` and the JSON endpoints
/// of the earlier Python design. Runs on the server thread with a read-only
/// SQLite connection of its own (WAL lets it read beside the daemon's
/// writer); a cleanup is handed to the daemon's loop, which owns the writer
/// and the indexer.
final class StorageAPI {
    private let shared: SharedConfiguration
    /// What is in force now: a SIGHUP reload replaces it between requests.
    var configuration: Configuration { shared.current }
    let layout: StorageLayout
    private let logger: Logger
    private let environment: [String: String]
    private let currentDirectory: String
    let board: DaemonStatusBoard
    private let cleanups: CleanupRequestQueue
    /// Opened on first use, on this thread; dropped after an error and reopened.
    private var openStore: IndexStore?

    init(
        configuration: SharedConfiguration, logger: Logger, environment: [String: String], currentDirectory: String,
        board: DaemonStatusBoard, cleanups: CleanupRequestQueue
    ) {
        shared = configuration
        layout = StorageLayout(configuration.current)
        self.logger = logger
        self.environment = environment
        self.currentDirectory = currentDirectory
        self.board = board
        self.cleanups = cleanups
    }

    func handle(_ request: HTTPRequest, _ responder: HTTPResponder) -> HTTPResponse? {
        guard let route = StorageRoute(path: request.path) else { return StorageRoute.notFound(request.path) }
        guard route.methods.contains(request.method) else { return route.methodNotAllowed() }
        guard let query = request.queryItems else { return .error(.badRequest, "malformed query string") }
        if let refusal = route.checkQuery(query) { return refusal }
        do {
            return try answer(route, query: query, responder: responder)
        } catch {
            openStore = nil
            logger.error("HTTP request failed", ["path": route.path, "error": "\(error)"])
            return .error(.internalServerError, "\(error)")
        }
    }

    private func answer(
        _ route: StorageRoute, query: [(name: String, value: String)], responder: HTTPResponder
    ) throws -> HTTPResponse? {
        switch route {
        case .page:
            HTTPResponse(
                status: .ok, contentType: "text/html; charset=utf-8", body: Array(try statusPage().render().utf8))
        case .history:
            try history(query)
        case .metrics:
            HTTPResponse(
                status: .ok, contentType: MetricsRenderer.contentType,
                body: Array(MetricsRenderer.render(try snapshot()).utf8))
        case .health:
            health()
        case .stats:
            .json(.ok, try statsReport().json)
        case .validate:
            .json(.ok, try validate())
        case .cleanup:
            cleanup(query, responder)
        }
    }

    /// What `stats --json` says, with the event log's bounds the daemon runs with.
    private func statsReport() throws -> StorageReport {
        var report = try StorageReport.read(layout: layout, store: try store(), daemon: board.current)
        report.eventLogBounds = configuration.monitoring
        return report
    }

    func store() throws -> IndexStore {
        // The daemon rebuilds an index that was deleted or replaced under it;
        // a connection to the old file would answer from a file nobody writes.
        if let openStore, openStore.openedFile?.loss(at: layout.indexPath) == nil { return openStore }
        openStore = nil
        let opened = try IndexStore(path: layout.indexPath, readOnly: true)
        openStore = opened
        return opened
    }

    private func snapshot() throws -> MetricsSnapshot {
        try MetricsSnapshot.read(store: try store(), configuration: configuration, daemon: board.live)
    }

    // MARK: /health

    /// 200 while the daemon runs with every folder watched; 503 while it
    /// starts (the startup reconcile), stops, or is degraded. An unreadable
    /// folder is listed as a problem with a 200 (`status: warning`): the
    /// daemon still keeps the index and runs the cleanups, and a 503 would
    /// tell the cron fallback to run a second cleaner beside it.
    private func health() -> HTTPResponse {
        let health = board.current
        var problems: [String] = []
        if health.state != .running { problems.append("the daemon is \(health.state.rawValue)") }
        if health.watcher.degraded {
            problems.append(
                "\(health.watcher.unwatchedDirectories) directories cannot be watched (inotify watch limit); "
                    + "they are reconciled periodically instead")
        }
        // Faults the daemon contains (a failing step, a locked or full index,
        // a health file it cannot write): it runs, but not as it should.
        problems += health.problems
        let unhealthy = !problems.isEmpty
        // The daemon runs on with the configuration it loaded last: a warning.
        if let configProblem = health.configProblem { problems.append(configProblem) }
        // An alert, not a failure: the daemon is relieving it (or says why it cannot).
        if let lowDisk = health.lowDisk { problems.append(lowDisk) }
        if health.watcher.unreadableDirectories > 0 {
            problems.append(
                "\(health.watcher.unreadableDirectories) directories cannot be read (permissions); their rows are "
                    + "kept as they were and may be stale: see the daemon's log for the paths")
        }
        var fields: [(String, JSONValue)] = [
            ("status", .string(unhealthy ? "unhealthy" : problems.isEmpty ? "ok" : "warning")),
            ("problems", .array(problems.map(JSONValue.string))),
        ]
        if case .object(let pairs) = health.json { fields += pairs.filter { $0.0 != "problems" } }
        return .json(unhealthy ? .serviceUnavailable : .ok, .object(fields))
    }

    // MARK: /api/v1/storage/validate

    /// The earlier design's `validate_config` (`valid` and `messages`), for
    /// what runs now: the configuration file as it is on disk against the
    /// one the daemon started with, the layout, and the index against both.
    private func validate() throws -> JSONValue {
        var errors: [String] = []
        var warnings: [String] = []
        let file = configuration.sourceFile
        do {
            let (reloaded, loadWarnings) = try ConfigurationLoader.load(
                file: file, environment: environment, currentDirectory: currentDirectory)
            warnings += loadWarnings.map(\.description)
            if reloaded != configuration {
                warnings.append(
                    "\(file) changed since the daemon loaded it: reload it (SIGHUP, systemctl reload) to apply the change"
                )
            }
        } catch {
            errors.append("\(error) (the daemon still runs with the configuration it loaded last)")
        }
        do {
            try layout.validate()
        } catch {
            errors.append("\(error)")
        }
        if FileSystemPaths.kind(layout.basePath) != .directory {
            errors.append("the base \(layout.basePath) is not a directory")
        }
        for policy in configuration.categories {
            for directory in policy.directories
            where FileSystemPaths.kind(layout.basePath + "/" + directory) != .directory {
                warnings.append("\(directory)/ (\(policy.key)) does not exist: 'storekeeper init' creates it")
            }
        }
        let store = try store()
        let recorded = Dictionary(try store.recordedPolicies().map { ($0.key, $0) }) { first, _ in first }
        for policy in configuration.categories where recorded[policy.key] != policy {
            warnings.append(
                "the index records another policy for \(policy.key) than the daemon runs with (written by a command "
                    + "with another configuration?); the sqlite3 views follow the index's")
        }
        for key in recorded.keys.sorted() where !configuration.categories.contains(where: { $0.key == key }) {
            warnings.append("the index records a category \(key) that the daemon's configuration does not have")
        }
        // "/" holds the files directly in the base (the README `init` writes).
        for usage in try store.usage() where !usage.managed && usage.files > 0 && usage.category != "/" {
            warnings.append(
                "\(usage.files) files (\(Formatting.bytes(usage.bytes))) in \(usage.category) belong to no configured "
                    + "category: they are indexed, never cleaned")
        }
        return .object([
            ("valid", .bool(errors.isEmpty)),
            (
                "messages",
                .array((errors.map { "ERROR: \($0)" } + warnings.map { "WARNING: \($0)" }).map(JSONValue.string))
            ),
            ("errors", .array(errors.map(JSONValue.string))),
            ("warnings", .array(warnings.map(JSONValue.string))),
            ("config_file", .string(file)),
            ("base_path", .string(layout.basePath)),
            ("index_path", .string(layout.indexPath)),
        ])
    }

    // MARK: POST /api/v1/storage/cleanup

    /// A dry run unless `dry_run=false` (in the earlier design even
    /// `dry_run=false` deleted nothing). The daemon's loop runs it and
    /// answers; one at a time.
    ///
    /// Only the exact words: `0` or `FALSE` once ran real cleanups for
    /// clients that meant a dry run, and a request that deletes files must
    /// not depend on a guess at what its spelling means.
    private func cleanup(_ query: [(name: String, value: String)], _ responder: HTTPResponder) -> HTTPResponse? {
        var dryRun = true
        if let value = query.first(where: { $0.name == "dry_run" })?.value {
            switch value {
            case "true": dryRun = true
            case "false": dryRun = false
            default: return .error(.badRequest, "query parameter 'dry_run' takes exactly true or false, got '\(value)'")
            }
        }
        logger.info("cleanup requested over HTTP", ["dry_run": String(dryRun)])
        guard cleanups.submit(CleanupRequestQueue.Request(dryRun: dryRun, responder: responder)) else {
            return .error(.conflict, "a cleanup requested over HTTP is already waiting or running")
        }
        return nil
    }
}
