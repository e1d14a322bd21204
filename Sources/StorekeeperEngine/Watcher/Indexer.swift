import Glibc
import StorekeeperConfig
import StorekeeperIndex
import StorekeeperSystem

/// Turns inotify events into index changes. Events are hints: each one means
/// "lstat this path" or "read this directory", and what the index records is
/// what `lstat` and `readdir` saw. Runs on one thread, which owns the SQLite
/// connection; the reader thread only fills the queue.
public final class Indexer {
    public enum Stop: Error, CustomStringConvertible {
        /// The base itself was deleted, moved or unmounted: there is nothing
        /// left to index, and indexing a replacement silently would be wrong.
        case baseGone(String)
        case readerFailed(SystemCallError)

        public var description: String {
            switch self {
            case .baseGone(let what): "the storage base was \(what); stopping"
            case .readerFailed(let error): "reading inotify failed: \(error)"
            }
        }
    }

    /// How long a directory's MOVED_FROM waits for its MOVED_TO before it
    /// counts as moved out of the tree. The kernel queues both halves together;
    /// this only covers a read that split them.
    static let movePairingWindow = 0.25

    /// From this many new files in one batch, they go in with `insertNew`.
    /// Below it, recompiling the connection's statements after the triggers
    /// come back on costs more than doing the triggers' work per batch saves.
    static let newFilesInsertedTogether = 32

    let store: IndexStore
    let categorizer: Categorizer
    let basePath: String
    let logger: Logger
    /// nil in poll mode: the walks reconcile, nothing is watched.
    let inotify: Inotify?
    let queue: EventQueue
    let now: () -> Int64
    let parents: ParentDirectories
    let baseDevice: UInt64
    private let base: FileDescriptor
    private let scanner: Scanner

    public internal(set) var watches = WatchTable()
    public internal(set) var status = WatcherStatus()
    private var baseWatch: Int32 = -1
    private var stopped: Stop?
    var problems = DirectoryProblems()
    private var loggedWatchLimit = false

    /// The batch being gathered; applied when no directory move is half-seen.
    var batch = IndexerBatch()
    private var directoryMoves = DirectoryMovePairing(window: Indexer.movePairingWindow)

    public init(
        store: IndexStore, categorizer: Categorizer, basePath: String, inotify: Inotify?, queue: EventQueue,
        logger: Logger, now: @escaping () -> Int64 = WallClock.now
    ) throws {
        self.store = store
        self.categorizer = categorizer
        self.basePath = basePath
        self.inotify = inotify
        self.queue = queue
        self.logger = logger
        self.now = now
        base = try FileDescriptor.open(PathBytes.bytes(basePath), access: .readOnly, options: .directory)
        baseDevice = try base.status().device
        parents = try ParentDirectories(base: base)
        scanner = Scanner(
            store: store, categorizer: categorizer, basePath: basePath, cause: "reconcile", now: now, logger: logger)
    }

    // MARK: Reconcile

    /// Watches every directory (each before it is read) and reconciles the
    /// whole index with the disk. Run at startup, after an overflow, and
    /// whenever information was lost.
    public func reconcileEverything(reason: String) throws {
        let started = MonotonicClock.seconds()
        var seen: Set<Int32> = []
        problems.walkStarted()
        let summary: Scanner.Summary
        do {
            summary = try scanner.reconcile(onDirectory: { [self] directory, path in
                if let watch = watch(directory, path: path) { seen.insert(watch) }
            })
        } catch {
            // Not done until it is done: the next turn tries the whole walk again.
            batch.needsFullReconcile = true
            throw error
        }
        // Watches of directories the walk no longer found are stale.
        for (watch, _) in watches.all where !seen.contains(watch) {
            inotify?.removeWatch(watch)
            watches.remove(watch)
        }
        status.fullReconciles += 1
        status.count(summary.totals)
        status.watches = watches.count
        settleDirectoryProblems(walked: [], unreadableFound: summary.unreadable)
        status.lastCommitAt = now()
        logger.info(
            "reconciled the index with the disk",
            [
                "reason": reason, "files": String(summary.totals.filesOnDisk), "added": String(summary.totals.added),
                "changed": String(summary.totals.changed), "removed": String(summary.totals.removed),
                "unreadable": String(summary.totals.unreadable), "watches": String(watches.count),
                "seconds": Formatting.fixed(MonotonicClock.seconds() - started, digits: 2),
            ])
    }

    /// Watches and reconciles one directory subtree (a new or moved-in folder,
    /// or one whose watch failed earlier).
    func reconcileSubtree(_ path: [UInt8], logSummary: Bool = false) throws {
        problems.walkStarted()
        let summary = try scanner.reconcile(
            subtree: path, logSummary: logSummary,
            onDirectory: { [self] directory, walked in
                _ = watch(directory, path: walked)
            })
        status.subtreeReconciles += 1
        status.count(summary.totals)
        status.watches = watches.count
        settleDirectoryProblems(walked: path, unreadableFound: summary.unreadable)
        if summary.totals.differences > 0 { status.lastCommitAt = now() }
    }

