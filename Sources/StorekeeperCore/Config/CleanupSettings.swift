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
