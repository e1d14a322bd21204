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
