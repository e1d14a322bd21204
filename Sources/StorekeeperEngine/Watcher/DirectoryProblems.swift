import StorekeeperIndex
import StorekeeperSystem

/// Directories the watcher cannot keep exactly: those it could not watch (the
/// watch limit), reconciled periodically instead, and those the last walk
/// over them could not read, whose rows are kept as they were. Paths are
/// relative to the base; the empty path is the base.
struct DirectoryProblems {
    private(set) var unwatched: Set<[UInt8]> = []
    /// Directories whose watch failed during the walk in progress: a walk
    /// replaces what `unwatched` held for its subtree, so a folder deleted
    /// or moved away since its watch failed stops counting.
    private var unwatchedByWalk: Set<[UInt8]> = []
    private(set) var unreadable: Set<[UInt8]> = []

    /// What a walk changed about unreadable directories, for the log.
    struct Settled {
        var newlyUnreadable: [(directory: [UInt8], error: SystemCallError)] = []
        var readableAgain: [[UInt8]] = []
    }

    mutating func walkStarted() { unwatchedByWalk.removeAll() }

    mutating func watched(_ path: [UInt8]) { unwatched.remove(path) }

    mutating func watchFailed(_ path: [UInt8]) {
        unwatched.insert(path)
        unwatchedByWalk.insert(path)
    }

    /// After a walk of `walked`: what it could not watch or read is exactly
    /// what that subtree now holds of either, whatever was recorded before.
    mutating func settle(
        walked: [UInt8], unreadableFound: [(directory: [UInt8], error: SystemCallError)]
    ) -> Settled {
        unwatched = unwatched.filter { !Self.path($0, isIn: walked) }.union(unwatchedByWalk)
        unwatchedByWalk.removeAll()
        var settled = Settled()
        var stillUnreadable = unreadable.filter { !Self.path($0, isIn: walked) }
        for (directory, error) in unreadableFound {
            stillUnreadable.insert(directory)
            if !unreadable.contains(directory) { settled.newlyUnreadable.append((directory, error)) }
        }
        settled.readableAgain = Array(unreadable.subtracting(stillUnreadable))
        unreadable = stillUnreadable
        return settled
    }

    /// A folder deleted or moved out of the tree: nothing under it is missing
    /// a watch or unreadable any more.
    mutating func forget(under path: [UInt8]) {
        unwatched = unwatched.filter { !Self.path($0, isIn: path) }
        unreadable = unreadable.filter { !Self.path($0, isIn: path) }
    }

    /// A watched folder renamed within the tree: what under it could not be
    /// watched or read is still so, under its new path.
    mutating func move(from: [UInt8], to: [UInt8]) {
        func renamed(_ paths: Set<[UInt8]>) -> Set<[UInt8]> {
            Set(paths.map { Self.path($0, isIn: from) ? to + $0.dropFirst(from.count) : $0 })
        }
        unwatched = renamed(unwatched)
        unreadable = renamed(unreadable)
    }

    /// The subtrees a degraded watcher reconciles: parents first, so a
    /// child's walk is not repeated inside its parent's.
    var reconcileRoots: [[UInt8]] {
        unwatched.union(unreadable).sorted(by: PathOrder.less).reduce(into: [[UInt8]]()) { roots, path in
            if let last = roots.last, Self.path(path, isIn: last) { return }
            roots.append(path)
        }
    }

    var isEmpty: Bool { unwatched.isEmpty && unreadable.isEmpty }

    /// `path` is `subtree` itself or inside it; the empty path is the base.
    static func path(_ path: [UInt8], isIn subtree: [UInt8]) -> Bool {
        subtree.isEmpty || path == subtree || SubtreeRange(subtree).contains(path)
    }
}
