import StorekeeperConfig
import StorekeeperIndex
import StorekeeperSystem

/// Usage per category from the index alone — the `usage` and `categories`
/// tables, one indexed `min(mtime)` per category, and `statvfs` — with the
/// daemon's status. `storekeeper stats` prints it; the HTTP API serves it.
public struct StorageReport: Sendable {
    public let layout: StorageLayout
    public let categories: [CategoryUsage]
    public let space: FileSystemSpace?
    public let lastScanAt: Int64?
    public let daemon: HealthFile?
    public let trash: (files: Int64, bytes: Int64)
    public let eventLog: EventLogSize
    /// The bounds of the event log, when the report was read with a configuration.
    public var eventLogBounds: MonitoringSettings?

    public var daemonRunning: Bool { daemon?.isLive(now: WallClock.now()) ?? false }

    public var totalFiles: Int64 { categories.saturatingSum(\.files) }
    public var totalBytes: Int64 { categories.saturatingSum(\.bytes) }
    public var totalAllocated: Int64 { categories.saturatingSum(\.allocated) }

    /// What `stats` and `GET /api/v1/storage/stats` show, from the index alone (and the daemon's status).
    public static func read(layout: StorageLayout, store: IndexStore, daemon: HealthFile?) throws -> StorageReport {
        StorageReport(
            layout: layout, categories: try store.usage(), space: try? FileSystemSpace.of(layout.basePath),
            lastScanAt: try store.meta("last_scan_at").flatMap { Int64($0) }, daemon: daemon,
            trash: try store.trashUsage(), eventLog: try store.eventLogSize())
    }

    /// The report with the retention and quota this configuration (file and
    /// environment) sets, not the ones the `categories` table holds from the
    /// last run; a configured category with nothing indexed yet shows as empty.
    /// With `monitoring`, the event log's bounds are shown beside its size.
    public func inForce(_ policies: [CategoryPolicy], monitoring: MonitoringSettings? = nil) -> StorageReport {
        var rows: [CategoryUsage] = policies.map { policy in
            let usage = categories.first { $0.category == policy.key }
            return CategoryUsage(
                category: policy.key, files: usage?.files ?? 0, bytes: usage?.bytes ?? 0, managed: true,
                retentionSeconds: policy.retentionSeconds, quotaBytes: policy.quotaBytes,
                onQuota: policy.onQuota.rawValue,
                oldestMtime: usage?.oldestMtime, allocated: usage?.allocated ?? 0)
        }
        for usage in categories where !policies.contains(where: { $0.key == usage.category }) {
            rows.append(
                CategoryUsage(
                    category: usage.category, files: usage.files, bytes: usage.bytes, managed: false,
                    retentionSeconds: nil,
                    quotaBytes: nil, onQuota: nil, oldestMtime: usage.oldestMtime, allocated: usage.allocated))
        }
        return StorageReport(
            layout: layout, categories: rows, space: space, lastScanAt: lastScanAt,
            daemon: daemon, trash: trash, eventLog: eventLog, eventLogBounds: monitoring ?? eventLogBounds)
    }

    public var json: JSONValue {
        let categories: [(String, JSONValue)] = categories.map { usage in
            (
                usage.category,
                .object([
                    ("files", .int(usage.files)),
                    ("bytes", .int(usage.bytes)),
                    ("allocated_bytes", .int(usage.allocated)),
                    ("quota_bytes", .int(usage.quotaBytes ?? -1)),
                    ("percent_used", usage.percentUsed.map(JSONValue.double) ?? .null),
                    ("retention_seconds", .int(usage.retentionSeconds ?? -1)),
                    ("managed", .bool(usage.managed)),
                    ("on_quota", usage.onQuota.map(JSONValue.string) ?? .null),
                    ("oldest_mtime", .optional(usage.oldestMtime)),
                ])
            )
        }
        return .object(
            [
                ("base_path", .string(layout.basePath)),
                ("index_path", .string(layout.indexPath)),
                ("categories", .object(categories)),
                ("total_files", .int(totalFiles)),
                ("total_bytes", .int(totalBytes)),
                ("total_allocated_bytes", .int(totalAllocated)),
                ("trash", .object([("files", .int(trash.files)), ("bytes", .int(trash.bytes))])),
                ("event_log", eventLogJSON),
                ("free_bytes", .optional(space?.freeBytes)),
                ("filesystem_bytes", .optional(space?.totalBytes)),
                ("last_scan_at", lastScanAt.map { .string(Formatting.isoTimestamp($0)) } ?? .null),
                ("daemon", daemonJSON),
            ] + pythonDesignJSON)
    }

    /// The earlier Python design's keys, for the clients written against it.
    /// Its `used_bytes` is what a quota counts: allocated bytes.
    private var pythonDesignJSON: [(String, JSONValue)] {
        let quotas: [(String, JSONValue)] = categories.compactMap { usage in
            guard let quota = usage.quotaBytes else { return nil }
            return (
                usage.category,
                .object([
                    ("used_bytes", .int(usage.allocated)),
                    ("quota_bytes", .int(quota)),
                    ("percent_used", .double(usage.percentUsed ?? 0)),
                    ("exceeded", .bool(usage.allocated > quota)),
                ])
            )
        }
        return [
            ("total_size_bytes", .int(totalBytes)),
            ("total_size_human", .string(Formatting.bytes(totalBytes))),
            ("file_counts", .object(categories.map { ($0.category, .int($0.files)) })),
            ("size_by_category", .object(categories.map { ($0.category, .int($0.bytes)) })),
            ("quota_status", .object(quotas)),
            (
                "oldest_files",
                .object(
                    categories.map { usage in
                        (usage.category, usage.oldestMtime.map { .string(Formatting.isoTimestamp($0)) } ?? .null)
                    })
            ),
        ]
    }

    /// Rows, estimated bytes on disk and the oldest row's time; the bounds
    /// are -1 when unset and null when the report was read without a configuration.
    public var eventLogJSON: JSONValue {
        .object([
            ("rows", .int(eventLog.rows)),
            ("bytes", .int(eventLog.bytes)),
            ("oldest", eventLog.oldest.map { .string(Formatting.isoTimestamp($0)) } ?? .null),
            ("max_bytes", eventLogBounds.map { .int($0.eventLogMaxBytes ?? -1) } ?? .null),
            ("retention_seconds", eventLogBounds.map { .int($0.eventRetentionSeconds ?? -1) } ?? .null),
        ])
    }

    public var daemonJSON: JSONValue {
        guard let daemon = daemon else { return .null }
        return .object([
            ("running", .bool(daemonRunning)),
            ("pid", .int(Int64(daemon.pid))),
            ("state", .string(daemon.state.rawValue)),
            ("updated_at", .string(Formatting.isoTimestamp(daemon.updatedAt))),
            ("lag_seconds", .double(daemon.lagSeconds)),
            ("watches", .int(daemon.watcher.watches)),
            ("degraded", .bool(daemon.watcher.degraded)),
            ("unwatched_directories", .int(daemon.watcher.unwatchedDirectories)),
            ("unreadable_directories", .int(daemon.watcher.unreadableDirectories)),
            ("overflows", .int(daemon.watcher.overflows)),
            ("message", daemon.message.map(JSONValue.string) ?? .null),
        ])
    }
}
