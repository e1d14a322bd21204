import Foundation
import TestSupport
import Testing

@testable import StorekeeperIndex
@testable import StorekeeperService

/// The `events` log's size row (schema 6) and its pruning in bounded steps.
@Suite struct EventLogTests {
    let directory: TemporaryDirectory
    let store: IndexStore

    init() throws {
        directory = try TemporaryDirectory()
        store = try IndexStore.create(path: directory.path("index.db"))
    }

    /// Records `count` events of `action` at `time`, with paths of 40 bytes.
    func record(_ count: Int, _ action: IndexEvent.Action, at time: Int64) throws {
        try store.write {
            for index in 0..<count {
                try store.record(
                    IndexEvent(
                        time: time, action: action,
                        path: Array("uploads/2026/11/30/\(action)-\(time)-\(index).jpg".utf8),
                        category: "uploads", size: 1000, cause: action == .delete ? "expired" : "watcher"))
            }
        }
    }

    /// What the triggers' row should say, counted the slow way.
    func counted() throws -> EventLogSize {
        try #require(
            store.database.statement(
                """
                SELECT count(*), coalesce(sum(length(action) + coalesce(length(path), 0)
                    + coalesce(length(new_path), 0) + coalesce(length(category), 0) + length(cause)
                    + coalesce(length(detail), 0)), 0), (SELECT time FROM events ORDER BY id LIMIT 1) FROM events
                """
            ).firstRow { EventLogSize(rows: $0.int64(0), payloadBytes: $0.int64(1), oldest: $0.optionalInt64(2)) })
    }

    func actions() throws -> [String: Int64] {
        var tally: [String: Int64] = [:]
        try store.database.statement("SELECT action, count(*) FROM events GROUP BY action").forEachRow {
            tally[$0.string(0)] = $0.int64(1)
        }
        return tally
    }

    @Test func theSizeRowFollowsEveryInsertAndDelete() throws {
        #expect(try store.eventLogSize() == EventLogSize(rows: 0, payloadBytes: 0, oldest: nil))
        try record(30, .create, at: 1_000)
        try record(20, .delete, at: 2_000)
        try store.record(IndexEvent(time: 3_000, action: .move, path: [0x61], newPath: [0x62], cause: "w", detail: "d"))
        #expect(try store.eventLogSize() == counted())
        #expect(try store.eventLogSize().rows == 51)
        #expect(try store.eventLogSize().oldest == 1_000)
        try store.database.execute("DELETE FROM events WHERE action = 'delete'")
        #expect(try store.eventLogSize() == counted())
        let size = try store.eventLogSize()
        #expect(size.bytes == size.payloadBytes + 31 * EventLogSize.overheadBytesPerRow)
    }

    /// Events logged several to a statement (a burst's creations, a cleanup
    /// slice) count like events logged one by one, in the order given.
    @Test func eventsLoggedTogetherCountAsOneByOne() throws {
        var events: [IndexEvent] = []
        for index in 0..<(2 * IndexStore.eventsPerInsert + 5) {
            let action: IndexEvent.Action = index % 3 == 0 ? .delete : .create
            let newPath: [UInt8]? = index % 5 == 0 ? [0x6E] : nil
            let category: String? = index % 7 == 0 ? nil : "temp"
            let size: Int64? = index % 2 == 0 ? Int64(index) : nil
            let detail: String? = index % 4 == 0 ? "d\(index)" : nil
            events.append(
                IndexEvent(
                    time: 1_000 + Int64(index), action: action, path: Array("temp/job/f\(index)".utf8),
                    newPath: newPath, category: category, size: size, cause: "watcher", detail: detail))
        }
        try store.write { try store.record(events) }
        #expect(try store.eventLogSize() == counted())
        #expect(try store.eventLogSize().rows == Int64(events.count))
        var logged: [IndexEvent] = []
        try store.database.statement(
            "SELECT time, action, path, new_path, category, size, cause, detail FROM events ORDER BY id"
        ).forEachRow { row in
            func text(_ column: Int32) -> String? { row.isNull(column) ? nil : row.string(column) }
            let action = try #require(IndexEvent.Action(rawValue: row.string(1)))
            logged.append(
                IndexEvent(
                    time: row.int64(0), action: action, path: text(2).map { Array($0.utf8) },
                    newPath: text(3).map { Array($0.utf8) }, category: text(4), size: row.optionalInt64(5),
                    cause: row.string(6), detail: text(7)))
        }
        #expect(logged == events)
    }

    @Test func agePruningGoesOldestFirstInBoundedSteps() throws {
        try record(120, .create, at: 1_000)
        try record(50, .delete, at: 5_000)
        try record(10, .create, at: 9_000)
        #expect(try store.pruneEventsStep(before: 6_000, limit: 100) == 100)
        #expect(try store.eventLogSize().oldest == 1_000)
        var stepsBetween = 0
        let removed = try EventLogPruning.pruneOlder(than: 6_000, store: store) { stepsBetween += 1 }
        #expect(removed == 70)
        #expect(stepsBetween == 0)
        #expect(try actions() == ["create": 10])
        #expect(try store.eventLogSize() == counted())
    }

    @Test func agePruningYieldsBetweenFullSteps() throws {
        try record(IndexStore.eventPruningStep * 2 + 10, .modify, at: 1_000)
        var stepsBetween = 0
        let removed = try EventLogPruning.pruneOlder(than: 2_000, store: store) { stepsBetween += 1 }
        #expect(removed == IndexStore.eventPruningStep * 2 + 10)
        #expect(stepsBetween == 2)
        #expect(try store.eventLogSize().rows == 0)
    }

    @Test func theSizeBoundDropsTheWatchersChurnBeforeOperatorsHistory() throws {
        try record(300, .delete, at: 1_000)
        try record(1_500, .create, at: 2_000)
        try record(300, .trash, at: 3_000)
        try record(1_500, .modify, at: 4_000)
        let before = try store.eventLogSize()
        let bound = before.bytes / 2
        var stepsBetween = 0
        let removed = try EventLogPruning.shrink(toFit: bound, store: store) { stepsBetween += 1 }
        let after = try store.eventLogSize()
        #expect(removed > 0 && stepsBetween > 1)
        #expect(after.bytes <= bound)
        #expect(after == (try counted()))
        let left = try actions()
        // Every delete and trash row is kept; the oldest churn went first.
        #expect(left["delete"] == 300 && left["trash"] == 300)
        #expect(left["create"] == nil)
        #expect((left["modify"] ?? 0) > 0)
        #expect(try EventLogPruning.shrink(toFit: bound, store: store) {} == 0)
    }

    @Test func theSizeBoundDropsOperatorsHistoryOldestFirstWhenNothingElseIsLeft() throws {
        try record(400, .delete, at: 1_000)
        try record(400, .evict, at: 2_000)
        // Under 90 % of three quarters of the log: about a third of the rows go.
        let bound = try store.eventLogSize().bytes / 4 * 3
        _ = try EventLogPruning.shrink(toFit: bound, store: store) {}
        #expect(try store.eventLogSize().bytes <= bound)
        let left = try actions()
        #expect((left["delete"] ?? 0) < 400, "the oldest rows went")
        #expect(left["evict"] == 400, "the newer rows stayed")
        #expect(try store.eventLogSize().oldest != nil)
    }

    @Test func aSmallBoundIsNotEmptiedByOneStep() {
        #expect(EventLogPruning.stepSize(64 * 1024) < 64 * 1024 / 100)
        #expect(EventLogPruning.stepSize(256 * 1_048_576) == IndexStore.eventPruningStep)
    }

    @Test func anIndexOfSchema5CountsItsEventsWhenUpgraded() throws {
        let path = directory.path("old.db")
        do {
            let database = try Database(path: path)
            for migration in EmbeddedSchema.migrations where migration.version <= 5 {
                try database.execute(migration.sql)
            }
            try database.execute("PRAGMA user_version = 5")
            try database.execute(
                """
                INSERT INTO events (time, action, path, category, size, cause, detail) VALUES
                    (100, 'create', 'uploads/a.jpg', 'uploads', 10, 'watcher', NULL),
                    (200, 'delete', 'uploads/a.jpg', 'uploads', 10, 'expired', 'past retention'),
                    (300, 'scan', NULL, NULL, NULL, 'scan', NULL)
                """)
        }
        let upgraded = try IndexStore(path: path)
        #expect(try upgraded.database.userVersion == Database.schemaVersion)
        let size = try upgraded.eventLogSize()
        #expect(size.rows == 3 && size.oldest == 100)
        #expect(size.payloadBytes == (6 + 13 + 7 + 7) + (6 + 13 + 7 + 7 + 14) + (4 + 4))
        try upgraded.record(IndexEvent(time: 400, action: .error, cause: "watcher"))
        #expect(try upgraded.eventLogSize().rows == 4)
    }
}
