import StorekeeperIndex

/// One slice's outcomes summed for `cleanup_totals` and `cleanup_skips`, so
/// the cleanup counters grow in the same transaction as the slice's events.
struct CleanupTally {
    var filesRemoved: Int64 = 0
    var bytesFreed: Int64 = 0
    var errors: Int64 = 0
    var skipped: [SkipReason: Int64] = [:]

    init(_ outcomes: [Cleaner.Verdict]) {
        for (_, _, outcome) in outcomes {
            switch outcome {
            case .removed(_, let freed):
                filesRemoved += 1
                bytesFreed = bytesFreed.addingSaturating(freed)
            case .skipped(let reason, _):
                skipped[reason, default: 0] += 1
            case .failed:
                errors += 1
            }
        }
    }

    /// Adds the tally under `category` and the reason of the cleaner's `cause`.
    func add(to store: IndexStore, category: String, cause: CleanupCause) throws {
        let reason = IndexStore.CleanupReason(cause)
        try store.addCleanupTotals(
            category: category, reason: reason, files: filesRemoved, bytes: bytesFreed, errors: errors)
        for (skipReason, files) in skipped.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            try store.addCleanupSkips(category: category, reason: skipReason, files: files)
        }
    }
}
