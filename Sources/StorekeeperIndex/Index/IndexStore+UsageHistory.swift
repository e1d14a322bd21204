/// `usage_history`: the `usage` table copied at intervals, for charts.
extension IndexStore {
    /// Copies every category's usage as of `now`; a second sample in the same
    /// second replaces the first.
    public func recordUsageSample(at now: Int64) throws {
        try database.statement(
            """
            INSERT OR REPLACE INTO usage_history (sampled_at, category, files, bytes, allocated)
            SELECT ?1, category, files, bytes, allocated FROM usage
            """
        ).execute([.integer(now)])
    }

    /// Deletes samples taken before `cutoff`, oldest first, at most `limit`
    /// rows, so pruning a long-idle history never holds the write lock long.
    /// Returns how many went.
    @discardableResult
    public func pruneUsageHistory(before cutoff: Int64, limit: Int = 10_000) throws -> Int {
        try database.statement(
            """
            DELETE FROM usage_history WHERE (category, sampled_at) IN (
                SELECT category, sampled_at FROM usage_history WHERE sampled_at < ?1 ORDER BY sampled_at LIMIT ?2)
            """
        ).execute([.integer(cutoff), .int(limit)])
        return database.changes
    }

    /// Every category's samples from `since` on, oldest first.
    public func usageHistory(since: Int64) throws -> UsageHistory {
        var series: [UsageHistory.Series] = []
        try database.statement(
            """
            SELECT category, sampled_at, bytes, files FROM usage_history
            WHERE sampled_at >= ?1 ORDER BY category, sampled_at
            """
        ).forEachRow([.integer(since)]) { row in
            let category = row.string(0)
            let sample = UsageHistory.Sample(at: row.int64(1), bytes: row.int64(2), files: row.int64(3))
            if series.last?.category == category {
                series[series.count - 1].samples.append(sample)
            } else {
                series.append(UsageHistory.Series(category: category, samples: [sample]))
            }
        }
        return UsageHistory(series: series)
    }
}
