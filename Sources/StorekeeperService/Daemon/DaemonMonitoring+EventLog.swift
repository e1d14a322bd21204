import StorekeeperConfig
import StorekeeperEngine
import StorekeeperIndex
import StorekeeperSystem

/// Keeps the `events` log within `monitoring.event_retention` (age) and
/// `monitoring.event_log_max_bytes` (size). Every step deletes at most
/// `IndexStore.eventPruningStep` rows in its own write transaction, and
/// `betweenSteps` (the indexer's catch-up, in the daemon) runs after each, so
/// a prune of a hundred million rows never holds the write lock for longer
/// than one step and the watcher's queue keeps draining.
enum EventLogPruning {
    /// A log over its bound is shrunk to this share of it, so a log that sits
    /// at the bound is not pruned again on every check.
    static let targetPercent: Int64 = 90

    /// Deletes every event written before `cutoff`, oldest first; returns how many went.
    static func pruneOlder(
        than cutoff: Int64, store: IndexStore, betweenSteps: () throws -> Void
    ) throws -> Int {
        var removed = 0
        while true {
            let step = try store.write { try store.pruneEventsStep(before: cutoff) }
            removed += step
            guard step == IndexStore.eventPruningStep else { return removed }
            try betweenSteps()
        }
    }

    /// When the log is over `maxBytes`, deletes the oldest events, the
    /// watcher's create, modify and move rows before any other, until it is
    /// under `targetPercent` of the bound; returns how many went.
    static func shrink(
        toFit maxBytes: Int64, store: IndexStore, betweenSteps: () throws -> Void
    ) throws -> Int {
        guard try store.eventLogSize().bytes > maxBytes else { return 0 }
        let target = maxBytes / 100 * targetPercent
        var removed = 0
        var churnAfter: Int64 = 0
        while try store.eventLogSize().bytes > target {
            let step = try store.write { try store.shrinkEventsStep(churnAfter: churnAfter, limit: stepSize(maxBytes)) }
            guard step.removed > 0 else { break }
            removed += step.removed
            churnAfter = step.churnAfter
            try betweenSteps()
        }
        return removed
    }

    /// What a watcher's row takes on disk with a path of about 60 bytes (measured).
    static let typicalBytesPerRow: Int64 = 100

    /// A step of a twentieth of the bound's rows at most, so a small bound
    /// is not emptied by one step.
    static func stepSize(_ maxBytes: Int64) -> Int {
        let rowsInBound = maxBytes / typicalBytesPerRow
        return Int(min(Int64(IndexStore.eventPruningStep), max(1, rowsInBound / 20)))
    }
}

extension DaemonMonitoring {
    /// How often the log's size is read against its bound: one row, so a
    /// storm of events outgrows the bound by a few seconds' worth at most.
    static let eventLogCheckInterval = 2.0

    /// Shrinks the log when it is over `monitoring.event_log_max_bytes`,
    /// draining the watcher's queue between steps.
    func boundEventLog(store: IndexStore, indexer: Indexer, maxBytes: Int64?) throws {
        guard let maxBytes else { return }
        let removed = try EventLogPruning.shrink(toFit: maxBytes, store: store) { try indexer.catchUp() }
        guard removed > 0 else { return }
        logger.debug(
            "the event log passed monitoring.event_log_max_bytes; pruned its oldest events",
            ["removed": String(removed), "max_bytes": String(maxBytes)])
    }
}
