import StorekeeperIndex

/// Which directory each watch descriptor stands for. inotify reports a watch
/// number and a name; this turns them into a path, and follows directory
/// renames so events from inside a moved folder land under its new path.
public struct WatchTable {
    private var pathByWatch: [Int32: [UInt8]] = [:]
    private var watchByPath: [[UInt8]: Int32] = [:]
    /// Watches dropped whose IN_IGNORED has not come yet: events still queued
    /// for them are expected. IN_IGNORED is a watch's last event, so it ends
    /// the entry (`ended`); otherwise every folder ever removed would stay
    /// here for the daemon's lifetime.
    private var retired: Set<Int32> = []

    public init() {}

    public var count: Int { pathByWatch.count }
    var retiredCount: Int { retired.count }

    public func path(of watch: Int32) -> [UInt8]? { pathByWatch[watch] }
    public func watch(of path: [UInt8]) -> Int32? { watchByPath[path] }
    public func wasRetired(_ watch: Int32) -> Bool { retired.contains(watch) }

    /// Records `watch` for `path`; a watch seen again under a new path (a move
    /// we could not pair) simply moves.
    public mutating func set(_ watch: Int32, path: [UInt8]) {
        if let old = pathByWatch[watch], old != path, watchByPath[old] == watch { watchByPath[old] = nil }
        if let other = watchByPath[path], other != watch { pathByWatch[other] = nil }
        pathByWatch[watch] = path
        watchByPath[path] = watch
        retired.remove(watch)
    }

    @discardableResult
    public mutating func remove(_ watch: Int32) -> [UInt8]? {
        guard let path = pathByWatch.removeValue(forKey: watch) else { return nil }
        if watchByPath[path] == watch { watchByPath[path] = nil }
        retired.insert(watch)
        return path
    }

    /// The kernel dropped `watch` (IN_IGNORED): nothing more comes for it.
    public mutating func ended(_ watch: Int32) {
        remove(watch)
        retired.remove(watch)
    }

    /// The watches of `directory` and everything below it.
    public func watches(inSubtreeOf directory: [UInt8]) -> [Int32] {
        let range = SubtreeRange(directory)
        return pathByWatch.compactMap { watch, path in
            path == directory || range.contains(path) ? watch : nil
        }
    }

    /// A directory moved from `old` to `new`: rewrite its path and its descendants'.
    public mutating func move(_ old: [UInt8], to new: [UInt8]) {
        for watch in watches(inSubtreeOf: old) {
            guard let path = pathByWatch[watch] else { continue }
            set(watch, path: new + path.dropFirst(old.count))
        }
    }

    /// All watched paths, for a reconcile that must drop watches it did not see.
    public var all: [(watch: Int32, path: [UInt8])] { pathByWatch.map { ($0.key, $0.value) } }
}
