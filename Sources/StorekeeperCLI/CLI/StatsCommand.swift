import StorekeeperConfig
import StorekeeperIndex
import StorekeeperMonitoring
import StorekeeperService
import StorekeeperSystem

/// `storekeeper stats`: usage per category from the index alone — the `usage`
/// and `categories` tables, one indexed `min(mtime)` per category, and
/// `statvfs`. No walk, no `count(*)` over `files`.
package enum StatsCommand {
    static let spec = CommandSpec(
        name: "stats",
        abstract: "Show files, bytes, quota use, retention and oldest file per category, from the index.",
        options: Options.self,
        run: run)

    struct Options: CommandOptions {
        var json = false
        var prometheus = false

        static let options: [Option<Self>] = [
            .json(\.json),
            .flag("--prometheus", \.prometheus, help: "Print Prometheus text exposition format."),
        ]
        static let exclusive: [[PartialKeyPath<Self> & Sendable]] = [[\.json, \.prometheus]]
    }

    static func run(_ options: Options, _ invocation: Invocation) throws -> ExitCode {
        let configuration = try invocation.loadConfiguration()
        let layout = StorageLayout(configuration)
        let store = try IndexStore(path: layout.indexPath, readOnly: true)
        let report = try StorageReport.read(
            layout: layout, store: store, daemon: HealthFile.read(from: HealthFile.path(in: layout))
        ).inForce(configuration.categories, monitoring: configuration.monitoring)

        if options.json {
            Console.out(report.json.serialized())
        } else if options.prometheus {
            var snapshot = try MetricsSnapshot.read(
                store: store, configuration: configuration, daemon: report.daemonRunning ? report.daemon : nil)
            snapshot.categories = report.categories
            Console.out(MetricsRenderer.render(snapshot), terminator: "")
        } else {
            Console.out(table(report))
        }
        return .success
    }

    static func daemonLine(_ report: StorageReport) -> String {
        guard let daemon = report.daemon else {
            return "daemon: never started (the index is as fresh as the last scan)"
        }
        guard report.daemonRunning else {
            let why = daemon.message.map { ": \($0)" } ?? ""
            return
                "daemon: not running, last seen \(Formatting.isoTimestamp(daemon.updatedAt)) (\(daemon.state.rawValue)\(why))"
        }
        var line =
            "daemon: running (pid \(daemon.pid)), \(daemon.watcher.watches) watches, index lag "
            + "\(Formatting.fixed(daemon.lagSeconds, digits: 2)) s, \(daemon.watcher.overflows) overflows"
        if daemon.watcher.degraded {
            line +=
                "\ndaemon: DEGRADED: \(daemon.watcher.unwatchedDirectories) directories cannot be watched "
                + "(inotify watch limit); they are reconciled periodically instead"
        }
        if daemon.watcher.unreadableDirectories > 0 {
            line +=
                "\ndaemon: \(daemon.watcher.unreadableDirectories) directories cannot be read (permissions); "
                + "their rows are kept as they were (the daemon's log names them)"
        }
        return line
    }

    /// `event log: 1200 rows, 117.2 KiB of 256.0 MiB, oldest 2026-…, kept 30d`.
    static func eventLogLine(_ report: StorageReport) -> String {
        let log = report.eventLog
        var line = "event log: \(Formatting.count(Int(clamping: log.rows), "row")), \(Formatting.bytes(log.bytes))"
        if let bounds = report.eventLogBounds {
            line += bounds.eventLogMaxBytes.map { " of " + Formatting.bytes($0) } ?? " (no size bound)"
        }
        line += ", oldest " + (log.oldest.map { Formatting.isoTimestamp($0) } ?? "none")
        if let bounds = report.eventLogBounds {
            line += ", kept " + (bounds.eventRetentionSeconds.map(Formatting.duration) ?? "forever")
        }
        return line
    }

    static func table(_ report: StorageReport) -> String {
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
        lines.append(eventLogLine(report))
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
