import StorekeeperConfig
import StorekeeperIndex
import StorekeeperSystem

/// Merges one walk of the disk with the index rows of the same subtree, both in
/// path order, and reports every disagreement. The scanner writes them; `verify`
/// lists them. Memory is one index page plus one directory listing per level.
public struct IndexComparison {
    public enum Difference {
        /// On disk, not in the index.
        case added(IndexedFile)
        /// In both, with different facts.
        case changed(indexed: IndexedFile, onDisk: IndexedFile)
        /// In the index, not on disk.
        case removed(IndexedFile)
        /// A directory the walk could not read: its rows are left as they are.
        case unreadable(directory: [UInt8], error: SystemCallError)
    }

    public struct Totals: Equatable, Sendable {
        public var filesOnDisk = 0
        public var added = 0
        public var changed = 0
        public var removed = 0
        public var unreadable = 0
        public var directories = 0
        /// Mount points inside the tree the walk did not enter.
        public var mountPoints: [[UInt8]] = []

        public var differences: Int { added + changed + removed + unreadable }
    }

    let store: IndexStore
    let categorizer: Categorizer
    let basePath: String

    public init(store: IndexStore, categorizer: Categorizer, basePath: String) {
        self.store = store
        self.categorizer = categorizer
        self.basePath = basePath
    }

    /// Walks `subtree` and calls `report` for each difference, in path order.
    /// `progress` is called with the number of files seen every few thousand files.
    public func run(
        subtree: [UInt8] = [],
        onDirectory: ((FileDescriptor, [UInt8]) -> Void)? = nil,
        progress: ((Int) -> Void)? = nil,
        report: (Difference) throws -> Void
    ) throws -> Totals {
        let walker = try TreeWalker(basePath: basePath)
        walker.onDirectory = onDirectory
        let cursor = IndexCursor(store: store, subtree: subtree)
        var categories = LastCategory(categorizer)
        var totals = Totals()

        // Rows before `path` were not seen by the walk: gone from disk.
        func sweep(before path: [UInt8]) throws {
            while let row = try cursor.peek(), PathOrder.less(row.path, path) {
                totals.removed += 1
                try report(.removed(row))
                cursor.advance()
            }
        }

        try walker.walk(subtree: subtree) { item in
            switch item {
            case .entry(let path, let status):
                totals.filesOnDisk += 1
                if totals.filesOnDisk % 4096 == 0 { progress?(totals.filesOnDisk) }
                try sweep(before: path)
                let onDisk = IndexedFile(path: path, category: categories.category(of: path), status: status)
                if let row = try cursor.peek(), row.path == path {
                    cursor.advance()
                    if !row.differences(from: onDisk).isEmpty {
                        totals.changed += 1
                        try report(.changed(indexed: row, onDisk: onDisk))
                    }
                } else {
                    totals.added += 1
                    try report(.added(onDisk))
                }
            case .unreadable(let directory, let error):
                let range = SubtreeRange(directory)
                try sweep(before: range.lowerExclusive)
                while let row = try cursor.peek(), range.contains(row.path) { cursor.advance() }
                totals.unreadable += 1
                try report(.unreadable(directory: directory, error: error))
            }
        }
        // Everything the walk did not reach is gone.
        while let row = try cursor.peek() {
            totals.removed += 1
            try report(.removed(row))
            cursor.advance()
        }
        totals.directories = walker.directoriesRead
        totals.mountPoints = walker.mountPoints
        progress?(totals.filesOnDisk)
        return totals
    }
}

/// The walk meets a top-level folder's files one after another: its category
/// is looked up once, not hashed again for every file.
private struct LastCategory {
    let categorizer: Categorizer
    private var folder: [UInt8]?
    private var category = ""

    init(_ categorizer: Categorizer) { self.categorizer = categorizer }

    mutating func category(of path: [UInt8]) -> String {
        guard let slash = path.firstIndex(of: PathBytes.separator) else { return categorizer.category(of: path) }
        if let folder, folder.count == slash, path[..<slash].elementsEqual(folder) { return category }
        folder = Array(path[..<slash])
        category = categorizer.category(of: path)
        return category
    }
}
