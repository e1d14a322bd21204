/// How big the `events` log is, read from the one row triggers keep (schema
/// 6), so reading it costs the same at a hundred rows as at a hundred million.
public struct EventLogSize: Equatable, Sendable {
    /// What a row costs on disk besides its text: record header, integers,
    /// rowid, its `events_by_time` entry and the pages' slack, measured with
    /// dbstat over an index filled by a burst (docs/operations.md).
    public static let overheadBytesPerRow: Int64 = 40

    public var rows: Int64
    /// The length of the rows' text columns.
    public var payloadBytes: Int64
    /// When the oldest row was written, or nil for an empty log.
    public var oldest: Int64?

    public init(rows: Int64, payloadBytes: Int64, oldest: Int64?) {
        self.rows = rows
        self.payloadBytes = payloadBytes
        self.oldest = oldest
    }

    /// The log's estimated size on disk (table and index pages).
    public var bytes: Int64 { payloadBytes &+ rows &* Self.overheadBytesPerRow }
}

/// The `events` log: its size, and pruning it in bounded steps.
extension IndexStore {
    /// The most rows one pruning step deletes: each step is its own short
    /// write transaction, so the indexer's transactions interleave with a
    /// prune of any length.
    public static let eventPruningStep = 5_000

    /// Actions the watcher and scanner record as the tree changes; the size
    /// bound drops these first and keeps what operators look back on
    /// (deletions, trash, evictions, restores, skips, errors, scans).
    static let churnActions = "'create', 'modify', 'move'"

    public func eventLogSize() throws -> EventLogSize {
        let counted = try database.statement("SELECT rows, payload_bytes FROM event_log").firstRow {
            (rows: $0.int64(0), payload: $0.int64(1))
        }
        let oldest = try database.statement("SELECT time FROM events ORDER BY id LIMIT 1").firstRow { $0.int64(0) }
        return EventLogSize(rows: counted?.rows ?? 0, payloadBytes: counted?.payload ?? 0, oldest: oldest)
    }

    /// Deletes up to `limit` of the oldest events written before `cutoff`;
    /// returns how many went. Call it until it returns less than `limit`.
    public func pruneEventsStep(before cutoff: Int64, limit: Int = eventPruningStep) throws -> Int {
        try database.statement(
            "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE time < ?1 ORDER BY time LIMIT ?2)"
        ).execute([.integer(cutoff), .int(limit)])
        return database.changes
    }

    /// Deletes up to `limit` of the oldest events to shrink the log towards
    /// a size bound: the watcher's create, modify and move rows first (those
    /// after `churnAfter`, the id the previous step reached), and the oldest
    /// of any kind only when no such row is left. Returns how many went and
    /// the id to pass as `churnAfter` next.
    public func shrinkEventsStep(churnAfter: Int64 = 0, limit: Int = eventPruningStep) throws -> (
        removed: Int, churnAfter: Int64
    ) {
        let last =
            try database.statement(
                """
                SELECT max(id) FROM (SELECT id FROM events WHERE id > ?1 AND action IN (\(Self.churnActions))
                ORDER BY id LIMIT ?2)
                """
            ).firstRow([.integer(churnAfter), .int(limit)]) { $0.optionalInt64(0) } ?? nil
        if let last {
            try database.statement(
                "DELETE FROM events WHERE id > ?1 AND id <= ?2 AND action IN (\(Self.churnActions))"
            ).execute([.integer(churnAfter), .integer(last)])
            return (database.changes, last)
        }
        try database.statement("DELETE FROM events WHERE id IN (SELECT id FROM events ORDER BY id LIMIT ?1)")
            .execute([.int(limit)])
        return (database.changes, churnAfter)
    }
}
