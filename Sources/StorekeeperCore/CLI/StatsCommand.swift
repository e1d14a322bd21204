/// `storekeeper stats`: usage per category from the index alone — the `usage`
/// and `categories` tables, one indexed `min(mtime)` per category, and
/// `statvfs`. No walk, no `count(*)` over `files`.
enum StatsCommand {
    static let spec = CommandSpec(
        name: "stats",
        abstract: "Show files, bytes, quota use, retention and oldest file per category, from the index.",
        options: [
            CommandSpec.jsonOption,
            .init(name: "--prometheus", valueName: nil, help: "Print Prometheus text exposition format."),
        ],
        run: run)

    struct Report {
        let layout: StorageLayout
        let categories: [CategoryUsage]
        let space: FileSystemSpace?
        let lastScanAt: Int64?
        let daemon: HealthFile?
        let trash: (files: Int64, bytes: Int64)

        var daemonRunning: Bool { daemon?.isLive(now: WallClock.now()) ?? false }

        var totalFiles: Int64 { categories.saturatingSum(\.files) }
        var totalBytes: Int64 { categories.saturatingSum(\.bytes) }
        var totalAllocated: Int64 { categories.saturatingSum(\.allocated) }
    }

    static func run(_ invocation: Invocation) throws -> ExitCode {
        if invocation.has("--json") && invocation.has("--prometheus") {
            throw UsageError(message: "'--json' and '--prometheus' cannot be combined", command: "stats")
        }
        let configuration = try invocation.loadConfiguration()
        let layout = StorageLayout(configuration)
        let store = try IndexStore(path: layout.indexPath, readOnly: true)
        let report = inForce(
            try report(layout: layout, store: store, daemon: HealthFile.read(from: HealthFile.path(in: layout))),
            configuration.categories)

        if invocation.has("--json") {
            Console.out(json(report).serialized())
        } else if invocation.has("--prometheus") {
            var snapshot = try MetricsSnapshot.read(
                store: store, configuration: configuration, daemon: report.daemonRunning ? report.daemon : nil)
            snapshot.categories = report.categories
            Console.out(MetricsRenderer.render(snapshot), terminator: "")
        } else {
            Console.out(table(report))
        }
        return .success
    }

    /// What `stats` shows, from the index alone (and the daemon's status).
    static func report(layout: StorageLayout, store: IndexStore, daemon: HealthFile?) throws -> Report {
        Report(
            layout: layout, categories: try store.usage(), space: try? FileSystemSpace.of(layout.basePath),
            lastScanAt: try store.meta("last_scan_at").flatMap { Int64($0) }, daemon: daemon, trash: try store.trashUsage())
    }

    /// The report with the retention and quota this configuration (file and
    /// environment) sets, not the ones the `categories` table holds from the
    /// last run; a configured category with nothing indexed yet shows as empty.
    static func inForce(_ report: Report, _ policies: [CategoryPolicy]) -> Report {
        var rows: [CategoryUsage] = policies.map { policy in
            let usage = report.categories.first { $0.category == policy.key }
            return CategoryUsage(
                category: policy.key, files: usage?.files ?? 0, bytes: usage?.bytes ?? 0, managed: true,
                retentionSeconds: policy.retentionSeconds, quotaBytes: policy.quotaBytes, onQuota: policy.onQuota.rawValue,
                oldestMtime: usage?.oldestMtime, allocated: usage?.allocated ?? 0)
        }
        for usage in report.categories where !policies.contains(where: { $0.key == usage.category }) {
            rows.append(CategoryUsage(
                category: usage.category, files: usage.files, bytes: usage.bytes, managed: false, retentionSeconds: nil,
                quotaBytes: nil, onQuota: nil, oldestMtime: usage.oldestMtime, allocated: usage.allocated))
        }
        return Report(
            layout: report.layout, categories: rows, space: report.space, lastScanAt: report.lastScanAt,
            daemon: report.daemon, trash: report.trash)
    }

