/// What the watcher has done and where it stands: written to the health file,
/// shown by `stats`, and (later) exported as metrics.
public struct WatcherStatus: Equatable, Sendable {
    public var eventsProcessed = 0
    public var overflows = 0
    public var fullReconciles = 0
    public var subtreeReconciles = 0
    public var watchFailures = 0
    public var watches = 0
    /// Directories that could not be watched (watch limit): reconciled
    /// periodically instead, and the index is flagged as degraded meanwhile.
    public var unwatchedDirectories = 0
    public var lastCommitAt: Int64?
    /// Differences the scheduled verify found between the index and the disk.
    public var divergences = 0

    public var degraded: Bool { unwatchedDirectories > 0 }

    public init() {}
}
