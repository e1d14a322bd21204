import StorekeeperConfig
import StorekeeperIndex
import StorekeeperSystem

/// The run's own row in `cleanup_runs`: started before the first removal when
/// the index can take it, written whole at the end when it could not.
extension Cleaner {
    /// Starts the run and its row. Only a busy or full index lets the run go
    /// on without one; any other failure stops it before anything is removed.
    func begin(_ request: Request) throws -> Run {
        let startedAt = now()
        var run = Run(
            request: request, startedAt: startedAt,
            report: CleanupReport(dryRun: request.dryRun, trigger: request.trigger, startedAt: startedAt))
        // On a full disk the index needs room to record what is removed.
        layout.spaceReserve.releaseIfDiskFull(logger: logger)
        do {
            let (id, interrupted) = try store.beginCleanupRun(
                trigger: request.trigger, dryRun: request.dryRun, startedAt: startedAt)
            run.report.runID = id
            run.hasRunRow = true
            if interrupted > 0 {
                logger.warning(
                    "marked cleanup runs that died while running as interrupted", ["runs": String(interrupted)])
            }
        } catch let error as DatabaseError where error.isTransient {
            logger.warning("cannot record the cleanup run's start yet; cleaning anyway", ["error": "\(error)"])
        }
        logger.info(
            "cleanup started",
            ["run": String(run.report.runID), "trigger": request.trigger.rawValue, "dry_run": String(request.dryRun)])
        return run
    }

    /// Writes what is still unrecorded and the run's row. Never throws: the
    /// files are already gone, and a run that cannot be recorded now is said
    /// in the log; its rows are corrected by the watcher or the next scan.
    func finish(_ run: inout Run, status: CleanupRunStatus) {
        run.report.finish(at: now())
        let report = run.report
        do {
            try flushUnrecorded(&run)
            let totals = IndexStore.CleanupRunTotals(
                removed: report.totalFilesRemoved, bytes: report.totalBytesFreed, skipped: report.totalSkipped,
                errors: report.totalErrors + (report.failure == nil ? 0 : 1),
                detail: Self.runDetail(report).serialized(pretty: false))
            if run.hasRunRow {
                try store.finishCleanupRun(report.runID, status: status, finishedAt: now(), totals: totals)
            } else {
                run.report.runID = try store.recordCleanupRun(
                    trigger: report.trigger, dryRun: report.dryRun, startedAt: run.startedAt, status: status,
                    finishedAt: now(), totals: totals)
            }
        } catch {
            logger.error(
                "cannot record the cleanup run in the index; the watcher or the next scan corrects its rows",
                ["run": String(report.runID), "unrecorded_slices": String(run.unrecorded.count), "error": "\(error)"])
        }
        logger.log(
            status == .ok ? .info : .error, "cleanup finished",
            [
                "run": String(run.report.runID), "status": status.rawValue, "dry_run": String(report.dryRun),
                "files_removed": String(report.totalFilesRemoved), "bytes_freed": String(report.totalBytesFreed),
                "skipped": String(report.totalSkipped), "errors": String(report.totalErrors),
                "trash_purged": String(report.trashFilesPurged),
            ])
    }

    /// `cleanup_runs.detail`: per category what went, skips by reason, and
    /// what stopped the run.
    private static func runDetail(_ report: CleanupReport) -> JSONValue {
        let skippedByReason = report.categories.flatMap { $0.result.skipped }.reduce(into: [String: Int]()) {
            $0[$1.key.rawValue, default: 0] += $1.value
        }
        var fields: [(String, JSONValue)] = [
            ("categories", .object(report.categories.map { ($0.key, .int($0.result.filesRemoved)) })),
            ("skipped", .object(skippedByReason.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) })),
            ("trash_files_purged", .int(report.trashFilesPurged)),
            ("directories_removed", .int(report.directoriesRemoved)),
            ("low_disk", .bool(report.lowDisk)),
        ]
        if let failure = report.failure { fields.append(("error", .string(failure))) }
        return .object(fields)
    }
}
