/// Pairs the two halves of a directory rename. inotify reports a rename as an
/// `IN_MOVED_FROM` in the old parent and an `IN_MOVED_TO` in the new one,
/// sharing a cookie. The kernel queues both together, but one read may end
/// between them, so a lone `IN_MOVED_FROM` waits a short window for its other
/// half before it counts as moved out of the tree.
struct DirectoryMovePairing {
    /// A directory half of a rename waiting for its other half.
    struct Waiting: Equatable {
        let from: [UInt8]
        let deadline: Double
    }

    /// How long a lone `IN_MOVED_FROM` waits, in seconds.
    let window: Double
    private var waiting: [UInt32: Waiting] = [:]

    init(window: Double) { self.window = window }

    /// Nothing waits for its other half: the batch may be applied.
    var isEmpty: Bool { waiting.isEmpty }

    /// When the earliest waiting half expires (monotonic seconds), if any.
    var nextDeadline: Double? { waiting.values.map(\.deadline).min() }

    /// `IN_MOVED_FROM` of a directory at monotonic time `now`.
    mutating func departed(_ path: [UInt8], cookie: UInt32, now: Double) {
        waiting[cookie] = Waiting(from: path, deadline: now + window)
    }

    /// `IN_MOVED_TO` of a directory: where it came from, or nil when it came
    /// from outside the tree (or its first half already expired).
    mutating func arrived(cookie: UInt32) -> [UInt8]? {
        waiting.removeValue(forKey: cookie)?.from
    }

    /// The departures whose window has passed at `now`, earliest first: they
    /// left the tree. They no longer wait.
    mutating func expire(now: Double) -> [[UInt8]] {
        let expired = waiting.filter { $0.value.deadline <= now }
        for cookie in expired.keys { waiting[cookie] = nil }
        return expired.values.sorted { first, second in
            first.deadline != second.deadline
                ? first.deadline < second.deadline : first.from.lexicographicallyPrecedes(second.from)
        }.map(\.from)
    }
}

/// Pairs the halves of file renames within one batch. A file's rename needs
/// no window: a half that arrives alone is simply a name appearing or going,
/// which `lstat` settles either way; a pair found is logged as one `move`.
struct FileRenames {
    private var sources: [UInt32: [UInt8]] = [:]
    /// Destination path to source path, for each rename paired in the batch.
    private(set) var sourceByDestination: [[UInt8]: [UInt8]] = [:]
    /// Sources of paired renames: their row's removal is the move, not a delete.
    private(set) var movedAway: Set<[UInt8]> = []

    /// `IN_MOVED_FROM` of a file.
    mutating func departed(_ path: [UInt8], cookie: UInt32) { sources[cookie] = path }

    /// `IN_MOVED_TO` of a file: pairs it with its departure, if one was seen.
    mutating func arrived(_ path: [UInt8], cookie: UInt32) {
        guard let source = sources.removeValue(forKey: cookie) else { return }
        sourceByDestination[path] = source
        movedAway.insert(source)
    }
}
