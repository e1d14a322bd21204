import Foundation
import Glibc

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

    public static func path(in layout: StorageLayout) -> String { layout.stateDirectory + "/health.json" }

    public init(
        pid: Int32, state: State, startedAt: Int64, updatedAt: Int64, lagSeconds: Double = 0, queueLength: Int = 0,
        eventsRead: Int = 0, watcher: WatcherStatus = WatcherStatus(), message: String? = nil
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
    }

    public var json: JSONValue {
        .object([
            ("pid", .int(Int64(pid))),
            ("state", .string(state.rawValue)),
            ("started_at", .string(Formatting.isoTimestamp(startedAt))),
            ("updated_at", .string(Formatting.isoTimestamp(updatedAt))),
            ("updated_at_seconds", .int(updatedAt)),
            ("last_commit_at", watcher.lastCommitAt.map { .string(Formatting.isoTimestamp($0)) } ?? .null),
            ("lag_seconds", .double(lagSeconds)),
            ("queue_length", .int(queueLength)),
            ("watches", .int(watcher.watches)),
            ("degraded", .bool(watcher.degraded)),
            ("unwatched_directories", .int(watcher.unwatchedDirectories)),
            ("events_read", .int(eventsRead)),
            ("events_processed", .int(watcher.eventsProcessed)),
            ("overflows", .int(watcher.overflows)),
            ("full_reconciles", .int(watcher.fullReconciles)),
            ("subtree_reconciles", .int(watcher.subtreeReconciles)),
            ("watch_failures", .int(watcher.watchFailures)),
            ("message", message.map(JSONValue.string) ?? .null),
        ])
    }

    public func write(to path: String) throws {
        try FileSystemPaths.writeAtomically(path, contents: json.serialized() + "\n")
    }

    /// Reads a health file; nil when there is none or it cannot be parsed.
    public static func read(from path: String) -> HealthFile? {
        guard let bytes = FileSystemPaths.read(path),
            let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
            let pid = object["pid"] as? Int, let stateName = object["state"] as? String,
            let state = State(rawValue: stateName), let updated = object["updated_at_seconds"] as? Int
        else { return nil }
        var watcher = WatcherStatus()
        watcher.watches = object["watches"] as? Int ?? 0
        watcher.unwatchedDirectories = object["unwatched_directories"] as? Int ?? 0
        watcher.eventsProcessed = object["events_processed"] as? Int ?? 0
        watcher.overflows = object["overflows"] as? Int ?? 0
        watcher.fullReconciles = object["full_reconciles"] as? Int ?? 0
        watcher.subtreeReconciles = object["subtree_reconciles"] as? Int ?? 0
        watcher.watchFailures = object["watch_failures"] as? Int ?? 0
        return HealthFile(
            pid: Int32(pid), state: state, startedAt: 0, updatedAt: Int64(updated),
            lagSeconds: object["lag_seconds"] as? Double ?? 0, queueLength: object["queue_length"] as? Int ?? 0,
            eventsRead: object["events_read"] as? Int ?? 0, watcher: watcher, message: object["message"] as? String)
    }

    /// True when the pid names a live process (signal 0 probes without sending).
    public var processIsAlive: Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }
}
