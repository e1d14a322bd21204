import StorekeeperConfig
import StorekeeperEngine
import StorekeeperIndex
import StorekeeperSystem

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
            down to 90 % of the quota. Below alert_threshold_percent (or min_free_bytes) free, the whole \
            trash is purged and expired files are deleted, not trashed; unexpired files go only with \
            cleanup.low_disk.evict_unexpired. outputs/ is never touched. With cleanup.enabled: false it \
            refuses (exit 1) unless --dry-run. When no daemon keeps the index, the index \
            is reconciled first. A run in progress elsewhere is waited for (up to --wait seconds). \
            Exit 1 when any file could not be removed. --list names each file removed (or, dry, that \
            would be) and why: expired, quota, low disk; --json always carries the first --limit of them \
            in `files`. On a terminal a progress line on stderr counts the files as they go.
            """,
        options: Options.self,
        run: run)

    static let defaultListLimit = 1000
    static let defaultWaitSeconds = 600

    struct Options: CommandOptions {
        var dryRun = false
        var category: String?
        var noScan = false
        var wait = Double(defaultWaitSeconds)
        var list = false
        var limit = defaultListLimit
        var json = false

        static let options: [Option<Self>] = [
            .flag("--dry-run", \.dryRun, help: "Report what would be removed; change nothing."),
            .value(
                "--category", "key", \.category, as: .text, completion: .categories,
                help: "Only this category (its config key, e.g. contact_sheets)."),
            .flag("--no-scan", \.noScan, help: "Do not reconcile the index first, even without a daemon."),
            .value(
                "--wait", "seconds", \.wait, as: .seconds,
                help: "How long to wait for another cleanup run (default \(defaultWaitSeconds))."),
            .flag("--list", \.list, help: "Print each file removed (or that would be) and why."),
            .value(
                "--limit", "N", \.limit, as: .count(of: "files"),
                help: "List at most N files (default \(defaultListLimit))."),
            .json(\.json),
        ]
    }

    static func run(_ options: Options, _ invocation: Invocation) throws -> ExitCode {
        let configuration = try invocation.loadConfiguration()
        let layout = StorageLayout(configuration)
        try layout.validate()
        let categories = try chosenCategories(options.category, configuration)
        // Asked before the lock and the scan: a disabled cleanup touches nothing.
        _ = try CleanupGate(configuration).runsDry(asked: options.dryRun)
        let logger = try Logger.make(
            configuration: configuration, environment: invocation.environment,
            minimumLevel: options.json ? .warning : nil, logFileRequired: false)
        let lock = try layout.lockForCleanup(wait: options.wait)
        defer { lock.release() }
        // On a full disk the index needs room to record what the run removes.
        layout.spaceReserve.releaseIfDiskFull(logger: logger)
        let store = try IndexStore(path: layout.indexPath)
        // Before anything is written or removed: a cleanup never acts on an index SQLite finds damaged.
        try store.checkIntegrity()
        // Neither step may keep a full disk from being cleaned: the cleaner
        // verifies every file on disk, so a stale index only means fewer candidates.
        do {
            try store.recordPolicy(configuration.categories)
            if !options.noScan {
                try reconcileIfNoDaemon(configuration, layout: layout, store: store, logger: logger)
            }
        } catch let error as DatabaseError where error.isTransient {
            logger.warning(
                "the index cannot be updated before cleaning; cleaning with it as it is", ["error": "\(error)"])
        }

        var request = Cleaner.Request(
            trigger: .manual, dryRun: options.dryRun || configuration.cleanup.dryRun, categories: categories)
        request.purgeTrash = categories == nil
        let cleaner = Cleaner(configuration: configuration, store: store, logger: logger)
        let report = try run(cleaner, request, options: options)
        if options.json {
            Console.out(report.json.serialized())
        } else {
            if options.list { Console.out(fileList(report)) }
            Console.out(summary(report))
        }
        return report.totalErrors == 0 ? .success : .failure
    }

    /// nil for every category; a key the configuration lacks is a usage error.
    static func chosenCategories(_ key: String?, _ configuration: Configuration) throws -> Set<String>? {
        guard let key else { return nil }
        guard configuration.categories.contains(where: { $0.key == key }) else {
            let known = configuration.categories.map(\.key).joined(separator: ", ")
            throw UsageError("unknown category '\(key)' (configured: \(known))")
        }
        return [key]
    }

    /// The run, with the files it removes counted on the progress line and
    /// the first `--limit` of them kept for the listing.
    static func run(_ cleaner: Cleaner, _ request: Cleaner.Request, options: Options) throws -> CleanupReport {
        // Drawn from inside the run, on this thread; the cleaner only asks for a Sendable callback.
        nonisolated(unsafe) let progress = ProgressLine(
            label: "clean", enabled: !options.json && Console.stderrIsTerminal)
        let listing = CleanupReport.Listing(limit: options.limit) { progress.update(files: $0) }
        return try CleanupReport.Listing.$current.withValue(listing) {
            defer { progress.finish() }
            return try cleaner.run(request)
        }
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
            [
                "added": String(summary.totals.added), "changed": String(summary.totals.changed),
                "removed": String(summary.totals.removed),
            ])
    }

    /// One line per file, why first: `expired: photos/a.jpg (3 B)`.
    static func fileList(_ report: CleanupReport) -> String {
        var lines = report.files.map { file in
            "\(reasonText(file.cleanupCause)): \(PathBytes.display(file.path)) (\(Formatting.bytes(file.bytes)))"
        }
        if report.filesTruncated {
            let more = report.totalFilesRemoved - report.files.count
            lines.append("... and \(Formatting.count(more, "more file")) (raise --limit to list them)")
        }
        return lines.joined(separator: "\n")
    }

    static func reasonText(_ cause: CleanupCause) -> String {
        switch cause {
        case .expired: "expired"
        case .quota: "over quota"
        case .lowDisk: "low disk"
        }
    }

    /// `moved 1 file to the trash`, `removed 2 files`, or both; a dry run cannot
    /// know which, since low disk decides at run time.
    static func removalText(removed: Int, trashed: Int, dryRun: Bool) -> String {
        if dryRun { return "would remove \(Formatting.count(removed, "file"))" }
        let deleted = removed - trashed
        switch (trashed, deleted) {
        case (0, _): return "removed \(Formatting.count(deleted, "file"))"
        case (_, 0): return "moved \(Formatting.count(trashed, "file")) to the trash"
        default: return "moved \(Formatting.count(trashed, "file")) to the trash and removed \(deleted)"
        }
    }

    static func summary(_ report: CleanupReport) -> String {
        var lines: [String] = []
        for (key, result) in report.categories {
            let removal = removalText(
                removed: result.filesRemoved, trashed: report.filesTrashed[key] ?? 0, dryRun: report.dryRun)
            var line = "\(Formatting.pad(key, 16)) \(removal), \(Formatting.bytes(result.bytesFreed))"
            if result.filesEvicted > 0 { line += " (\(result.filesEvicted) evicted)" }
            let skipped = result.skipped.values.reduce(0, +)
            if skipped > 0 {
                line +=
                    "; skipped \(skipped): "
                    + result.skipped.sorted { $0.key.rawValue < $1.key.rawValue }.map {
                        "\($0.key.rawValue)=\($0.value)"
                    }
                    .joined(separator: " ")
            }
            if result.overQuota { line += "; over quota" }
            lines.append(line)
            for error in result.errors { lines.append("  error: \(error)") }
        }
        if report.trashFilesPurged > 0 {
            lines.append(
                "trash: purged \(Formatting.count(report.trashFilesPurged, "file")), \(Formatting.bytes(report.trashBytesPurged))"
            )
        }
        if report.directoriesRemoved > 0 {
            lines.append("removed \(Formatting.count(report.directoriesRemoved, "empty folder"))")
        }
        if report.lowDisk { lines.append("LOW DISK: free space was below the alert threshold") }
        for warning in report.warnings { lines.append("warning: \(warning)") }
        let removal = removalText(
            removed: report.totalFilesRemoved, trashed: report.filesTrashed.values.reduce(0, +), dryRun: report.dryRun)
        lines.append(
            "\(report.dryRun ? "Dry run" : "Cleanup") \(report.runID): \(removal), "
                + "\(Formatting.bytes(report.totalBytesFreed)); \(report.totalSkipped) skipped, "
                + "\(Formatting.count(report.totalErrors, "error")).")
        return lines.joined(separator: "\n")
    }
}
