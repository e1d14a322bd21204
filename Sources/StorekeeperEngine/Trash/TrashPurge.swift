/// What one `Trash.empty` removed, and what it could not.
public struct TrashPurge: Equatable, Sendable {
    /// Trash entries removed (a folder counts once).
    public var files = 0
    /// Bytes of the files removed, as `lstat` saw them while removing.
    public var bytes: Int64 = 0
    /// One line per entry left in place because the world said no
    /// (an immutable file, a permission): the purge goes on without it.
    public var failures: [String] = []
    /// Entries removed whose rows the index could not take then (a full
    /// disk, another writer): the next `Trash.list` drops those rows.
    public var unrecorded = 0

    public init() {}
}

/// Why the trash was emptied: the `cause` of its `delete` events. The raw
/// value is what the index stores (`events.cause`) and what operators query
/// with sqlite3: it never changes.
public enum TrashPurgeCause: String, Sendable, CaseIterable {
    /// The entry outlived `cleanup.trash_retention`.
    case retention = "trash_retention"
    /// `storekeeper trash empty`.
    case manual
    /// The disk is below its alert threshold: the whole trash goes first.
    case lowDisk = "low_disk"
}
