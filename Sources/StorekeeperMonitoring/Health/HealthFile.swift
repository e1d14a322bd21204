import Glibc
import StorekeeperConfig
import StorekeeperEngine
import StorekeeperSystem

/// `.storekeeper/health.json`: the daemon's own account of itself, rewritten
/// atomically every second. `stats`, the cron fallback and operators read it;
/// a live pid plus a fresh `updated_at` means the daemon is keeping the index.
public struct HealthFile: Equatable, Sendable {
    public enum State: String, Sendable {
        case starting, running, stopped, failed
    }

    public var pid: Int32
    public var state: State
    public var startedAt: Int64
    public var updatedAt: Int64
    public var lagSeconds: Double
    public var queueLength: Int
    public var eventsRead: Int
    public var watcher: WatcherStatus
    public var message: String?
    /// Where the HTTP server (metrics and the API) listens, with the port it
    /// got (`metrics_listen` may ask for port 0); nil when it is off.
    public var listen: String?
    /// Faults the daemon is containing now (a failing step, an index locked
    /// by another process, a full disk, a health file it cannot write): each
    /// one line for `/health`, which is unhealthy while any is listed.
    public var problems: [String] = []
    /// Failures of each loop step since the start, for
    /// `storekeeper_daemon_step_failures_total{step}`.
    public var stepFailures: [String: Int] = [:]
    /// Whether the last configuration reload (SIGHUP) succeeded, and when one
    /// last did (the start counts as one, as Prometheus counts its own).
    public var configReloadSuccessful = true
    public var configLoadedAt: Int64 = 0
    /// Why the file on disk was refused, while the running configuration is kept.
    public var configProblem: String?
    /// Set while free space is below `alert_threshold_percent` or `min_free_bytes`.
    public var lowDisk: String?

    public static func path(in layout: StorageLayout) -> String { layout.stateDirectory + "/health.json" }

    public init(
        pid: Int32, state: State, startedAt: Int64, updatedAt: Int64, lagSeconds: Double = 0, queueLength: Int = 0,
        eventsRead: Int = 0, watcher: WatcherStatus = WatcherStatus(), message: String? = nil, listen: String? = nil
    ) {
        self.pid = pid
        self.state = state
        self.startedAt = startedAt
        self.updatedAt = updatedAt
        self.lagSeconds = lagSeconds
        self.queueLength = queueLength
        self.eventsRead = eventsRead
        self.watcher = watcher
        self.message = message
        self.listen = listen
    }

    public var json: JSONValue {
        .object([
            ("pid", .int(Int64(pid))),
            ("state", .string(state.rawValue)),
            ("started_at", .string(Formatting.isoTimestamp(startedAt))),
            ("started_at_seconds", .int(startedAt)),
            ("updated_at", .string(Formatting.isoTimestamp(updatedAt))),
            ("updated_at_seconds", .int(updatedAt)),
            ("last_commit_at", watcher.lastCommitAt.map { .string(Formatting.isoTimestamp($0)) } ?? .null),
            ("lag_seconds", .double(lagSeconds)),
            ("queue_length", .int(queueLength)),
            ("watches", .int(watcher.watches)),
            ("degraded", .bool(watcher.degraded)),
            ("unwatched_directories", .int(watcher.unwatchedDirectories)),
            ("unreadable_directories", .int(watcher.unreadableDirectories)),
            ("events_read", .int(eventsRead)),
            ("events_processed", .int(watcher.eventsProcessed)),
            ("overflows", .int(watcher.overflows)),
            ("full_reconciles", .int(watcher.fullReconciles)),
            ("subtree_reconciles", .int(watcher.subtreeReconciles)),
            ("watch_failures", .int(watcher.watchFailures)),
            ("divergences", .int(watcher.divergences)),
            (
                "index_changes",
                .object([
                    ("created", .int(watcher.created)), ("modified", .int(watcher.modified)),
                    ("moved", .int(watcher.moved)), ("deleted", .int(watcher.deleted)),
                ])
            ),
            (
                "reconcile_changes",
                .object([
                    ("added", .int(watcher.reconcileAdded)), ("changed", .int(watcher.reconcileChanged)),
                    ("removed", .int(watcher.reconcileRemoved)),
                ])
            ),
            ("listen", listen.map(JSONValue.string) ?? .null),
            ("message", message.map(JSONValue.string) ?? .null),
            ("problems", .array(problems.map(JSONValue.string))),
            ("step_failures", .object(stepFailures.sorted { $0.key < $1.key }.map { ($0.key, .int(Int64($0.value))) })),
            ("config_reload_successful", .bool(configReloadSuccessful)),
            ("config_loaded_at_seconds", .int(configLoadedAt)),
            ("config_problem", configProblem.map(JSONValue.string) ?? .null),
            ("low_disk", lowDisk.map(JSONValue.string) ?? .null),
        ])
    }