    /// Adds (or refreshes) the watch of an open directory. A watch-limit failure
    /// is loud and remembered: that subtree is reconciled periodically instead.
    private func watch(_ directory: FileDescriptor, path: [UInt8]) -> Int32? {
        guard let inotify else { return nil }
        do {
            let watch = try inotify.addWatch(directory, path: path)
            watches.set(watch, path: path)
            if path.isEmpty { baseWatch = watch }
            problems.watched(path)
            return watch
        } catch {
            status.watchFailures += 1
            problems.watchFailed(path)
            if error.errno != ENOSPC {
                logger.error("cannot watch directory", ["path": PathBytes.display(path), "error": error.description])
            } else if !loggedWatchLimit {
                loggedWatchLimit = true
                logger.error(
                    "inotify watch limit reached; the index is degraded until it is raised",
                    [
                        "path": PathBytes.display(path), "watches": String(watches.count),
                        "fix": "sysctl fs.inotify.max_user_watches=\(max(watches.count * 4, 524_288))",
                    ])
            }
            return nil
        }
    }

    /// Counts differences a scheduled verify found (health, stats, metrics).
    public func recordDivergence(_ count: Int) { status.divergences += count }

    /// Reconciles what could not be watched (the watch limit) or read; called
    /// periodically while degraded. A folder that is gone by now stops counting.
    public func reconcileUnwatched() throws {
        guard !problems.isEmpty else { return }
        for root in problems.reconcileRoots { try reconcileSubtree(root) }
    }

    private func settleDirectoryProblems(
        walked: [UInt8], unreadableFound: [(directory: [UInt8], error: SystemCallError)]
    ) {
        let settled = problems.settle(walked: walked, unreadableFound: unreadableFound)
        for (directory, error) in settled.newlyUnreadable {
            logger.warning(
                "directory not readable; its rows are kept",
                ["path": PathBytes.display(directory), "error": String(cString: strerror(error.errno))])
        }
        for directory in settled.readableAgain {
            logger.info("directory readable again, or gone", ["path": PathBytes.display(directory)])
        }
        publishDirectoryProblems()
    }

    /// Counts the directory problems into the status; says so when the last
    /// unwatched directory is watched again.
    func publishDirectoryProblems() {
        let wasDegraded = status.degraded
        status.unwatchedDirectories = problems.unwatched.count
        status.unreadableDirectories = problems.unreadable.count
        if wasDegraded && !status.degraded {
            loggedWatchLimit = false
            logger.info("every directory is watched again; the index is complete", ["watches": String(watches.count)])
        }
    }

    // MARK: Events

    /// Takes everything the reader queued and folds it into the current batch;
    /// applies the batch when no directory move is waiting for its other half.
    /// Returns when there was nothing to do.
    @discardableResult
    public func processQueued() throws -> Bool {
        // A stop stays a stop, even if a job that drained the queue swallowed it.
        if let stopped { throw stopped }
        defer { afterBatch?() }
        do {
            return try processQueuedOnce()
        } catch let stop as Stop {
            stopped = stop
            throw stop
        }
    }

    /// For long work between its slices (a cleanup): applies what is queued
    /// like `processQueued`, but a batch the index cannot take now stays
    /// gathered for the daemon's loop to retry, so a busy or full index does
    /// not abort a cleanup that is freeing the very space it needs.
    public func catchUp() throws(Stop) {
        do {
            try processQueued()
        } catch let stop as Stop {
            throw stop
        } catch {
            logger.warning("the index cannot take the watcher's changes now; they are kept", ["error": "\(error)"])
        }
    }

    /// Called after every `processQueued`, wherever it was called from.
    public var afterBatch: (() -> Void)?

    private func processQueuedOnce() throws -> Bool {
        let (events, dropped, readerError) = queue.takeAll()
        if let readerError { throw Stop.readerFailed(readerError) }
        if dropped {
            status.overflows += 1
            logger.warning("event queue over capacity; reconciling", ["capacity": String(queue.capacity)])
            batch.needsFullReconcile = true
        }
        for event in events { try take(event) }
        status.eventsProcessed += events.count
        let expired = directoryMoves.expire(now: MonotonicClock.seconds())
        for from in expired { movedOut(from) }
        guard directoryMoves.isEmpty else { return !events.isEmpty }
        let hadWork = !events.isEmpty || !expired.isEmpty || batch.needsFullReconcile
        try applyBatch()
        return hadWork
    }

    /// When the earliest waiting move half expires (monotonic seconds), if any.
    public var nextDeadline: Double? { directoryMoves.nextDeadline }

