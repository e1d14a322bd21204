import StorekeeperConfig
import StorekeeperEngine
import StorekeeperIndex
import StorekeeperSystem

/// The page at `GET /`: the storage tree's state for a person in a browser.
/// One self-contained HTML document (no external assets, no script; a meta
/// refresh keeps it current), built from the same report `stats` prints, so
/// its numbers are the CLI's numbers. Every string from the tree or the
/// configuration is escaped; each number also sits in a `data-value`
/// attribute, raw, for scripts and tests.
public struct StatusPage: Sendable {
    public struct Category: Sendable {
        public let usage: CategoryUsage
        /// Files (and their bytes) whose retention ends in the next 24 hours.
        public let expiringFiles: Int64
        public let expiringBytes: Int64
        public let oldestPath: [UInt8]?

        public init(usage: CategoryUsage, expiringFiles: Int64, expiringBytes: Int64, oldestPath: [UInt8]?) {
            self.usage = usage
            self.expiringFiles = expiringFiles
            self.expiringBytes = expiringBytes
            self.oldestPath = oldestPath
        }
    }

    public let report: StorageReport
    public let categories: [Category]
    public let runs: [IndexStore.CleanupRunRecord]
    public let history: UsageHistory
    public let monitoring: MonitoringSettings
    public let now: Int64
    public static let refreshSeconds = 30

    public init(
        report: StorageReport, categories: [Category], runs: [IndexStore.CleanupRunRecord], history: UsageHistory,
        monitoring: MonitoringSettings, now: Int64
    ) {
        self.report = report
        self.categories = categories
        self.runs = runs
        self.history = history
        self.monitoring = monitoring
        self.now = now
    }

