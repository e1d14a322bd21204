import StorekeeperConfig
import StorekeeperIndex
import StorekeeperSystem

/// Everything the metrics show, read at one moment: the index's small tables
/// (`usage` with `categories`, `trash_usage`, `cleanup_totals`,
/// `cleanup_skips`, the last `cleanup_runs`, `event_log`), `statvfs` of the
/// base, and the daemon's status. O(categories) rows: never a walk, never a
/// count over `files` or `events`.
public struct MetricsSnapshot: Sendable {
    public var configuration: Configuration
    public var categories: [CategoryUsage]
    public var space: FileSystemSpace?
    public var trash: (files: Int64, bytes: Int64)
    public var cleanupTotals: [IndexStore.CleanupTotal]
    public var cleanupSkips: [IndexStore.CleanupSkips]
    public var lastRun: IndexStore.CleanupRunSummary?
    public var lastSuccess: IndexStore.CleanupRunSummary?
    public var eventLog: EventLogSize
    /// The daemon's status while one runs (nil: no daemon keeps the index).
    public var daemon: HealthFile?

    public static func read(store: IndexStore, configuration: Configuration, daemon: HealthFile?) throws
        -> MetricsSnapshot
    {
        let runs = try store.lastCleanupRuns()
        return MetricsSnapshot(
            configuration: configuration, categories: try store.usage(),
            space: try? FileSystemSpace.of(configuration.basePath), trash: try store.trashUsage(),
            cleanupTotals: try store.cleanupTotals(), cleanupSkips: try store.cleanupSkips(), lastRun: runs.last,
            lastSuccess: runs.lastSuccess, eventLog: try store.eventLogSize(), daemon: daemon)
    }

    /// The conditions the alert rules fire on.
    public var alerts: AlertConditions { AlertConditions(self) }
}