    /// Folds one event into the batch. Events about the queue or the watches
    /// themselves are handled here; the rest name an entry of a watched directory.
    private func take(_ event: InotifyEvent) throws {
        if event.has(IN_Q_OVERFLOW) {
            status.overflows += 1
            logger.warning(
                "inotify queue overflowed; reconciling the whole tree",
                ["max_queued_events": Inotify.maxQueuedEvents.map(String.init) ?? "unknown"])
            batch.needsFullReconcile = true
            return
        }
        if event.has(IN_IGNORED) {
            if event.watch == baseWatch { throw Stop.baseGone("deleted or unmounted") }
            watches.ended(event.watch)
            return
        }
        guard let directory = watches.path(of: event.watch) else {
            if !watches.wasRetired(event.watch) {
                logger.warning("event for an unknown watch; reconciling", ["watch": String(event.watch)])
                batch.needsFullReconcile = true
            }
            return
        }
        if event.watch == baseWatch {
            if event.has(IN_DELETE_SELF) { throw Stop.baseGone("deleted") }
            if event.has(IN_MOVE_SELF) { throw Stop.baseGone("moved") }
            if event.has(IN_UNMOUNT) { throw Stop.baseGone("unmounted") }
        }
        if event.has(IN_UNMOUNT) {
            batch.subtreesToReconcile.append(directory)
            return
        }
        if event.has(IN_DELETE_SELF) || event.has(IN_MOVE_SELF) { return }  // the parent reports these
        if directory.isEmpty && TreeWalker.reservedTopLevelNames.contains(event.name) { return }
        let key = IndexerBatch.EntryKey(watch: event.watch, name: event.name)
        if event.isDirectory {
            takeDirectoryEvent(event, Entry(path: PathBytes.join(directory, event.name), key: key))
        } else {
            takeFileEvent(event, directory: directory, key: key)
        }
    }

    /// An entry an event names: its path now, and its key for the batch.
    private struct Entry {
        let path: [UInt8]
        let key: IndexerBatch.EntryKey
    }

    private func takeDirectoryEvent(_ event: InotifyEvent, _ entry: Entry) {
        if event.has(IN_MOVED_FROM) {
            directoryMoves.departed(entry.path, cookie: event.cookie, now: MonotonicClock.seconds())
        } else if event.has(IN_MOVED_TO) {
            if let from = directoryMoves.arrived(cookie: event.cookie) {
                movedWithin(from, to: entry.path, key: entry.key)
            } else {
                batch.addNewDirectory(entry.key)  // moved in from outside the tree
            }
        } else if event.has(IN_CREATE) {
            batch.addNewDirectory(entry.key)
        } else if event.has(IN_DELETE) {
            for watch in watches.watches(inSubtreeOf: entry.path) { watches.remove(watch) }
            forgetDirectoryProblems(under: entry.path)
            batch.record(.removed(entry.path))
        } else if event.has(IN_ATTRIB) && problems.unreadable.contains(entry.path) {
            // Perhaps made readable (chmod): the reconcile reads and watches it, or finds it still locked.
            batch.subtreesToReconcile.append(entry.path)
        }
    }

    /// Most events of a burst (CREATE, MODIFY, CLOSE_WRITE) only mark their
    /// name dirty; a path is built for the halves of a rename alone.
    private func takeFileEvent(_ event: InotifyEvent, directory: [UInt8], key: IndexerBatch.EntryKey) {
        if event.has(IN_MOVED_FROM) {
            batch.fileRenames.departed(PathBytes.join(directory, event.name), cookie: event.cookie)
        }
        if event.has(IN_MOVED_TO) {
            batch.fileRenames.arrived(PathBytes.join(directory, event.name), cookie: event.cookie)
        }
        batch.markDirty(key)
    }

    private func movedWithin(_ from: [UInt8], to: [UInt8], key: IndexerBatch.EntryKey) {
        if watches.watch(of: from) == nil {
            // Never watched (created and renamed in one breath): read it fresh.
            forgetDirectoryProblems(under: from)
            batch.record(.removed(from))
            batch.addNewDirectory(key)
            return
        }
        watches.move(from, to: to)
        problems.move(from: from, to: to)
        publishDirectoryProblems()
        batch.record(.moved(from: from, to: to))
    }

    private func movedOut(_ path: [UInt8]) {
        for watch in watches.watches(inSubtreeOf: path) {
            inotify?.removeWatch(watch)
            watches.remove(watch)
        }
        forgetDirectoryProblems(under: path)
        batch.record(.removed(path))
    }

    /// A folder deleted or moved out of the tree: nothing under it is missing a watch or unreadable any more.
    private func forgetDirectoryProblems(under path: [UInt8]) {
        problems.forget(under: path)
        publishDirectoryProblems()
    }
}
