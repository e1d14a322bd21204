import Foundation
import Glibc
import StorekeeperConfig
import StorekeeperSystem
import TestSupport
import Testing

@testable import StorekeeperEngine
@testable import StorekeeperIndex

/// A batch with many new files inserts them together (`IndexStore.insertNew`,
/// the triggers' work once per batch) and logs their creations several to a
/// statement. The index it leaves must be the one row-by-row inserts leave:
/// the rows, `usage` (hard links counted once, `.gitkeep` not at all), one
/// `create` per new name, and the event log's size.
@Suite struct IndexerBurstTests {
    let watched: WatchedIndex
    var directory: TemporaryDirectory { watched.directory }
    var base: String { watched.base }
    var store: IndexStore { watched.store }
    var queue: EventQueue { watched.queue }
    var indexer: Indexer { watched.indexer }

    init() throws { watched = try WatchedIndex(folders: ["temp/job", "frames/video_1"]) }

    func applyQueued() throws { try watched.applyQueued() }

    func write(_ relative: String, _ bytes: Int) {
        let descriptor = open(base + "/" + relative, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        #expect(descriptor >= 0)
        let data = [UInt8](repeating: 7, count: bytes)
        #expect(Glibc.write(descriptor, data, bytes) == bytes)
        close(descriptor)
    }

    func link(_ existing: String, _ new: String) {
        #expect(Glibc.link(base + "/" + existing, base + "/" + new) == 0)
    }

    func count(_ sql: String) throws -> Int64 {
        try store.database.statement(sql).firstRow { $0.int64(0) } ?? -1
    }

    /// The index against the disk (`verify`'s judgement), `usage` against a
    /// recount of the rows, and the event log's row against its events.
    func expectIndexExact(_ context: String) throws {
        var differences: [String] = []
        _ = try IndexComparison(
            store: store, categorizer: Categorizer(policies: CategoryPolicy.builtIns), basePath: base
        ).run { differences.append(String(describing: $0)) }
        #expect(differences.isEmpty, "\(context): \(differences.prefix(5))")
        try HardLinkUsageTests.expectUsageExact(store.database, context)
        let logged = try store.eventLogSize()
        #expect(logged.rows == (try count("SELECT count(*) FROM events")), "\(context)")
    }

    @Test func aBurstOfNewFilesEndsAsRowByRowInsertsWould() throws {
        let existing = "frames/video_1/indexed.jpg"
        write(existing, 300)
        try applyQueued()
        let burst = 3 * Indexer.newFilesInsertedTogether
        for index in 0..<burst { write("temp/job/f\(index).part", index + 1) }
        link("temp/job/f0.part", "temp/job/f0-again.part")  // a hard link within the burst
        link(existing, "frames/video_1/indexed-again.jpg")  // one to a file indexed before
        link("temp/job/f1.part", "frames/video_1/across.jpg")  // across categories
        write("temp/job/.gitkeep", 0)
        write("temp/job/gone.part", 5)
        #expect(unlink(base + "/temp/job/gone.part") == 0)
        try applyQueued()

        try expectIndexExact("after the burst")
        #expect(try count("SELECT count(*) FROM files") == Int64(burst + 5))
        // Hard links: f0 and f0-again count once in temp, f1's bytes once in temp and once in frames.
        #expect(try store.usage(of: "temp").files == Int64(burst + 1))
        #expect(try store.usage(of: "temp").bytes == Int64(burst * (burst + 1) / 2))
        #expect(try store.usage(of: "frames").files == 3)
        #expect(try store.usage(of: "frames").bytes == 300 + 2)
        #expect(
            try count("SELECT count(*) FROM events WHERE cause = 'watcher' AND action = 'create'")
                == Int64(burst + 5))
        #expect(try count("SELECT count(DISTINCT path) FROM events WHERE action = 'create'") == Int64(burst + 5))
        #expect(try count("SELECT count(*) FROM events WHERE path = 'temp/job/gone.part'") == 0)
        #expect(indexer.status.created == burst + 5)

        // The triggers are back for what follows: a change, a removal and a
        // few new files (row by row, below the batch's threshold).
        write("temp/job/f2.part", 1000)
        #expect(unlink(base + "/temp/job/f0.part") == 0)
        write("temp/job/late.part", 7)
        try applyQueued()
        try expectIndexExact("after the next, small batch")
        #expect(try store.usage(of: "temp").files == Int64(burst + 1))
    }

    /// Each name is looked at once, and nothing else in the batch reads the
    /// rows still to be inserted: a burst mixed with renames, removals and a
    /// folder moved in leaves the index the disk shows.
    @Test func aBurstMixedWithRenamesAndRemovalsMatchesTheDisk() throws {
        for index in 0..<8 { write("temp/job/old\(index)", 10) }
        try applyQueued()
        for index in 0..<(2 * Indexer.newFilesInsertedTogether) { write("temp/job/n\(index)", 3) }
        #expect(rename(base + "/temp/job/old0", base + "/temp/job/n0") == 0)  // onto a new name
        #expect(rename(base + "/temp/job/n1", base + "/temp/job/old1") == 0)  // a new name onto an old one
        #expect(unlink(base + "/temp/job/old2") == 0)
        #expect(rename(base + "/temp/job/n2", base + "/temp/job/n2-moved") == 0)
        try FileManager.default.createDirectory(
            atPath: directory.path("outside/inner"), withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: directory.path("outside/inner/x"), contents: Data([1, 2]))
        #expect(rename(directory.path("outside"), base + "/temp/moved-in") == 0)
        try applyQueued()
        try expectIndexExact("after the mixed burst")
        #expect(try store.file(at: Array("temp/moved-in/inner/x".utf8)) != nil)
        #expect(try store.file(at: Array("temp/job/n1".utf8)) == nil)
    }
}
