import Foundation
import Glibc
import StorekeeperConfig
import StorekeeperSystem
import TestSupport

@testable import StorekeeperEngine
@testable import StorekeeperIndex

/// An indexer watching a fresh tree with the built-in categories, fed by hand
/// instead of by the reader thread, so a test decides what one batch holds.
final class WatchedIndex {
    let directory: TemporaryDirectory
    let base: String
    let store: IndexStore
    let inotify: Inotify
    let queue: EventQueue
    let indexer: Indexer

    /// `folders` are made under the base before the first reconcile watches them.
    init(folders: [String]) throws {
        directory = try TemporaryDirectory()
        base = directory.path("base")
        for folder in folders {
            try FileManager.default.createDirectory(atPath: base + "/" + folder, withIntermediateDirectories: true)
        }
        store = try IndexStore.create(path: directory.path("index.db"))
        try store.recordPolicy(CategoryPolicy.builtIns)
        inotify = try Inotify()
        queue = try EventQueue()
        indexer = try Indexer(
            store: store, categorizer: Categorizer(policies: CategoryPolicy.builtIns), basePath: base,
            inotify: inotify, queue: queue, logger: Logger(minimumLevel: .error))
        try indexer.reconcileEverything(reason: "test")
    }

    /// Hands everything the kernel queued so far to the indexer at once, as
    /// the reader does during a burst, and applies it as one batch.
    func applyQueued() throws {
        let size = 65_536
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = read(inotify.descriptor.rawValue, buffer, size)
            if count <= 0 { break }
            queue.append(
                try InotifyEvent.parse(UnsafeRawBufferPointer(start: buffer, count: count)),
                at: MonotonicClock.seconds())
        }
        try indexer.processQueued()
    }
}
