import StorekeeperIndex

/// Reads the rows of a subtree in path order, one keyset page at a time, so a
/// reconcile of a million rows holds one page in memory and keeps no statement
/// open while the scanner writes.
final class IndexCursor {
    private let store: IndexStore
    private let subtree: [UInt8]
    private let pageSize: Int
    private var page: [IndexedFile] = []
    private var position = 0
    private var lastLoaded: [UInt8]?
    private var exhausted = false

    init(store: IndexStore, subtree: [UInt8], pageSize: Int = 10_000) {
        self.store = store
        self.subtree = subtree
        self.pageSize = pageSize
    }

    /// The next row, or nil when the subtree has no more.
    func peek() throws -> IndexedFile? {
        if position < page.count { return page[position] }
        guard !exhausted else { return nil }
        page = try store.files(inSubtree: subtree, after: lastLoaded, limit: pageSize)
        position = 0
        // Once the end is reached it stays reached: rows the caller inserts behind
        // the walk must not come back as if the index had them before.
        if page.count < pageSize { exhausted = true }
        lastLoaded = page.last?.path ?? lastLoaded
        return page.first
    }

    func advance() { position += 1 }
}
