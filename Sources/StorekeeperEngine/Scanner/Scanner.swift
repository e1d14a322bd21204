import StorekeeperConfig
import StorekeeperIndex
import StorekeeperSystem

/// Reconciles the index with the disk: one walk, compared with the index in
/// path order, writing only the differences (Robinhood's scan-and-sweep).
/// An unchanged tree costs one walk and no writes.
public final class Scanner {
    public struct Summary: Equatable, Sendable {
        public var totals: IndexComparison.Totals
        public var unreadable: [(directory: [UInt8], error: SystemCallError)]
        public var initial: Bool

        public static func == (a: Summary, b: Summary) -> Bool {
            a.totals == b.totals && a.initial == b.initial
                && a.unreadable.map(\.directory) == b.unreadable.map(\.directory)
        }
    }

    /// Rows per transaction: large batches keep a first scan near SQLite's insert
    /// speed; the daemon's reconcile shares the same size.
    public static let batchSize = 10_000

    private let store: IndexStore
    private let comparison: IndexComparison
    private let cause: String
    private let now: () -> Int64
    private let logger: Logger?
    /// Mount points already logged: a daemon reconciles often and says each once.
    private var loggedMountPoints: Set<[UInt8]> = []
    /// Off, a first scan inserts row by row through the triggers: the tests
    /// compare the two ways.
    var insertsFirstScanInBatches = true

    /// `cause` is written into the event log (`scan` from the CLI, `reconcile` from the daemon).
    public init(
        store: IndexStore, categorizer: Categorizer, basePath: String, cause: String = "scan",
        now: @escaping () -> Int64 = WallClock.now, logger: Logger? = nil
    ) {
        self.store = store
        self.comparison = IndexComparison(store: store, categorizer: categorizer, basePath: basePath)
        self.cause = cause
        self.now = now
        self.logger = logger
    }

    /// Reconciles `subtree` (the whole tree when empty). A first scan of an empty
    /// index logs one summary event instead of one `create` per file;
    /// `logSummary: false` leaves out the summary (a new folder seen by the daemon).
    public func reconcile(
        subtree: [UInt8] = [], logSummary: Bool = true, onDirectory: ((FileDescriptor, [UInt8]) -> Void)? = nil,
        progress: ((Int) -> Void)? = nil
    ) throws -> Summary {
        let initial = try store.files(inSubtree: [], after: nil, limit: 1).isEmpty
        var pending: [IndexComparison.Difference] = []
        pending.reserveCapacity(Self.batchSize)
        var unreadable: [(directory: [UInt8], error: SystemCallError)] = []

        let totals = try comparison.run(subtree: subtree, onDirectory: onDirectory, progress: progress) { difference in
            if case .unreadable(let directory, let error) = difference {
                unreadable.append((directory, error))
            }
            pending.append(difference)
            if pending.count >= Self.batchSize {
                try write(pending, logEach: !initial)
                pending.removeAll(keepingCapacity: true)
            }
        }
        try write(pending, logEach: !initial)
        for mountPoint in totals.mountPoints where loggedMountPoints.insert(mountPoint).inserted {
            logger?.warning("a mount point inside the tree is not crossed", ["path": PathBytes.display(mountPoint)])
        }
        let summary = Summary(totals: totals, unreadable: unreadable, initial: initial)
        guard logSummary else { return summary }
        try store.write {
            try store.record(
                IndexEvent(
                    time: now(), action: .scan, path: subtree.isEmpty ? nil : subtree, cause: cause,
                    detail: "files=\(totals.filesOnDisk) added=\(totals.added) changed=\(totals.changed) "
                        + "removed=\(totals.removed) unreadable=\(totals.unreadable) mount_points=\(totals.mountPoints.count)"
                ))
            try store.setMeta("last_scan_at", String(now()))
        }
        return summary
    }

    private func write(_ differences: [IndexComparison.Difference], logEach: Bool) throws {
        guard !differences.isEmpty else { return }
        let time = now()
        try store.write {
            // A first scan logs no event per file, so its new rows go in as
            // batches (`insertNew`), flushed before any other difference to
            // keep the order of the walk.
            var added: [IndexedFile] = []
            for difference in differences {
                if !logEach && insertsFirstScanInBatches, case .added(let file) = difference {
                    added.append(file)
                    continue
                }
                try store.insertNew(added, now: time)
                added.removeAll()
                try write(difference, logEach: logEach, time: time)
            }
            try store.insertNew(added, now: time)
        }
    }

    private func write(_ difference: IndexComparison.Difference, logEach: Bool, time: Int64) throws {
        switch difference {
        case .added(let file):
            try store.insert(file, now: time)
            if logEach {
                try store.record(
                    IndexEvent(
                        time: time, action: .create, path: file.path, category: file.category,
                        size: file.size, cause: cause))
            }
        case .changed(let indexed, let onDisk):
            try store.update(onDisk)
            if logEach {
                try store.record(
                    IndexEvent(
                        time: time, action: .modify, path: onDisk.path, category: onDisk.category,
                        size: onDisk.size, cause: cause,
                        detail: indexed.differences(from: onDisk).joined(separator: ", ")))
            }
        case .removed(let file):
            try store.delete(path: file.path)
            if logEach {
                try store.record(
                    IndexEvent(
                        time: time, action: .delete, path: file.path, category: file.category,
                        size: file.size, cause: cause))
            }
        case .unreadable(let directory, let error):
            try store.record(
                IndexEvent(
                    time: time, action: .error, path: directory, cause: cause,
                    detail: "directory not read, its rows kept: \(error)"))
        }
    }
}
