import Foundation
import Glibc
import StorekeeperConfig
import StorekeeperSystem
import TestSupport
import Testing

@testable import StorekeeperEngine
@testable import StorekeeperIndex

/// Every event of a name in one batch comes down to one look at that name
/// when the batch is applied: whatever happened to it in between, the row
/// and the logged events say how it ends, not each step on the way.
@Suite struct IndexerCoalescingTests {
    let watched: WatchedIndex
    var base: String { watched.base }
    var store: IndexStore { watched.store }
    var queue: EventQueue { watched.queue }
    var indexer: Indexer { watched.indexer }

    init() throws { watched = try WatchedIndex(folders: ["temp/job"]) }

    func applyQueued() throws { try watched.applyQueued() }

    func write(_ relative: String, _ bytes: Int, append: Bool = false) throws {
        let descriptor = open(base + "/" + relative, O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC), 0o644)
        #expect(descriptor >= 0)
        let data = [UInt8](repeating: 7, count: bytes)
        #expect(Glibc.write(descriptor, data, bytes) == bytes)
        close(descriptor)
    }

    func rows() throws -> [String] {
        var rows: [String] = []
        try store.database.statement("SELECT path, size FROM files WHERE path GLOB 'temp/*' ORDER BY path")
            .forEachRow { rows.append("\($0.string(0)) \($0.int64(1))") }
        return rows
    }

    func watcherEvents() throws -> [String] {
        var events: [String] = []
        try store.database.statement(
            "SELECT action, path, coalesce(new_path, ''), coalesce(size, -1) FROM events WHERE cause = 'watcher' ORDER BY id"
        ).forEachRow { events.append("\($0.string(0)) \($0.string(1)) \($0.string(2)) \($0.int64(3))") }
        return events
    }

    func usage() throws -> String {
        try store.database.statement("SELECT files || ' ' || bytes FROM usage WHERE category = 'temp'")
            .firstRow { $0.string(0) } ?? "none"
    }

    @Test func aNameWrittenManyTimesIsOneRowAndOneCreate() throws {
        try write("temp/job/a.part", 10)
        try write("temp/job/a.part", 20, append: true)
        try write("temp/job/a.part", 30, append: true)
        try applyQueued()
        #expect(try rows() == ["temp/job/a.part 60"])
        #expect(try watcherEvents() == ["create temp/job/a.part  60"])
        #expect(try usage() == "1 60")
        #expect(indexer.status.created == 1)
    }

    @Test func createdWrittenClosedAndRenamedIsOneMove() throws {
        try write("temp/job/a.part", 100)
        #expect(rename(base + "/temp/job/a.part", base + "/temp/job/b.dat") == 0)
        try applyQueued()
        #expect(try rows() == ["temp/job/b.dat 100"])
        #expect(try watcherEvents() == ["move temp/job/a.part temp/job/b.dat 100"])
        #expect(try usage() == "1 100")
    }

    @Test func createdRenamedAndRemovedLeavesNoRowAndNoEvent() throws {
        try write("temp/job/a.part", 100)
        #expect(rename(base + "/temp/job/a.part", base + "/temp/job/b.dat") == 0)
        #expect(unlink(base + "/temp/job/b.dat") == 0)
        try applyQueued()
        #expect(try rows() == [])
        #expect(try watcherEvents() == [])
        #expect(try usage() == "0 0")
    }

    @Test func anIndexedFileRewrittenThenRemovedIsOneDelete() throws {
        try write("temp/job/old", 5)
        try applyQueued()
        try write("temp/job/old", 50)
        try write("temp/job/old", 500)
        #expect(unlink(base + "/temp/job/old") == 0)
        try applyQueued()
        #expect(try rows() == [])
        #expect(try watcherEvents() == ["create temp/job/old  5", "delete temp/job/old  5"])
        #expect(try usage() == "0 0")
    }

    @Test func anIndexedFileRewrittenTwiceIsOneModify() throws {
        try write("temp/job/old", 5)
        try applyQueued()
        try write("temp/job/old", 50)
        try write("temp/job/old", 70, append: true)
        try applyQueued()
        #expect(try rows() == ["temp/job/old 120"])
        #expect(try watcherEvents().last == "modify temp/job/old  120")
        #expect(try watcherEvents().count == 2)
        #expect(try usage() == "1 120")
    }

    @Test func aFileReplacedByAnotherThroughRenameIsOneMoveAndTheOldRowGoes() throws {
        try write("temp/job/target", 5)
        try applyQueued()
        try write("temp/job/.target.tmp", 9)
        #expect(rename(base + "/temp/job/.target.tmp", base + "/temp/job/target") == 0)
        try applyQueued()
        #expect(try rows() == ["temp/job/target 9"])
        #expect(try watcherEvents().last == "move temp/job/.target.tmp temp/job/target 9")
        #expect(try usage() == "1 9")
    }

    /// The reader wakes the indexer once per take: events appended to a
    /// queue that already waits for the indexer add no wake-up.
    @Test func theQueueWakesTheIndexerOncePerTake() throws {
        let event = InotifyEvent(watch: 1, mask: UInt32(IN_CREATE), cookie: 0, name: Array("a".utf8))
        queue.append([event], at: 1)
        #expect(queue.wake.wait(timeout: 0))
        queue.append([event], at: 2)
        #expect(!queue.wake.wait(timeout: 0), "the queue was not empty: the first wake-up stands")
        #expect(queue.takeAll().events.count == 2)
        queue.append([event], at: 3)
        #expect(queue.wake.wait(timeout: 0), "a take emptied the queue: the next append wakes again")
    }
}
