/// What the indexer gathered from events since its last commit: the paths to
/// look at again and the directory changes to apply, in order. A value: once
/// applied it is replaced whole (`batch = IndexerBatch()`), so nothing of one
/// batch can leak into the next.
struct IndexerBatch {
    /// A name inside a watched directory, resolved to a path only when the batch
    /// is applied, so directory renames earlier in the batch are already known.
    struct EntryKey: Hashable {
        let watch: Int32
        let name: [UInt8]
    }

    /// Directory changes, applied to rows in the order they happened.
    enum StructuralChange: Equatable {
        case moved(from: [UInt8], to: [UInt8])
        case removed([UInt8])
    }

    private(set) var structural: [StructuralChange] = []
    /// Names to `lstat` again, each once, in the order first seen.
    private(set) var dirty: [EntryKey] = []
    private var dirtySet: Set<EntryKey> = []
    /// Directories created or moved in from outside: read and watched whole.
    private(set) var newDirectories: [EntryKey] = []
    var subtreesToReconcile: [[UInt8]] = []
    /// Events were lost: a full reconcile replaces everything else gathered.
    var needsFullReconcile = false
    var fileRenames = FileRenames()

    /// Nothing to write and nothing to read.
    var isEmpty: Bool {
        structural.isEmpty && dirty.isEmpty && newDirectories.isEmpty && subtreesToReconcile.isEmpty
    }

    mutating func markDirty(_ key: EntryKey) {
        if dirtySet.insert(key).inserted { dirty.append(key) }
    }

    mutating func addNewDirectory(_ key: EntryKey) { newDirectories.append(key) }

    mutating func record(_ change: StructuralChange) { structural.append(change) }
}
