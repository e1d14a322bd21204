/// `storekeeper clean`: apply the retention, quota, trash and low-disk
/// policies now.
enum CleanCommand {
    static let spec = CommandSpec(
        name: "clean",
        abstract: "Apply TTL, quota, trash and low-disk policies now.",
        discussion: """
            Chooses expired files from the index (oldest first, every one of them, in slices of \
            cleanup.batch_size), verifies each on disk (inode, size, mtime, no symlink on the way) and \
            deletes it or moves it to .trash/. Then evicts from categories over quota (on_quota: evict) \
            down to 90 % of the quota, and from temp, frames, contact_sheets when free disk is below \
            alert_threshold_percent. outputs/ is never touched. When no daemon keeps the index, the index \
            is reconciled first. A run in progress elsewhere is waited for (up to --wait seconds). \
            Exit 1 when any file could not be removed.
            """,
        options: [
            .init(name: "--dry-run", valueName: nil, help: "Report what would be removed; change nothing."),
            .init(name: "--category", valueName: "key", help: "Only this category (its config key, e.g. contact_sheets)."),
            .init(name: "--no-scan", valueName: nil, help: "Do not reconcile the index first, even without a daemon."),
            .init(name: "--wait", valueName: "seconds", help: "How long to wait for another cleanup run (default 600)."),
            CommandSpec.jsonOption,
        ],
        run: run)

    static func run(_ invocation: Invocation) throws -> ExitCode {
        let configuration = try invocation.loadConfiguration()
        let layout = StorageLayout(configuration)
        try layout.validate()
        var categories: Set<String>?
        if let key = invocation.values["--category"] {
            guard configuration.categories.contains(where: { $0.key == key }) else {
                let known = configuration.categories.map(\.key).joined(separator: ", ")
                throw UsageError(message: "unknown category '\(key)' (configured: \(known))", command: "clean")
            }
            categories = [key]
        }
        var wait = 600.0
        if let text = invocation.values["--wait"] {
            guard let seconds = Double(text), seconds >= 0 else {
                throw UsageError(message: "'--wait' takes seconds, got '\(text)'", command: "clean")
            }
            wait = seconds
        }
        let json = invocation.has("--json")
        let logger = try Logger.make(
            configuration: configuration, environment: invocation.environment, minimumLevel: json ? .warning : nil,
            logFileRequired: false)
        let lock = try layout.lockForCleanup(wait: wait)
        defer { lock.release() }
        let store = try IndexStore(path: layout.indexPath)
        // Before anything is written or removed: a cleanup never acts on an index SQLite finds damaged.
        try store.checkIntegrity()
        try store.recordPolicy(configuration.categories)

        if !invocation.has("--no-scan") { try reconcileIfNoDaemon(configuration, layout: layout, store: store, logger: logger) }

        var request = Cleaner.Request(
            trigger: "manual", dryRun: invocation.has("--dry-run") || configuration.cleanup.dryRun, categories: categories)
        request.purgeTrash = categories == nil
        let report = try Cleaner(configuration: configuration, store: store, logger: logger).run(request)

        if json {
            Console.out(report.json.serialized())
        } else {
            Console.out(summary(report))
        }
        return report.totalErrors == 0 ? .success : .failure
    }

    /// Without a daemon the index may be stale: files written since the last
    /// scan would never be cleaned. The writer lock tells whether one runs.
    static func reconcileIfNoDaemon(
        _ configuration: Configuration, layout: StorageLayout, store: IndexStore, logger: Logger
    ) throws {
        guard let writer = try? layout.lockForWriting() else { return }
        defer { writer.release() }
        let summary = try Scanner(
            store: store, categorizer: Categorizer(policies: configuration.categories), basePath: layout.basePath
        ).reconcile()
        logger.info(
            "no daemon running; reconciled the index before cleaning",
            ["added": String(summary.totals.added), "changed": String(summary.totals.changed),
             "removed": String(summary.totals.removed)])
    }

    static func summary(_ report: CleanupReport) -> String {
        let verb = report.dryRun ? "would remove" : "removed"
        var lines: [String] = []
        for (key, result) in report.categories {
            var line = "\(Formatting.pad(key, 16)) \(verb) \(result.filesRemoved) files, \(Formatting.bytes(result.bytesFreed))"
            if result.filesEvicted > 0 { line += " (\(result.filesEvicted) evicted)" }
            let skipped = result.skipped.values.reduce(0, +)
            if skipped > 0 {
                line += "; skipped \(skipped): "
                    + result.skipped.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue)=\($0.value)" }
                    .joined(separator: " ")
            }
            if result.overQuota { line += "; over quota" }
            lines.append(line)
            for error in result.errors { lines.append("  error: \(error)") }
        }
        if report.trashFilesPurged > 0 {
            lines.append("trash: purged \(report.trashFilesPurged) files, \(Formatting.bytes(report.trashBytesPurged))")
        }
        if report.directoriesRemoved > 0 { lines.append("removed \(report.directoriesRemoved) empty folders") }
        if report.lowDisk { lines.append("LOW DISK: free space was below the alert threshold") }
        for warning in report.warnings { lines.append("warning: \(warning)") }
        lines.append(
            "\(report.dryRun ? "Dry run" : "Cleanup") \(report.runID): \(verb) \(report.totalFilesRemoved) files, "
                + "\(Formatting.bytes(report.totalBytesFreed)); \(report.totalSkipped) skipped, \(report.totalErrors) errors.")
        return lines.joined(separator: "\n")
    }
}