    public func write(to path: String) throws {
        try FileSystemPaths.writeAtomically(path, contents: json.serialized() + "\n")
    }

    /// Reads a health file; nil when there is none or it cannot be parsed.
    public static func read(from path: String) -> HealthFile? {
        guard let bytes = FileSystemPaths.read(path), let object = try? JSONValue.parse(bytes),
            let pid = object["pid"]?.intValue.flatMap(Int32.init(exactly:)),
            let stateName = object["state"]?.stringValue,
            let state = State(rawValue: stateName), let updated = object["updated_at_seconds"]?.intValue
        else { return nil }
        func int(_ key: String, in value: JSONValue? = nil) -> Int { (value ?? object)[key]?.intValue ?? 0 }
        var watcher = WatcherStatus()
        watcher.watches = int("watches")
        watcher.unwatchedDirectories = int("unwatched_directories")
        watcher.unreadableDirectories = int("unreadable_directories")
        watcher.eventsProcessed = int("events_processed")
        watcher.overflows = int("overflows")
        watcher.fullReconciles = int("full_reconciles")
        watcher.subtreeReconciles = int("subtree_reconciles")
        watcher.watchFailures = int("watch_failures")
        watcher.divergences = int("divergences")
        let changes = object["index_changes"] ?? .object([])
        watcher.created = int("created", in: changes)
        watcher.modified = int("modified", in: changes)
        watcher.moved = int("moved", in: changes)
        watcher.deleted = int("deleted", in: changes)
        let repairs = object["reconcile_changes"] ?? .object([])
        watcher.reconcileAdded = int("added", in: repairs)
        watcher.reconcileChanged = int("changed", in: repairs)
        watcher.reconcileRemoved = int("removed", in: repairs)
        var health = HealthFile(
            pid: pid, state: state, startedAt: Int64(int("started_at_seconds")), updatedAt: Int64(updated),
            lagSeconds: object["lag_seconds"]?.doubleValue ?? 0, queueLength: int("queue_length"),
            eventsRead: int("events_read"), watcher: watcher, message: object["message"]?.stringValue,
            listen: object["listen"]?.stringValue)
        health.configReloadSuccessful = object["config_reload_successful"]?.boolValue ?? true
        health.configLoadedAt = Int64(int("config_loaded_at_seconds"))
        health.configProblem = object["config_problem"]?.stringValue
        health.lowDisk = object["low_disk"]?.stringValue
        if case .array(let problems) = object["problems"] ?? .null {
            health.problems = problems.compactMap(\.stringValue)
        }
        if case .object(let failures) = object["step_failures"] ?? .null {
            for (step, count) in failures { health.stepFailures[step] = count.intValue.map { Int($0) } }
        }
        return health
    }

    /// The daemon counts as running while its pid lives and it refreshed its
    /// health file within the last few seconds.
    public func isLive(now: Int64) -> Bool {
        guard state == .running || state == .starting else { return false }
        return processIsAlive && now.subtractingSaturating(updatedAt) <= 10
    }

    /// True when the pid names a live process (signal 0 probes without sending).
    public var processIsAlive: Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }
}
