/// What Storekeeper does with the files of one category.
public struct CategoryPolicy: Sendable, Equatable {
    /// What happens when the category is over its quota.
    public enum OnQuota: String, Sendable, CaseIterable {
        /// Remove the oldest files until usage is under 90 % of the quota.
        case evict
        /// Only warn; for data nobody may delete automatically.
        case alert
    }

    /// The time a file's age is measured from.
    public enum AgeBy: String, Sendable, CaseIterable {
        case mtime
        /// A `YYYY-MM-DD` folder or `_YYYYMMDD_HHMMSS` name in the path,
        /// falling back to mtime; survives copies that reset mtime.
        case pathDate = "path_date"
    }

    /// The config key, e.g. `contact_sheets`.
    public var key: String
    /// Top-level folders under the base path that belong to this category.
    public var directories: [String]
    /// nil keeps files forever (`-1` in the config).
    public var retentionSeconds: Int64?
    /// nil means no quota (`-1` in the config).
    public var quotaBytes: Int64?
    public var onQuota: OnQuota
    public var ageBy: AgeBy

    public init(
        key: String,
        directories: [String],
        retentionSeconds: Int64?,
        quotaBytes: Int64?,
        onQuota: OnQuota,
        ageBy: AgeBy = .mtime
    ) {
        self.key = key
        self.directories = directories
        self.retentionSeconds = retentionSeconds
        self.quotaBytes = quotaBytes
        self.onQuota = onQuota
        self.ageBy = ageBy
    }

    /// The default retention table, in eviction priority order: under disk
    /// pressure scratch space goes first and deliverables never.
    public static let builtIns: [CategoryPolicy] = [
        CategoryPolicy(
            key: "temp", directories: ["temp"], retentionSeconds: 86_400, quotaBytes: 5 << 30, onQuota: .evict),
        CategoryPolicy(
            key: "frames", directories: ["frames"], retentionSeconds: 2_592_000, quotaBytes: 50 << 30, onQuota: .evict),
        CategoryPolicy(
            key: "contact_sheets", directories: ["contact-sheets"], retentionSeconds: 2_592_000, quotaBytes: 20 << 30,
            onQuota: .evict),
        CategoryPolicy(
            key: "uploads", directories: ["uploads"], retentionSeconds: 604_800, quotaBytes: 10 << 30, onQuota: .alert),
        CategoryPolicy(
            key: "outputs", directories: ["outputs"], retentionSeconds: nil, quotaBytes: 100 << 30, onQuota: .alert),
    ]

    /// The category Storekeeper never deletes from, whatever the config says.
    public static let protectedKey = "outputs"

    /// Keys use `_`, folders use `-`: `contact_sheets` lives in `contact-sheets/`.
    public static func defaultDirectory(forKey key: String) -> String {
        String(key.map { $0 == "_" ? "-" : $0 })
    }
}
