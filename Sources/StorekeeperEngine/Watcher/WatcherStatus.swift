/// What the watcher has done and where it stands: written to the health file,
/// shown by `stats`, and exported as metrics.
public struct WatcherStatus: Equatable, Sendable {
    /// inotify events taken from the queue.
    public var eventsProcessed = 0
    public var overflows = 0
    public var fullReconciles = 0
    public var subtreeReconciles = 0
    public var watchFailures = 0
    public var watches = 0
    /// Directories that could not be watched (watch limit): reconciled
    /// periodically instead, and the index is flagged as degraded meanwhile.
    public var unwatchedDirectories = 0
    /// Directories the last reconcile over them could not read (permissions):
    /// their rows are kept as they were, so the index may be stale there.
    /// A problem to report, not a degraded watcher.
    public var unreadableDirectories = 0
    public var lastCommitAt: Int64?
    /// Differences the scheduled verify found between the index and the disk.
    public var divergences = 0

    /// Index changes the indexer applied from events, by kind: one per
    /// `create`, `modify`, `move` or `delete` it logged (a folder moved or
    /// removed whole counts once).
    public var created = 0
    public var modified = 0
    public var moved = 0
    public var deleted = 0

    /// Rows reconciles wrote: what the startup reconcile caught up on, what
    /// new folders held, and what repairs after lost events fixed.
    public var reconcileAdded = 0
    public var reconcileChanged = 0
    public var reconcileRemoved = 0

    public var degraded: Bool { unwatchedDirectories > 0 }

    public init() {}

    /// Adds what one reconcile wrote.
    mutating func count(_ totals: IndexComparison.Totals) {
        reconcileAdded += totals.added
        reconcileChanged += totals.changed
        reconcileRemoved += totals.removed
    }
}
