import Foundation
import Glibc
import StorekeeperConfig
import StorekeeperSystem
import TestSupport
import Testing

@testable import StorekeeperEngine
@testable import StorekeeperIndex

/// The daemon runs for months while folders come and go by the million: what
/// it keeps of a watch must end with the watch.
@Suite struct WatchTableTests {
    @Test func aWatchEndsWithItsIgnoredEvent() {
        var table = WatchTable()
        table.set(3, path: Array("temp/job".utf8))
        table.remove(3)
        #expect(table.wasRetired(3), "events still queued for a dropped watch are expected")
        table.ended(3)
        #expect(!table.wasRetired(3))
        #expect(table.retiredCount == 0 && table.count == 0)
        // The kernel dropped it first (the folder was deleted): the same end.
        table.set(4, path: Array("temp/other".utf8))
        table.ended(4)
        #expect(table.path(of: 4) == nil && table.watch(of: Array("temp/other".utf8)) == nil)
        #expect(table.retiredCount == 0)
    }

    @Test func foldersCreatedAndRemovedLeaveNothingBehind() throws {
        let watched = try WatchedIndex(folders: ["temp"])
        let (base, indexer) = (watched.base, watched.indexer)
        let watchesAtStart = indexer.watches.count

        for round in 0..<3 {
            for job in 0..<20 {
                try FileManager.default.createDirectory(
                    atPath: base + "/temp/job\(round)-\(job)/inner", withIntermediateDirectories: true)
            }
            try watched.applyQueued()
            #expect(indexer.watches.count == watchesAtStart + 40)
            for job in 0..<20 {
                try FileManager.default.removeItem(atPath: base + "/temp/job\(round)-\(job)")
            }
            try watched.applyQueued()
            // Reading again takes the IN_IGNORED the removals queued last.
            try watched.applyQueued()
            #expect(indexer.watches.count == watchesAtStart)
            #expect(indexer.watches.retiredCount == 0, "round \(round)")
        }
    }
}
