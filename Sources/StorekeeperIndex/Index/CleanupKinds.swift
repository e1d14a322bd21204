/// Why the cleaner removes a file. The raw value is what the index stores
/// (`events.cause`) and what operators query with sqlite3 (docs/queries.md):
/// it never changes.
public enum CleanupCause: String, Sendable, CaseIterable {
    /// Older than its category's retention.
    case expired
    /// The category is over its quota and evicts its oldest files.
    case quota
    /// The disk is below its alert threshold and unexpired files are evicted.
    case lowDisk = "low_disk"

    /// Removed for the space it frees, not for its age: a name whose inode
    /// has other names frees nothing and is not a candidate.
    public var isEviction: Bool { self != .expired }
}

/// What started a cleanup run (`cleanup_runs.trigger`); raw values are stored.
public enum CleanupTrigger: String, Sendable, CaseIterable {
    /// `storekeeper clean`.
    case manual
    /// The daemon's `cleanup.schedule` job.
    case schedule
    /// The daemon's job for the temp category alone.
    case tempSchedule = "temp_schedule"
    /// `POST /cleanup`.
    case api
    /// The daemon saw a category go over its quota.
    case quota
    /// The daemon saw the disk go below its alert threshold.
    case lowDisk = "low_disk"
}

/// Where a cleanup run stands (`cleanup_runs.status`, whose CHECK allows
/// exactly these); raw values are stored.
public enum CleanupRunStatus: String, Sendable, CaseIterable {
    case running
    /// Finished, every selected file removed or skipped.
    case ok
    /// Stopped on an error, or left files it could not remove.
    case failed
    /// Still `running` when the next run began: its process died.
    case interrupted
}
