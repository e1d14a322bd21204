import Glibc
import StorekeeperIndex
import StorekeeperSystem

/// What one cleaner run did (or, dry, would do), per category and in total:
/// the original Python design's summary shape, plus skips and errors.
public struct CleanupReport: Sendable {
    public struct CategoryResult: Sendable {
        public var filesRemoved = 0
        public var bytesFreed: Int64 = 0
        /// Removed because the category was over its quota (or the disk low).
        public var filesEvicted = 0
        public var skipped: [SkipReason: Int] = [:]
        public var errors: [String] = []
        public var overQuota = false
    }

    public var runID: Int64 = 0
    public var dryRun: Bool
    public var trigger: CleanupTrigger
    public var categories: [(key: String, result: CategoryResult)] = []
    public var trashFilesPurged = 0
    public var trashBytesPurged: Int64 = 0
    public var directoriesRemoved = 0
    public var lowDisk = false
    /// Why the run stopped early, when it did: the run failed as a whole.
    public var failure: String?
    public var warnings: [String] = []
    /// The first `listing.limit` files removed (or, dry, that would be), in
    /// the order the run acted on them; the counts above cover every one.
    public private(set) var files: [RemovedFile] = []
    /// More files were removed than `files` holds.
    public private(set) var filesTruncated = false
    /// Nil unless the caller bound one: then `json` says nothing of files.
    private let listing: Listing?
    /// Per category, how many of `filesRemoved` went to the trash rather than away.
    public private(set) var filesTrashed: [String: Int] = [:]
    private var filesNoted = 0
    /// Wall-clock seconds: the earlier design's `start_time` and `end_time`.
    public let startedAt: Int64
    public private(set) var finishedAt: Int64
    /// From the monotonic clock, so a wall-clock step cannot make it negative.
    public private(set) var durationSeconds = 0.0
    private let monotonicStart: Double

    init(dryRun: Bool, trigger: CleanupTrigger, startedAt: Int64 = 0) {
        self.dryRun = dryRun
        self.trigger = trigger
        self.startedAt = startedAt
        finishedAt = startedAt
        monotonicStart = Self.monotonicSeconds()
        listing = Listing.current
    }

    mutating func finish(at time: Int64) {
        finishedAt = time
        durationSeconds = max(0, Self.monotonicSeconds() - monotonicStart)
    }

    private static func monotonicSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    /// One file a run removed (or, dry, would remove), and why.
    public struct RemovedFile: Sendable {
        public var path: [UInt8]
        public var bytes: Int64
        public var cleanupCause: CleanupCause
    }

    /// What a caller wants of a run beyond its counts, bound for the run with
    /// `Listing.$current.withValue`: a task-local, so the daemon's runs (which
    /// bind nothing) keep no file list and the cleaner needs no new parameter.
    public struct Listing: Sendable {
        /// How many removed files the report keeps; memory stays bounded
        /// however many a run removes.
        public var limit: Int
        /// Called after each removal with the number removed so far.
        public var progress: (@Sendable (Int) -> Void)?

        public init(limit: Int, progress: (@Sendable (Int) -> Void)? = nil) {
            self.limit = limit
            self.progress = progress
        }

        @TaskLocal public static var current: Listing?
    }

    mutating func noteRemoved(_ path: [UInt8], _ outcome: SafeRemover.Outcome, category: String, cause: CleanupCause) {
        guard case .removed(let trashName, let bytes) = outcome else { return }
        if trashName != nil { filesTrashed[category, default: 0] += 1 }
        guard let listing else { return }
        filesNoted += 1
        if files.count < listing.limit {
            files.append(RemovedFile(path: path, bytes: bytes, cleanupCause: cause))
        } else {
            filesTruncated = true
        }
        listing.progress?(filesNoted)
    }

    public var totalFilesRemoved: Int { categories.reduce(0) { $0 + $1.result.filesRemoved } }
    public var totalBytesFreed: Int64 { categories.saturatingSum(\.result.bytesFreed) }
    public var totalSkipped: Int { categories.reduce(0) { $0 + $1.result.skipped.values.reduce(0, +) } }
    public var totalErrors: Int { categories.reduce(0) { $0 + $1.result.errors.count } }

    /// Folds a trash purge in; entries it could not remove become warnings.
    mutating func add(_ purge: TrashPurge) {
        trashFilesPurged += purge.files
        trashBytesPurged = trashBytesPurged.addingSaturating(purge.bytes)
        warnings += purge.failures.map { "trash: \($0)" }
    }

    mutating func update(_ key: String, _ change: (inout CategoryResult) -> Void) {
        if let index = categories.firstIndex(where: { $0.key == key }) {
            change(&categories[index].result)
        } else {
            var result = CategoryResult()
            change(&result)
            categories.append((key, result))
        }
    }

    /// Every error of the run: each category's, then what stopped it.
    public var allErrors: [String] {
        categories.flatMap { key, result in result.errors.map { "\(key): \($0)" } } + (failure.map { [$0] } ?? [])
    }

    public var json: JSONValue {
        .object(
            [
                ("run_id", .int(runID)),
                ("trigger", .string(trigger.rawValue)),
                ("dry_run", .bool(dryRun)),
                (
                    "categories",
                    .object(
                        categories.map { key, result in
                            (
                                key,
                                .object([
                                    ("files_removed", .int(result.filesRemoved)),
                                    ("bytes_freed", .int(result.bytesFreed)),
                                    ("files_evicted", .int(result.filesEvicted)),
                                    ("over_quota", .bool(result.overQuota)),
                                    (
                                        "skipped",
                                        .object(
                                            result.skipped.sorted { $0.key.rawValue < $1.key.rawValue }
                                                .map { ($0.key.rawValue, .int($0.value)) })
                                    ),
                                    ("errors", .array(result.errors.map(JSONValue.string))),
                                ])
                            )
                        })
                ),
                ("total_files_removed", .int(totalFilesRemoved)),
                ("total_bytes_freed", .int(totalBytesFreed)),
                ("total_skipped", .int(totalSkipped)),
                ("total_errors", .int(totalErrors)),
                (
                    "trash",
                    .object([("files_purged", .int(trashFilesPurged)), ("bytes_purged", .int(trashBytesPurged))])
                ),
                ("directories_removed", .int(directoriesRemoved)),
                ("low_disk", .bool(lowDisk)),
                ("warnings", .array(warnings.map(JSONValue.string))),
            ] + pythonDesignJSON + filesJSON)
    }

    /// The earlier Python design's summary keys, for the clients written
    /// against it; `categories` and `dry_run` above already match it.
    private var pythonDesignJSON: [(String, JSONValue)] {
        [
            ("status", .string(totalErrors == 0 && failure == nil ? "completed" : "failed")),
            ("start_time", .string(Formatting.isoTimestamp(startedAt))),
            ("end_time", .string(Formatting.isoTimestamp(finishedAt))),
            ("duration_seconds", .double(durationSeconds)),
            ("files_removed", .int(totalFilesRemoved)),
            ("bytes_freed", .int(totalBytesFreed)),
            ("errors", .array(allErrors.map(JSONValue.string))),
        ]
    }

    private var filesJSON: [(String, JSONValue)] {
        guard listing != nil else { return [] }
        return [
            (
                "files",
                .array(
                    files.map { file in
                        .object([
                            ("path", .string(PathBytes.display(file.path))), ("bytes", .int(file.bytes)),
                            ("cause", .string(file.cleanupCause.rawValue)),
                        ])
                    })
            ),
            ("files_truncated", .bool(filesTruncated)),
        ]
    }
}
