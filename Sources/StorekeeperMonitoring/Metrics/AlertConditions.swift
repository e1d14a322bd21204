import StorekeeperIndex

/// The alerts (low disk, over quota, failed cleanup, degraded watcher),
/// decided from one metrics snapshot: the daemon logs a
/// line when one starts or ends (`AlertLog`), and the metrics export each as
/// a gauge that `config/prometheus/storekeeper-rules.yml` fires on.
public struct AlertConditions: Equatable, Sendable {
    /// A category over its quota, with what its policy does about it.
    public struct OverQuota: Equatable, Sendable {
        public var category: String
        public var bytes: Int64
        public var quotaBytes: Int64
        public var onQuota: String
    }

    /// Free space on the base's filesystem under `alert_threshold_percent`.
    public var lowDisk: Bool
    public var freePercent: Double?
    public var thresholdPercent: Double
    public var overQuota: [OverQuota]
    /// The last cleanup run that could change something stopped on an error
    /// or could not remove some files.
    public var failedRun: IndexStore.CleanupRunSummary?
    /// Some folders cannot be watched (the inotify watch limit).
    public var watcherDegraded: Bool

    public init(_ snapshot: MetricsSnapshot) {
        let threshold = snapshot.configuration.monitoring.alertThresholdPercent
        let free = snapshot.space?.freePercent
        thresholdPercent = threshold
        freePercent = free
        lowDisk = snapshot.space.map(snapshot.configuration.monitoring.isLow) ?? false
        overQuota = snapshot.categories.compactMap { usage in
            guard let quota = usage.quotaBytes, usage.allocated > quota else { return nil }
            return OverQuota(
                category: usage.category, bytes: usage.allocated, quotaBytes: quota, onQuota: usage.onQuota ?? "alert")
        }
        failedRun = snapshot.lastRun.flatMap { $0.failed ? $0 : nil }
        watcherDegraded = snapshot.daemon?.watcher.degraded ?? false
    }
}
