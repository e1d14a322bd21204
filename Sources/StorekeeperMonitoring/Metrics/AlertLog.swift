import StorekeeperConfig
import StorekeeperSystem

/// The alerts as log lines: one when a condition starts, one when it
/// ends, never one every check. The watch limit (degraded watcher) is
/// logged by the indexer itself when it is hit and when it clears.
package struct AlertLog {
    private var lowDisk = false
    private var overQuota: Set<String> = []
    private var reportedRun: Int64?

    package init() {}

    package mutating func update(_ conditions: AlertConditions, logger: Logger) {
        let threshold = Formatting.fixed(conditions.thresholdPercent, digits: 1)
        if conditions.lowDisk != lowDisk {
            lowDisk = conditions.lowDisk
            let fields = [
                "free_percent": conditions.freePercent.map { Formatting.fixed($0, digits: 1) } ?? "unknown",
                "threshold_percent": threshold,
            ]
            if lowDisk {
                logger.error("alert: free disk space is below the alert threshold", fields)
            } else {
                logger.info("alert cleared: free disk space is above the alert threshold", fields)
            }
        }

        let over = conditions.overQuota.filter { $0.onQuota == CategoryPolicy.OnQuota.alert.rawValue }
        for category in over where !overQuota.contains(category.category) {
            logger.warning(
                "alert: category over its quota; on_quota is alert, nothing is removed",
                [
                    "category": category.category, "bytes": String(category.bytes),
                    "quota_bytes": String(category.quotaBytes),
                ])
        }
        let current = Set(over.map(\.category))
        for category in overQuota.subtracting(current).sorted() {
            logger.info("alert cleared: category back under its quota", ["category": category])
        }
        overQuota = current

        if let run = conditions.failedRun, run.id != reportedRun {
            reportedRun = run.id
            logger.error(
                "alert: a cleanup run failed or could not remove some files",
                ["run": String(run.id), "trigger": run.trigger, "status": run.status, "errors": String(run.errors)])
        }
    }
}
