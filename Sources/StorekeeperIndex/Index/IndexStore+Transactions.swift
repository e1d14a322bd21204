/// Every transaction on the index goes through these two, so the index target
/// decides how they begin and end: callers say what they do, not how SQLite
/// locks for it.
extension IndexStore {
    /// Runs `body` in one write transaction (`BEGIN IMMEDIATE`: the write lock
    /// is taken at once, so a busy index fails here, not half-way through).
    /// Rolled back when `body` throws.
    public func write<T>(_ body: () throws -> T) throws -> T {
        try database.transaction(body)
    }

    /// Runs `body` against one snapshot of the index: every read in it sees the
    /// same state, whatever the daemon commits meanwhile.
    public func read<T>(_ body: () throws -> T) throws -> T {
        try database.execute("BEGIN")
        defer { try? database.execute("ROLLBACK") }
        return try body()
    }
}

/// What owners of a long-lived connection need of it besides SQL.
extension IndexStore {
    /// The index file, as opened.
    public var path: String { database.path }

    /// Opened in exclusive locking mode because the disk had no room for the
    /// WAL's shared-memory file: no other process can read the index until
    /// this connection is closed and the index opened again.
    public var isLockedExclusively: Bool { database.lockedExclusively }

    /// For a connection whose file was lost (deleted, replaced, truncated):
    /// closing it then leaves the WAL alone instead of writing it into a
    /// file that is no longer the database.
    public func skipCheckpointOnClose() {
        database.skipCheckpointOnClose()
    }
}
