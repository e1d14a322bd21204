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

    /// A directory half of a rename waiting for its other half.
    struct PendingMove {
        let from: [UInt8]
        let deadline: Double
    }

    /// A name inside a watched directory, resolved to a path only when the batch
    /// is applied, so directory renames earlier in the batch are already known.
    struct EntryKey: Hashable {
        let watch: Int32
        let name: [UInt8]
    }

    /// Directory changes, applied to rows in the order they happened.
    enum StructuralChange {
        case moved(from: [UInt8], to: [UInt8])
        case removed([UInt8])
    }

    /// How long a directory's MOVED_FROM waits for its MOVED_TO before it
    /// counts as moved out of the tree. The kernel queues both halves together;
    /// this only covers a read that split them.
    static let movePairingWindow = 0.25

    let store: IndexStore
    let categorizer: Categorizer
    let basePath: String
    let logger: Logger
    let inotify: Inotify
    let queue: EventQueue
    let now: () -> Int64
    private let base: FileDescriptor
    private let baseDevice: UInt64
    private let parents: ParentDirectories
    private let scanner: Scanner

    public private(set) var watches = WatchTable()
    public private(set) var status = WatcherStatus()
    private var baseWatch: Int32 = -1
    private var stopped: Stop?
    private var unwatched: Set<[UInt8]> = []
    /// Directories whose watch failed during the walk in progress: a walk
    /// replaces what `unwatched` held for its subtree, so a folder deleted
    /// or moved away since its watch failed stops counting.
    private var unwatchedByWalk: Set<[UInt8]> = []
    /// Directories the last walk over them could not read (their rows are kept).
    private var unreadable: Set<[UInt8]> = []
    private var loggedWatchLimit = false

    // The batch being gathered; applied when no directory move is half-seen.
    private var pendingMoves: [UInt32: PendingMove] = [:]
    private var structural: [StructuralChange] = []
    private var dirty: [EntryKey] = []
    private var dirtySet: Set<EntryKey> = []
    private var newDirectories: [EntryKey] = []
    private var subtreesToReconcile: [[UInt8]] = []
    private var needsFullReconcile = false
    private var fileMoveSources: [UInt32: [UInt8]] = [:]
    private var fileMoves: [[UInt8]: [UInt8]] = [:]
    private var fileMovedAway: Set<[UInt8]> = []

    public init(
        store: IndexStore, categorizer: Categorizer, basePath: String, inotify: Inotify, queue: EventQueue,
        logger: Logger, now: @escaping () -> Int64 = WallClock.now
    ) throws {
        self.store = store
        self.categorizer = categorizer
        self.basePath = basePath
        self.inotify = inotify
        self.queue = queue
        self.logger = logger
        self.now = now
        base = try FileDescriptor.open(PathBytes.bytes(basePath), flags: O_RDONLY | O_DIRECTORY)
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
        unwatchedByWalk.removeAll()
        let summary: Scanner.Summary
        do {
            summary = try scanner.reconcile(onDirectory: { [self] directory, path in
                if let watch = watch(directory, path: path) { seen.insert(watch) }
            })
        } catch {
            // Not done until it is done: the next turn tries the whole walk again.
            needsFullReconcile = true
            throw error
        }
        // Watches of directories the walk no longer found are stale.
        for (watch, _) in watches.all where !seen.contains(watch) {
            inotify.removeWatch(watch)
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
        unwatchedByWalk.removeAll()
        let summary = try scanner.reconcile(subtree: path, logSummary: logSummary, onDirectory: { [self] directory, walked in
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
        do {
            let watch = try inotify.addWatch(directory, path: path)
            watches.set(watch, path: path)
            if path.isEmpty { baseWatch = watch }
            unwatched.remove(path)
            return watch
        } catch {
            status.watchFailures += 1
            unwatched.insert(path)
            unwatchedByWalk.insert(path)
            if error.errno == ENOSPC {
                if !loggedWatchLimit {
                    loggedWatchLimit = true
                    logger.error(
                        "inotify watch limit reached; the index is degraded until it is raised",
                        [
                            "path": PathBytes.display(path), "watches": String(watches.count),
                            "fix": "sysctl fs.inotify.max_user_watches=\(max(watches.count * 4, 524_288))",
                        ])
                }
            } else {
                logger.error("cannot watch directory", ["path": PathBytes.display(path), "error": error.description])
            }
            return nil
        }
    }

    /// Counts differences a scheduled verify found (health, stats, metrics).
    public func recordDivergence(_ count: Int) { status.divergences += count }

    /// Reconciles what could not be watched (the watch limit) or read; called
    /// periodically while degraded. A folder that is gone by now stops counting.
    public func reconcileUnwatched() throws {
        guard !unwatched.isEmpty || !unreadable.isEmpty else { return }
        // Parents first, so a child's walk is not repeated inside its parent's.
        let roots = unwatched.union(unreadable).sorted(by: PathOrder.less).reduce(into: [[UInt8]]()) { roots, path in
            if let last = roots.last, Self.path(path, isIn: last) { return }
            roots.append(path)
        }
        for root in roots { try reconcileSubtree(root) }
    }

    /// `path` is `subtree` itself or inside it; the empty path is the base.
    private static func path(_ path: [UInt8], isIn subtree: [UInt8]) -> Bool {
        subtree.isEmpty || path == subtree || SubtreeRange(subtree).contains(path)
    }

    /// After a walk of `walked`: what it could not watch or read is exactly
    /// what that subtree now holds of either, whatever was recorded before.
    private func settleDirectoryProblems(
        walked: [UInt8], unreadableFound: [(directory: [UInt8], error: SystemCallError)]
    ) {
        unwatched = unwatched.filter { !Self.path($0, isIn: walked) }.union(unwatchedByWalk)
        unwatchedByWalk.removeAll()
        var stillUnreadable = unreadable.filter { !Self.path($0, isIn: walked) }
        for (directory, error) in unreadableFound {
            stillUnreadable.insert(directory)
            guard !unreadable.contains(directory) else { continue }
            logger.warning(
                "directory not readable; its rows are kept",
                ["path": PathBytes.display(directory), "error": String(cString: strerror(error.errno))])
        }
        for directory in unreadable.subtracting(stillUnreadable) {
            logger.info("directory readable again, or gone", ["path": PathBytes.display(directory)])
        }
        unreadable = stillUnreadable
        publishDirectoryProblems()
    }

    /// A folder deleted or moved out of the tree: nothing under it is missing a watch or unreadable any more.
    private func forgetDirectoryProblems(under path: [UInt8]) {
        unwatched = unwatched.filter { !Self.path($0, isIn: path) }
        unreadable = unreadable.filter { !Self.path($0, isIn: path) }
        publishDirectoryProblems()
    }

    /// A watched folder renamed within the tree: what under it could not be
    /// watched or read is still so, under its new path.
    private func moveDirectoryProblems(from: [UInt8], to: [UInt8]) {
        func renamed(_ paths: Set<[UInt8]>) -> Set<[UInt8]> {
            Set(paths.map { Self.path($0, isIn: from) ? to + $0.dropFirst(from.count) : $0 })
        }
        unwatched = renamed(unwatched)
        unreadable = renamed(unreadable)
        publishDirectoryProblems()
    }

    private func publishDirectoryProblems() {
        let wasDegraded = status.degraded
        status.unwatchedDirectories = unwatched.count
        status.unreadableDirectories = unreadable.count
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
            needsFullReconcile = true
        }
        for event in events { try take(event) }
        status.eventsProcessed += events.count
        let monotonic = MonotonicClock.seconds()
        let expired = pendingMoves.filter { $0.value.deadline <= monotonic }
        for (cookie, move) in expired {
            pendingMoves[cookie] = nil
            movedOut(move.from)
        }
        guard pendingMoves.isEmpty else { return !events.isEmpty }
        let hadWork = !events.isEmpty || !expired.isEmpty || needsFullReconcile
        try applyBatch()
        return hadWork
    }

    /// When the earliest waiting move half expires (monotonic seconds), if any.
    public var nextDeadline: Double? { pendingMoves.values.map(\.deadline).min() }

    private func take(_ event: InotifyEvent) throws {
        if event.has(IN_Q_OVERFLOW) {
            status.overflows += 1
            logger.warning(
                "inotify queue overflowed; reconciling the whole tree",
                ["max_queued_events": Inotify.maxQueuedEvents.map(String.init) ?? "unknown"])
            needsFullReconcile = true
            return
        }
        if event.has(IN_IGNORED) {
            if event.watch == baseWatch { throw Stop.baseGone("deleted or unmounted") }
            watches.remove(event.watch)
            return
        }
        guard let directory = watches.path(of: event.watch) else {
            if !watches.wasRetired(event.watch) {
                logger.warning("event for an unknown watch; reconciling", ["watch": String(event.watch)])
                needsFullReconcile = true
            }
            return
        }
        if event.watch == baseWatch {
            if event.has(IN_DELETE_SELF) { throw Stop.baseGone("deleted") }
            if event.has(IN_MOVE_SELF) { throw Stop.baseGone("moved") }
            if event.has(IN_UNMOUNT) { throw Stop.baseGone("unmounted") }
        }
        if event.has(IN_UNMOUNT) {
            subtreesToReconcile.append(directory)
            return
        }
        if event.has(IN_DELETE_SELF) || event.has(IN_MOVE_SELF) { return }  // the parent reports these
        if directory.isEmpty && TreeWalker.reservedTopLevelNames.contains(event.name) { return }
        let path = PathBytes.join(directory, event.name)
        let key = EntryKey(watch: event.watch, name: event.name)

        if event.isDirectory {
            if event.has(IN_MOVED_FROM) {
                pendingMoves[event.cookie] = PendingMove(
                    from: path, deadline: MonotonicClock.seconds() + Self.movePairingWindow)
            } else if event.has(IN_MOVED_TO) {
                if let move = pendingMoves.removeValue(forKey: event.cookie) {
                    movedWithin(move.from, to: path, key: key)
                } else {
                    newDirectories.append(key)  // moved in from outside the tree
                }
            } else if event.has(IN_CREATE) {
                newDirectories.append(key)
            } else if event.has(IN_DELETE) {
                for watch in watches.watches(inSubtreeOf: path) { watches.remove(watch) }
                forgetDirectoryProblems(under: path)
                structural.append(.removed(path))
            } else if event.has(IN_ATTRIB) && unreadable.contains(path) {
                // Perhaps made readable (chmod): the reconcile reads and watches it, or finds it still locked.
                subtreesToReconcile.append(path)
            }
            return
        }
        if event.has(IN_MOVED_FROM) { fileMoveSources[event.cookie] = path }
        if event.has(IN_MOVED_TO), let source = fileMoveSources.removeValue(forKey: event.cookie) {
            fileMoves[path] = source
            fileMovedAway.insert(source)
        }
        if dirtySet.insert(key).inserted { dirty.append(key) }
    }

    private func movedWithin(_ from: [UInt8], to: [UInt8], key: EntryKey) {
        if watches.watch(of: from) == nil {
            // Never watched (created and renamed in one breath): read it fresh.
            forgetDirectoryProblems(under: from)
            structural.append(.removed(from))
            newDirectories.append(key)
            return
        }
        watches.move(from, to: to)
        moveDirectoryProblems(from: from, to: to)
        structural.append(.moved(from: from, to: to))
    }

    private func movedOut(_ path: [UInt8]) {
        for watch in watches.watches(inSubtreeOf: path) {
            inotify.removeWatch(watch)
            watches.remove(watch)
        }
        forgetDirectoryProblems(under: path)
        structural.append(.removed(path))
    }

    // MARK: Applying a batch

    /// Applies the gathered batch in one transaction. When the index cannot
    /// take it (another process holds the write lock, or the disk is full),
    /// nothing is dropped: the batch stays gathered, grows with what arrives
    /// meanwhile, and is applied whole on a later turn — every entry in it is
    /// a path to `lstat` again, so applying it late is as exact as applying it now.
    private func applyBatch() throws {
        if needsFullReconcile {
            // A full reconcile covers everything gathered so far.
            clearBatch()
            needsFullReconcile = false
            try reconcileEverything(reason: "lost events")
            return
        }
        guard !structural.isEmpty || !dirty.isEmpty || !newDirectories.isEmpty || !subtreesToReconcile.isEmpty
        else { return }

        let time = now()
        var directoriesFound: [[UInt8]] = []
        defer { parents.reset() }
        try store.database.transaction {
            for change in structural { try apply(change, time: time) }
            for key in dirty {
                guard let directory = watches.path(of: key.watch) else { continue }
                if let found = try refresh(PathBytes.join(directory, key.name), time: time) {
                    directoriesFound.append(found)
                }
            }
        }
        status.lastCommitAt = time
        var subtrees = newDirectories.compactMap { key in watches.path(of: key.watch).map { PathBytes.join($0, key.name) } }
        subtrees += directoriesFound + subtreesToReconcile
        clearBatch()
        // A reconcile that fails leaves itself and the ones after it for the next turn.
        while let subtree = subtrees.first {
            do {
                try reconcileSubtree(subtree)
            } catch {
                subtreesToReconcile = subtrees
                throw error
            }
            subtrees.removeFirst()
        }
        status.watches = watches.count
    }

    private func clearBatch() {
        structural.removeAll(keepingCapacity: true)
        dirty.removeAll(keepingCapacity: true)
        dirtySet.removeAll(keepingCapacity: true)
        newDirectories.removeAll()
        subtreesToReconcile.removeAll()
        fileMoveSources.removeAll()
        fileMoves.removeAll()
        fileMovedAway.removeAll()
    }

    private func apply(_ change: StructuralChange, time: Int64) throws {
        switch change {
        case .moved(let from, let to):
            let moved = try store.moveSubtree(from, to: to, categorizer: categorizer)
            status.moved += 1
            try store.record(
                IndexEvent(
                    time: time, action: .move, path: from, newPath: to, category: categorizer.category(of: to + [0x2F]),
                    cause: "watcher", detail: "directory, files=\(moved)"))
        case .removed(let path):
            let removed = try store.deleteSubtree(path)
            if removed > 0 {
                status.deleted += 1
                try store.record(
                    IndexEvent(
                        time: time, action: .delete, path: path, cause: "watcher",
                        detail: "directory, files=\(removed)"))
            }
        }
    }

    /// Brings one path's row in line with `lstat`. Returns the path when it
    /// turned out to be a directory, which is then read and watched.
    private func refresh(_ path: [UInt8], time: Int64) throws -> [UInt8]? {
        var linked: Set<UInt64> = []
        let directory = try refreshName(path, time: time, linked: &linked)
        if !linked.isEmpty { try refreshOtherNames(of: linked, except: path, time: time) }
        return directory
    }

    /// `refresh` for one name; `linked` gets the inodes whose other names need a look.
    private func refreshName(_ path: [UInt8], time: Int64, linked: inout Set<UInt64>) throws -> [UInt8]? {
        let onDisk: FileStatus?
        do {
            onDisk = try parents.status(of: path)
        } catch {
            logger.warning("cannot stat; reconciling its folder", ["path": PathBytes.display(path), "error": error.description])
            subtreesToReconcile.append(PathBytes.components(path).dropLast().reduce([]) { PathBytes.join($0, $1) })
            return nil
        }
        let row = try store.file(at: path)
        // A write, truncate or utime through one name changes what every name
        // of the inode shows, and a name going changes the others' link count,
        // but inotify reports only the name used.
        if let row, row.nlink > 1 { linked.insert(row.inode) }
        if let onDisk, onDisk.isIndexed, onDisk.nlink > 1 { linked.insert(onDisk.inode) }
        guard let onDisk, onDisk.isIndexed, onDisk.device == baseDevice else {
            if let row {
                try store.delete(path: path)
                if fileMovedAway.contains(path) { return nil }  // logged as the move's destination
                status.deleted += 1
                try store.record(
                    IndexEvent(time: time, action: .delete, path: path, category: row.category, size: row.size, cause: "watcher"))
            }
            return onDisk?.kind == .directory ? path : nil
        }
        let file = IndexedFile(path: path, category: categorizer.category(of: path), status: onDisk)
        if let source = fileMoves[path] {
            // A rename (an atomic save, too): one `move` event, whatever the row held.
            if let row {
                if !row.differences(from: file).isEmpty { try store.update(file) }
            } else {
                try store.insert(file, now: time)
            }
            status.moved += 1
            try store.record(
                IndexEvent(
                    time: time, action: .move, path: source, newPath: path, category: file.category, size: file.size,
                    cause: "watcher"))
        } else if let row {
            guard !row.differences(from: file).isEmpty else { return nil }
            try store.update(file)
            status.modified += 1
            try store.record(
                IndexEvent(
                    time: time, action: .modify, path: path, category: file.category, size: file.size, cause: "watcher",
                    detail: row.differences(from: file).joined(separator: ", ")))
        } else {
            try store.insert(file, now: time)
            status.created += 1
            try store.record(
                IndexEvent(time: time, action: .create, path: path, category: file.category, size: file.size, cause: "watcher"))
        }
        return nil
    }

    /// Brings the other indexed names of `inodes` in line with `lstat`. A name
    /// that is gone is left to its own event (removing a name always makes one).
    private func refreshOtherNames(of inodes: Set<UInt64>, except path: [UInt8], time: Int64) throws {
        for inode in inodes.sorted() {
            for row in try store.files(withInode: inode) where row.path != path {
                // Unreadable now: its own event, or the next reconcile, tells.
                guard let onDisk = try? parents.status(of: row.path), onDisk.isIndexed, onDisk.device == baseDevice
                else { continue }
                let file = IndexedFile(path: row.path, category: categorizer.category(of: row.path), status: onDisk)
                let differences = row.differences(from: file)
                guard !differences.isEmpty else { continue }
                try store.update(file)
                status.modified += 1
                try store.record(
                    IndexEvent(
                        time: time, action: .modify, path: row.path, category: file.category, size: file.size,
                        cause: "watcher", detail: differences.joined(separator: ", ")))
            }
        }
    }
}
