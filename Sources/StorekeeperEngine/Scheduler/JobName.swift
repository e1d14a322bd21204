/// The daemon's scheduled jobs, in the order they run when due together. The
/// raw value names the job's row in the index's `jobs` table and what
/// `storekeeper jobs` shows: it never changes.
public enum JobName: String, CaseIterable, Sendable {
    case cleanup
    case tempCleanup = "temp_cleanup"
    case trashPurge = "trash_purge"
    case pruneEvents = "prune_events"
    case verify
}

/// For callers that still spell a job by its stored name; only the names of
/// `JobName` exist, and any other stops the program.
extension JobName: ExpressibleByStringLiteral {
    public init(stringLiteral name: String) {
        guard let job = JobName(rawValue: name) else { preconditionFailure("no job is called '\(name)'") }
        self = job
    }
}
