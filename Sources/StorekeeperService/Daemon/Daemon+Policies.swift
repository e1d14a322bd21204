import StorekeeperConfig
import StorekeeperEngine
import StorekeeperIndex
import StorekeeperSystem

/// Quotas and free space, enforced by the daemon between events.
extension Daemon {
    /// What is wrong now: the disk low on space, categories that evict over their quota.
    struct PolicyViolations {
        let lowDisk: FileSystemSpace?
        let overQuota: [String]

        var any: Bool { lowDisk != nil || !overQuota.isEmpty }
    }

    func policyViolations(store: IndexStore) throws -> PolicyViolations {
        let space = try? FileSystemSpace.of(layout.basePath)
        let lowDisk = space.flatMap { configuration.monitoring.isLow($0) ? $0 : nil }
        var overQuota: [String] = []
        for policy in configuration.categories
        where policy.onQuota == .evict && policy.key != CategoryPolicy.protectedKey {
            guard let quota = policy.quotaBytes else { continue }
            if try store.usage(of: policy.key).allocated > quota { overQuota.append(policy.key) }
        }
        return PolicyViolations(lowDisk: lowDisk, overQuota: overQuota)
    }

    /// Over quota (an `evict` category) or low on disk: clean now, under the
    /// shared cleanup lock (skipped while a CLI or cron run holds it), draining
    /// the event queue between slices so the index keeps up.
    /// Returns whether a policy is still violated after trying.
    func enforcePolicies(store: IndexStore, indexer: Indexer) throws -> Bool {
        let violations = try policyViolations(store: store)
        let lowDisk = violations.lowDisk != nil
        health.lowDisk = violations.lowDisk.map(lowDiskAlert)
        guard violations.any else { return false }
        guard CleanupGate(configuration).enabled else {
            logger.warning(
                "cleanup is disabled (cleanup.enabled: false); not evicting",
                ["low_disk": String(lowDisk), "over_quota": violations.overQuota.joined(separator: ",")])
            return true
        }
        let lock: FileLock
        do {
            lock = try layout.lockForCleanup(wait: 0)
        } catch is FileLock.Busy {
            return false  // that run is doing this work
        }
        defer { lock.release() }
        var request = Cleaner.Request(
            trigger: lowDisk ? .lowDisk : .quota, dryRun: configuration.cleanup.dryRun,
            categories: lowDisk ? nil : Set(violations.overQuota))
        request.expire = lowDisk
        request.purgeTrash = lowDisk
        let cleaner = Cleaner(
            configuration: configuration, store: store, logger: logger, betweenSlices: { try indexer.catchUp() })
        _ = try cleaner.run(request)
        return try policyViolations(store: store).any
    }

    /// The `/health` line while the disk is low.
    private func lowDiskAlert(_ space: FileSystemSpace) -> String {
        "free disk space is low: \(Formatting.bytes(space.freeBytes)) "
            + "(\(Formatting.fixed(space.freePercent, digits: 1)) %) free, alert below "
            + "\(Formatting.fixed(configuration.monitoring.alertThresholdPercent, digits: 1)) %"
            + (configuration.monitoring.minFreeBytes.map { " or \(Formatting.bytes($0))" } ?? "")
    }
}
