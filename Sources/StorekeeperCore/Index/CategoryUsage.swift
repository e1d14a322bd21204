/// A category's usage from the `usage` table beside its policy from
/// `categories`: everything `stats` shows, read without counting a row of `files`.
public struct CategoryUsage: Equatable, Sendable {
    public let category: String
    public let files: Int64
    public let bytes: Int64
    /// False for a top-level folder the configuration does not name.
    public let managed: Bool
    public let retentionSeconds: Int64?
    public let quotaBytes: Int64?
    public let onQuota: String?
    public let oldestMtime: Int64?

    public var percentUsed: Double? {
        guard let quotaBytes, quotaBytes > 0 else { return nil }
        return Double(bytes) * 100 / Double(quotaBytes)
    }
}