    public func render() -> String {
        let title = "Storekeeper: " + report.layout.basePath
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta http-equiv="refresh" content="\(Self.refreshSeconds)">
            <title>\(HTMLText.escape(title))</title>
            <style>\(Self.style)</style>
            </head>
            <body>
            <header><h1>\(HTMLText.escape(title))</h1>
            <p class="muted">As of \(Formatting.isoTimestamp(now)); this page refreshes every \(Self.refreshSeconds) s.</p></header>
            \(problemsSection)
            \(categoriesSection)
            \(watcherSection)
            <section><h2>Bytes per category, last 7 days</h2>
            \(UsageChart(history: history, now: now).svg)
            </section>
            \(runsSection)
            </body>
            </html>

            """
    }

    static func cell(_ text: String, value: Int64? = nil, className: String? = nil) -> String {
        let classAttribute = className.map { " class=\"\($0)\"" } ?? ""
        let valueAttribute = value.map { " data-value=\"\($0)\"" } ?? ""
        return "<td\(classAttribute)\(valueAttribute)>\(HTMLText.escape(text))</td>"
    }

    var problemsSection: String {
        var problems: [String] = []
        if let daemon = report.daemon {
            if !report.daemonRunning {
                problems.append("The daemon is not running (last seen \(Formatting.isoTimestamp(daemon.updatedAt))).")
            }
            problems += daemon.problems
            if let lowDisk = daemon.lowDisk { problems.append(lowDisk) }
        } else {
            problems.append("The daemon has never run on this tree: the numbers are as fresh as the last scan.")
        }
        guard !problems.isEmpty else { return "<p class=\"ok\" id=\"problems\">No problems.</p>" }
        let items = problems.map { "<li>\(HTMLText.escape($0))</li>" }.joined()
        return "<section class=\"problems\" id=\"problems\"><h2>Problems</h2><ul>\(items)</ul></section>"
    }

    var categoriesSection: String {
        let header = [
            "Category", "Quota used", "Files", "Size", "On disk", "Quota", "Retention", "Oldest file",
            "Expiring in 24 h",
        ].map { "<th>\($0)</th>" }.joined()
        let rows = categories.map(categoryRow).joined(separator: "\n")
        return """
            <section><h2>Categories</h2>
            <table id="categories"><thead><tr>\(header)</tr></thead><tbody>
            \(rows)
            </tbody></table>
            <p class="muted">Quotas count bytes on disk; the mark at 90 % is where eviction stops.</p></section>
            """
    }

    func categoryRow(_ category: Category) -> String {
        let usage = category.usage
        let oldest =
            usage.oldestMtime.map { mtime in
                let path = category.oldestPath.map { PathBytes.display($0) + ", " } ?? ""
                return path + Self.age(max(0, now - mtime)) + " old"
            } ?? "-"
        let cells = [
            Self.cell(usage.managed ? usage.category : usage.category + " (not configured)", className: "name"),
            "<td class=\"quota-used\">\(QuotaBar(allocated: usage.allocated, quota: usage.quotaBytes).html)</td>",
            Self.cell(String(usage.files), value: usage.files, className: "files"),
            Self.cell(Formatting.bytes(usage.bytes), value: usage.bytes, className: "bytes"),
            Self.cell(Formatting.bytes(usage.allocated), value: usage.allocated, className: "allocated"),
            Self.cell(usage.quotaBytes.map(Formatting.bytes) ?? "none", value: usage.quotaBytes, className: "quota"),
            Self.cell(
                usage.retentionSeconds.map(Formatting.duration) ?? "kept", value: usage.retentionSeconds,
                className: "retention"),
            Self.cell(oldest, value: usage.oldestMtime, className: "oldest"),
            Self.cell(
                "\(Formatting.count(Int(clamping: category.expiringFiles), "file")), \(Formatting.bytes(category.expiringBytes))",
                value: category.expiringFiles, className: "expiring"),
        ]
        return "<tr data-category=\"\(HTMLText.escape(usage.category))\">" + cells.joined() + "</tr>"
    }

    var watcherSection: String {
        var rows: [(String, String, Int64?)] = []
        if let daemon = report.daemon {
            rows.append(("Daemon", report.daemonRunning ? "running (pid \(daemon.pid))" : "not running", nil))
            rows.append(("Index lag", Formatting.fixed(daemon.lagSeconds, digits: 2) + " s", nil))
            rows.append(("Watches", String(daemon.watcher.watches), Int64(daemon.watcher.watches)))
            rows.append(("Overflows", String(daemon.watcher.overflows), Int64(daemon.watcher.overflows)))
            rows.append(
                (
                    "Degraded folders", String(daemon.watcher.unwatchedDirectories),
                    Int64(daemon.watcher.unwatchedDirectories)
                ))
            rows.append(
                (
                    "Unreadable folders", String(daemon.watcher.unreadableDirectories),
                    Int64(daemon.watcher.unreadableDirectories)
                ))
        }
        if let space = report.space {
            let threshold =
                Formatting.fixed(monitoring.alertThresholdPercent, digits: 1) + " %"
                + (monitoring.minFreeBytes.map { " or " + Formatting.bytes($0) } ?? "")
            rows.append(
                (
                    "Disk free",
                    "\(Formatting.bytes(space.freeBytes)) of \(Formatting.bytes(space.totalBytes)) "
                        + "(\(Formatting.fixed(space.freePercent, digits: 1)) %); low below \(threshold)",
                    space.freeBytes
                ))
        }
        rows.append(
            (
                "Trash",
                "\(Formatting.count(Int(clamping: report.trash.files), "file")), \(Formatting.bytes(report.trash.bytes))",
                report.trash.bytes
            ))
        rows.append(
            (
                "Event log",
                "\(Formatting.count(Int(clamping: report.eventLog.rows), "row")), "
                    + Formatting.bytes(report.eventLog.bytes)
                    + (monitoring.eventLogMaxBytes.map { " of " + Formatting.bytes($0) } ?? ""),
                report.eventLog.bytes
            ))
        let body = rows.map { name, text, value in "<tr><th>\(name)</th>\(Self.cell(text, value: value))</tr>" }
            .joined()
        return "<section><h2>Watcher and disk</h2><table id=\"watcher\">\(body)</table></section>"
    }

    var runsSection: String {
        guard !runs.isEmpty else {
            return "<section><h2>Last cleanup runs</h2><p class=\"muted\">No cleanup has run yet.</p></section>"
        }
        let header = ["Started", "Trigger", "Status", "Removed", "Freed", "Skipped", "Errors", "Duration"]
            .map { "<th>\($0)</th>" }.joined()
        let rows = runs.map { run in
            let duration =
                run.finishedAt.map { Formatting.fixed(Double(max(0, $0 - run.startedAt)), digits: 0) + " s" } ?? "-"
            let reasons = Self.skippedByReason(run)
            let skipped =
                reasons.isEmpty
                ? String(run.filesSkipped)
                : reasons.map { "\($0.files) \($0.reason)" }.joined(separator: ", ")
            return "<tr class=\"\(HTMLText.escape(run.status))\">"
                + [
                    Self.cell(Formatting.isoTimestamp(run.startedAt), value: run.startedAt),
                    Self.cell(run.trigger + (run.dryRun ? " (dry run)" : "")),
                    Self.cell(run.status),
                    Self.cell(String(run.filesRemoved), value: run.filesRemoved),
                    Self.cell(Formatting.bytes(run.bytesFreed), value: run.bytesFreed),
                    Self.cell(skipped, value: run.filesSkipped),
                    Self.cell(String(run.errors), value: run.errors),
                    Self.cell(duration),
                ].joined() + "</tr>"
        }.joined(separator: "\n")
        return """
            <section><h2>Last cleanup runs</h2>
            <table id="runs"><thead><tr>\(header)</tr></thead><tbody>
            \(rows)
            </tbody></table></section>
            """
    }

    /// Skips by reason from the run's detail; empty when it has none.
    static func skippedByReason(_ run: IndexStore.CleanupRunRecord) -> [(reason: String, files: Int64)] {
        guard let detail = run.detail, let parsed = try? JSONValue.parse(Array(detail.utf8)),
            case .object(let fields)? = parsed["skipped"]
        else { return [] }
        return fields.compactMap { reason, value in
            guard let files = value.intValue, files > 0 else { return nil }
            return (reason, Int64(files))
        }
    }

    /// An age for people: `45 s`, `12 min`, `5.5 h`, `3.2 d`.
    static func age(_ seconds: Int64) -> String {
        switch seconds {
        case ..<60: "\(seconds) s"
        case ..<3600: "\(seconds / 60) min"
        case ..<86_400: Formatting.fixed(Double(seconds) / 3600, digits: 1) + " h"
        default: Formatting.fixed(Double(seconds) / 86_400, digits: 1) + " d"
        }
    }
}
