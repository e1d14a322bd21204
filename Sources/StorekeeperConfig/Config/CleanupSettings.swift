/// When and how the cleaner runs.
public struct CleanupSettings: Sendable, Equatable {
    public var enabled: Bool
    /// Full cleanup, 5-field cron in UTC.
    public var schedule: String
    /// Extra expiry run for `temp` only.
    public var tempSchedule: String
    public var dryRun: Bool
    /// Files per delete transaction; never a cap on how many a run removes.
    public var batchSize: Int
    public var useTrash: Bool
    /// Age after which trashed files are deleted for good.
    public var trashRetentionSeconds: Int64
    /// Glob patterns relative to the base path that cleanup never touches.
    public var exclude: [String]
    /// Optional bound on files removed by one run; nil means none.
    public var maxFilesPerRun: Int?
    /// `low_disk.evict_unexpired`: on low disk, also remove files that have
    /// not expired (temp, uploads, frames, contact_sheets; never outputs).
    /// Off by default: a low disk is an alert, and relief uses only what the
    /// policy already allows (the trash, expired files).
    public var evictUnexpiredOnLowDisk = false
    /// `low_disk.evict_below_percent`: the free-space percentage below which
    /// unexpired files are evicted, when `evict_unexpired` is on.
    public var evictUnexpiredBelowPercent: Double?

    public init(
        enabled: Bool = true,
        schedule: String = "0 2 * * *",
        tempSchedule: String = "0 * * * *",
        dryRun: Bool = false,
        batchSize: Int = 100,
        useTrash: Bool = true,
        trashRetentionSeconds: Int64 = 7 * 86_400,
        exclude: [String] = [],
        maxFilesPerRun: Int? = nil
    ) {
        self.enabled = enabled
        self.schedule = schedule
        self.tempSchedule = tempSchedule
        self.dryRun = dryRun
        self.batchSize = batchSize
        self.useTrash = useTrash
        self.trashRetentionSeconds = trashRetentionSeconds
        self.exclude = exclude
        self.maxFilesPerRun = maxFilesPerRun
    }
}