    static func json(_ report: Report) -> JSONValue {
        let categories: [(String, JSONValue)] = report.categories.map { usage in
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
        return .object([
            ("base_path", .string(report.layout.basePath)),
            ("index_path", .string(report.layout.indexPath)),
            ("categories", .object(categories)),
            ("total_files", .int(report.totalFiles)),
            ("total_bytes", .int(report.totalBytes)),
            ("total_allocated_bytes", .int(report.totalAllocated)),
            ("trash", .object([("files", .int(report.trash.files)), ("bytes", .int(report.trash.bytes))])),
            ("free_bytes", .optional(report.space?.freeBytes)),
            ("filesystem_bytes", .optional(report.space?.totalBytes)),
            ("last_scan_at", report.lastScanAt.map { .string(Formatting.isoTimestamp($0)) } ?? .null),
            ("daemon", daemonJSON(report)),
        ] + pythonDesignJSON(report))
    }

    /// The earlier Python design's keys, for the clients written against it.
    /// Its `used_bytes` is what a quota counts: allocated bytes.
    static func pythonDesignJSON(_ report: Report) -> [(String, JSONValue)] {
        let quotas: [(String, JSONValue)] = report.categories.compactMap { usage in
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
            ("total_size_bytes", .int(report.totalBytes)),
            ("total_size_human", .string(Formatting.bytes(report.totalBytes))),
            ("file_counts", .object(report.categories.map { ($0.category, .int($0.files)) })),
            ("size_by_category", .object(report.categories.map { ($0.category, .int($0.bytes)) })),
            ("quota_status", .object(quotas)),
            ("oldest_files", .object(report.categories.map { usage in
                (usage.category, usage.oldestMtime.map { .string(Formatting.isoTimestamp($0)) } ?? .null)
            })),
        ]
    }

    static func daemonJSON(_ report: Report) -> JSONValue {
        guard let daemon = report.daemon else { return .null }
        return .object([
            ("running", .bool(report.daemonRunning)),
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

    static func daemonLine(_ report: Report) -> String {
        guard let daemon = report.daemon else { return "daemon: never started (the index is as fresh as the last scan)" }
        guard report.daemonRunning else {
            let why = daemon.message.map { ": \($0)" } ?? ""
            return "daemon: not running, last seen \(Formatting.isoTimestamp(daemon.updatedAt)) (\(daemon.state.rawValue)\(why))"
        }
        var line = "daemon: running (pid \(daemon.pid)), \(daemon.watcher.watches) watches, index lag "
            + "\(Formatting.fixed(daemon.lagSeconds, digits: 2)) s, \(daemon.watcher.overflows) overflows"
        if daemon.watcher.degraded {
            line += "\ndaemon: DEGRADED: \(daemon.watcher.unwatchedDirectories) directories cannot be watched "
                + "(inotify watch limit); they are reconciled periodically instead"
        }
        if daemon.watcher.unreadableDirectories > 0 {
            line += "\ndaemon: \(daemon.watcher.unreadableDirectories) directories cannot be read (permissions); "
                + "their rows are kept as they were (the daemon's log names them)"
        }
        return line
    }

    static func table(_ report: Report) -> String {
        // SIZE is apparent (ls -l), ON DISK allocated (du): quotas count the latter.
        let widths = [16, 10, 11, 11, 10, 7, 10, 17]
        let header = ["CATEGORY", "FILES", "SIZE", "ON DISK", "QUOTA", "USED", "RETENTION", "OLDEST"]
        func row(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                Formatting.pad(cell, widths[index], right: index > 0 && index < 6)
            }.joined(separator: " ").trimmingWhitespaceAtEnd()
        }
        var lines = [row(header)]
        for usage in report.categories {
            lines.append(
                row([
                    usage.managed ? usage.category : usage.category + " *",
                    String(usage.files),
                    Formatting.bytes(usage.bytes),
                    Formatting.bytes(usage.allocated),
                    usage.quotaBytes.map(Formatting.bytes) ?? "-",
                    usage.percentUsed.map { Formatting.fixed($0, digits: 1) + "%" } ?? "-",
                    usage.managed ? (usage.retentionSeconds.map(Formatting.duration) ?? "keep") : "-",
                    usage.oldestMtime.map(Formatting.shortTimestamp) ?? "-",
                ]))
        }
        lines.append(
            row([
                "total", String(report.totalFiles), Formatting.bytes(report.totalBytes),
                Formatting.bytes(report.totalAllocated),
            ]))
        lines.append(row(["trash", String(report.trash.files), Formatting.bytes(report.trash.bytes)]))
        if report.categories.contains(where: { !$0.managed }) {
            lines.append("* not a configured category: indexed, never cleaned")
        }
        if let space = report.space {
            lines.append(
                "free disk: \(Formatting.bytes(space.freeBytes)) of \(Formatting.bytes(space.totalBytes)) "
                    + "(\(Formatting.fixed(space.freePercent, digits: 1))%)")
        }
        lines.append(daemonLine(report))
        lines.append(
            "base: \(report.layout.basePath); last scan: "
                + (report.lastScanAt.map { Formatting.isoTimestamp($0) } ?? "never"))
        return lines.joined(separator: "\n")
    }
}

extension String {
    fileprivate func trimmingWhitespaceAtEnd() -> String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}
