import StorekeeperConfig
import StorekeeperIndex
import StorekeeperSystem

/// The three policies that choose files: retention, quota and low disk. Each
/// says which rows go and when it has freed enough; `removeOldest` does the rest.
extension Cleaner {
    // MARK: Retention

    func expire(_ policy: CategoryPolicy, _ run: inout Run) throws {
        guard let retention = policy.retentionSeconds else { return }
        if retention == 0 {
            run.report.warnings.append("\(policy.key): retention is 0, every file in it expires at once")
        }
        // Fixed at the start, so files that expire during a long run wait for the next.
        let cutoff = run.startedAt - retention
        let ageBy = policy.ageBy
        try removeOldest(policy, cause: .expired, before: cutoff, &run) { row, status in
            let reference = ageBy == .pathDate ? (row.pathDate ?? status.mtime) : status.mtime
            return max(reference, row.restoredAt ?? reference) < cutoff
        } enough: { _ in
            false
        }
    }

    // MARK: Quota

    func enforceQuota(_ policy: CategoryPolicy, _ run: inout Run) throws {
        guard let quota = policy.quotaBytes else { return }
        let bytes = try store.usage(of: policy.key).allocated.subtractingSaturating(run.simulatedFreed[policy.key] ?? 0)
        guard bytes > quota else { return }
        run.report.update(policy.key) { $0.overQuota = true }
        let fields = ["category": policy.key, "bytes": String(bytes), "quota_bytes": String(quota)]
        guard policy.onQuota == .evict, policy.key != CategoryPolicy.protectedKey else {
            logger.warning("category over quota; on_quota is alert, nothing removed", fields)
            run.report.warnings.append("\(policy.key) is over its quota (\(bytes) of \(quota) bytes); on_quota: alert")
            return
        }
        logger.warning("category over quota; evicting its oldest files", fields)
        let target = Int64(saturating: Double(quota) * Self.quotaTarget)
        var remaining = bytes
        try removeOldest(policy, cause: .quota, before: nil, &run) { _, _ in
            true
        } enough: { freed in
            remaining = remaining.subtractingSaturating(freed)
            return remaining <= target
        }
    }

    // MARK: Low disk

    /// Bytes to free to get back above `alert_threshold_percent` and
    /// `min_free_bytes`, or nil when there is room.
    func lowDiskShortfall() throws -> Int64? {
        let shortfall = configuration.monitoring.lowDiskShortfall(try FileSystemSpace.of(layout.basePath))
        return shortfall > 0 ? shortfall : nil
    }

    /// The order unexpired files are evicted in for space, when the operator
    /// opted in; outputs never.
    public static let lowDiskEvictionOrder = ["temp", "uploads", "frames", "contact_sheets"]

    /// Still low after the trash and expiry: an alert, and unexpired files go
    /// only when `low_disk.evict_unexpired` is on and free space is below its
    /// own, lower `evict_below_percent`.
    func relieveLowDisk(_ run: inout Run) throws {
        guard var shortfall = try lowDiskShortfall() else { return }
        if run.request.dryRun {
            shortfall = shortfall.subtractingSaturating(run.simulatedFreed.values.saturatingSum { $0 })
        }
        // A dry run whose expiry alone would have made room has nothing to say.
        guard shortfall > 0 else { return }
        let cleanup = configuration.cleanup
        let space = try FileSystemSpace.of(layout.basePath)
        guard cleanup.evictUnexpiredOnLowDisk, let floor = cleanup.evictUnexpiredBelowPercent, space.freePercent < floor
        else {
            logger.log(
                run.request.dryRun ? .warning : .error,
                "disk space still below the alert threshold after the trash and expiry; no unexpired file is removed",
                [
                    "shortfall_bytes": String(shortfall),
                    "threshold_percent": String(configuration.monitoring.alertThresholdPercent),
                    "evict_unexpired": String(cleanup.evictUnexpiredOnLowDisk),
                ])
            run.report.warnings.append(
                "disk space still below the alert threshold: \(shortfall) bytes short; unexpired files are kept "
                    + "(cleanup.low_disk.evict_unexpired is \(cleanup.evictUnexpiredOnLowDisk ? "on, below \(floorText)" : "off"))"
            )
            return
        }
        logger.log(
            run.request.dryRun ? .warning : .error,
            "disk space below low_disk.evict_below_percent; evicting unexpired files",
            ["shortfall_bytes": String(shortfall), "evict_below_percent": String(floor)])
        let policies = Self.lowDiskEvictionOrder.compactMap { key in
            selected(run.request).first { $0.key == key && $0.key != CategoryPolicy.protectedKey }
        }
        for policy in policies where shortfall > 0 {
            try removeOldest(policy, cause: .lowDisk, before: nil, &run) { _, _ in
                true
            } enough: { freed in
                shortfall = shortfall.subtractingSaturating(freed)
                return shortfall <= 0
            }
        }
        if shortfall > 0 {
            logger.error(
                "disk space still below the alert threshold after eviction", ["shortfall_bytes": String(shortfall)])
            run.report.warnings.append("disk space still below the alert threshold: \(shortfall) bytes short")
        }
    }

    private var floorText: String {
        configuration.cleanup.evictUnexpiredBelowPercent.map { Formatting.fixed($0, digits: 1) + " %" } ?? "-"
    }
}
