import StorekeeperConfig
import StorekeeperIndex
import StorekeeperSystem

/// A slice's outcomes in the report, then in the index and the event log, in
/// one transaction per slice.
extension Cleaner {
    /// Counts one slice's outcomes in the report and writes them to the index
    /// and the event log (nothing in a dry run). The files are gone before
    /// their rows are: when the index cannot take the write (a full disk,
    /// another writer), the slice waits in `unrecorded` and the run goes on
    /// freeing space, which is what lets the index commit again.
    func record(
        _ outcomes: [Verdict], policy: CategoryPolicy, cause: CleanupCause, _ run: inout Run
    ) throws {
        let dryRun = run.request.dryRun
        let eviction = cause.isEviction
        var touched: [[UInt8]] = []
        for (row, _, outcome) in outcomes {
            switch outcome {
            case .removed(_, let freed):
                run.report.update(policy.key) {
                    $0.filesRemoved += 1
                    $0.bytesFreed = $0.bytesFreed.addingSaturating(freed)
                    if eviction { $0.filesEvicted += 1 }
                }
                run.report.noteRemoved(row.path, outcome, category: policy.key, cause: cause)
                if dryRun {
                    run.simulatedFreed[policy.key] = (run.simulatedFreed[policy.key] ?? 0).addingSaturating(freed)
                }
                // A removed file's path is a valid one (no empty step), so its folder is what precedes the last `/`.
                touched.append(row.path.lastIndex(of: PathBytes.separator).map { Array(row.path[..<$0]) } ?? [])
            case .skipped(let reason, _):
                run.report.update(policy.key) { $0.skipped[reason, default: 0] += 1 }
            case .failed(let message):
                run.report.update(policy.key) { $0.errors.append("\(PathBytes.display(row.path)): \(message)") }
                logger.warning("cannot remove", ["path": PathBytes.display(row.path), "error": message])
            }
        }
        run.touchedDirectories.formUnion(touched)
        guard !dryRun else { return }
        run.unrecorded.append(Slice(outcomes: outcomes, category: policy.key, cause: cause, time: now()))
        do {
            try flushUnrecorded(&run)
        } catch let error as DatabaseError where error.isTransient {
            if run.unrecorded.count == 1 {
                logger.warning(
                    "the index cannot take the cleanup's records now; they are kept and written later",
                    ["run": String(run.report.runID), "error": "\(error)"])
            }
        }
    }

    /// Writes the slices waiting in `unrecorded`, oldest first, each in one
    /// transaction; stops at the first the index refuses.
    func flushUnrecorded(_ run: inout Run) throws {
        while let slice = run.unrecorded.first {
            try save(slice, runID: run.report.runID)
            run.unrecorded.removeFirst()
        }
    }

    private func save(_ slice: Slice, runID: Int64) throws {
        let eviction = slice.cause.isEviction
        let time = slice.time
        let cause = slice.cause.rawValue
        let detail = "run=\(runID)"
        try store.write {
            var events: [IndexEvent] = []
            events.reserveCapacity(slice.outcomes.count)
            for (row, id, outcome) in slice.outcomes {
                switch outcome {
                case .removed(let trashName, _):
                    // By id: should a new file have taken the name since, its row stays.
                    try store.deleteFile(id: id)
                    let action: IndexEvent.Action = trashName != nil ? .trash : (eviction ? .evict : .delete)
                    events.append(
                        IndexEvent(
                            time: time, action: action, path: row.path, newPath: trashName, category: row.category,
                            size: row.size, cause: cause, detail: detail))
                case .skipped(let reason, let onDisk):
                    try refreshRow(row, onDisk: onDisk, reason: reason, time: time)
                    events.append(
                        IndexEvent(
                            time: time, action: .skip, path: row.path, category: row.category, size: row.size,
                            cause: cause,
                            detail: reason.rawValue))
                case .failed(let message):
                    events.append(
                        IndexEvent(
                            time: time, action: .error, path: row.path, category: row.category, size: row.size,
                            cause: cause, detail: message))
                }
            }
            // In the slice's order, several rows a statement.
            try store.record(events)
            try CleanupTally(slice.outcomes).add(to: store, category: slice.category, cause: slice.cause)
        }
    }

    /// A skipped file's row is brought in line with the disk, so the next
    /// selection sees the truth (Robinhood updates the entry the same way).
    private func refreshRow(_ row: IndexedFile, onDisk: FileStatus?, reason: SkipReason, time: Int64) throws {
        switch reason {
        case .excluded, .protectedCategory, .notExpired, .categoryMismatch:
            return
        case .vanished, .parentReplaced, .nowDirectory, .otherFilesystem, .invalidPath:
            try store.delete(path: row.path)
        case .changedCtime:
            // Stamped with now, after the change: the next run judges the file
            // as it is instead of skipping it forever.
            try store.markEntered(path: row.path, at: time)
        case .changedSize, .changedMtime, .replacedInode, .nowSymlink:
            guard let onDisk else { return }
            try store.update(IndexedFile(path: row.path, category: row.category, status: onDisk))
        }
    }
}
