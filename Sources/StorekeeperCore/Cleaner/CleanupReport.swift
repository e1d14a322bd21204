/// What one cleaner run did (or, dry, would do), per category and in total:
/// the seed's summary shape, plus skips and errors.
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
    public var trigger: String
    public var categories: [(key: String, result: CategoryResult)] = []
    public var trashFilesPurged = 0
    public var trashBytesPurged: Int64 = 0
    public var directoriesRemoved = 0
    public var lowDisk = false
    public var warnings: [String] = []

    init(dryRun: Bool, trigger: String) {
        self.dryRun = dryRun
        self.trigger = trigger
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

    public var json: JSONValue {
        .object([
            ("run_id", .int(runID)),
            ("trigger", .string(trigger)),
            ("dry_run", .bool(dryRun)),
            ("categories", .object(categories.map { key, result in
                (key, .object([
                    ("files_removed", .int(result.filesRemoved)),
                    ("bytes_freed", .int(result.bytesFreed)),
                    ("files_evicted", .int(result.filesEvicted)),
                    ("over_quota", .bool(result.overQuota)),
                    ("skipped", .object(result.skipped.sorted { $0.key.rawValue < $1.key.rawValue }
                        .map { ($0.key.rawValue, .int($0.value)) })),
                    ("errors", .array(result.errors.map(JSONValue.string))),
                ]))
            })),
            ("total_files_removed", .int(totalFilesRemoved)),
            ("total_bytes_freed", .int(totalBytesFreed)),
            ("total_skipped", .int(totalSkipped)),
            ("total_errors", .int(totalErrors)),
            ("trash", .object([("files_purged", .int(trashFilesPurged)), ("bytes_purged", .int(trashBytesPurged))])),
            ("directories_removed", .int(directoriesRemoved)),
            ("low_disk", .bool(lowDisk)),
            ("warnings", .array(warnings.map(JSONValue.string))),
        ])
    }
}
