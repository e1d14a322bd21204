/// A category's usage from the `usage` table beside its policy from
/// `categories`: everything `stats` shows, read without counting a row of `files`.
public struct CategoryUsage: Equatable, Sendable {
    public let category: String
    /// Names, `.gitkeep` files left out.
    public let files: Int64
    /// Apparent bytes (`du --apparent-size`), each inode once.
    public let bytes: Int64
    /// False for a top-level folder the configuration does not name.
    public let managed: Bool
    public let retentionSeconds: Int64?
    public let quotaBytes: Int64?
    public let onQuota: String?
    /// The oldest content file's mtime (a `.gitkeep` is layout, not content).
    public let oldestMtime: Int64?
    /// Allocated bytes (`du`, st_blocks × 512), each inode once: what quotas count.
    public let allocated: Int64

    public init(
        category: String, files: Int64, bytes: Int64, managed: Bool, retentionSeconds: Int64? = nil,
        quotaBytes: Int64? = nil, onQuota: String? = nil, oldestMtime: Int64? = nil, allocated: Int64
    ) {
        self.category = category
        self.files = files
        self.bytes = bytes
        self.managed = managed
        self.retentionSeconds = retentionSeconds
        self.quotaBytes = quotaBytes
        self.onQuota = onQuota
        self.oldestMtime = oldestMtime
        self.allocated = allocated
    }

    public var percentUsed: Double? {
        guard let quotaBytes, quotaBytes > 0 else { return nil }
        return Double(allocated) * 100 / Double(quotaBytes)
    }
}
