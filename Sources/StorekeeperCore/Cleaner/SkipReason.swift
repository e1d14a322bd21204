/// Why the cleaner left a selected file alone: the disk no longer says what
/// the index said when the file was chosen (Robinhood's `post_sched_match`).
public enum SkipReason: String, Sendable, CaseIterable {
    case vanished
    /// A folder on the way is now a symlink or a file: never followed.
    case parentReplaced = "parent_replaced"
    case changedSize = "changed_size"
    case changedMtime = "changed_mtime"
    case replacedInode = "replaced_inode"
    case nowSymlink = "now_symlink"
    case nowDirectory = "now_directory"
    case otherFilesystem = "other_filesystem"
    case notExpired = "not_expired"
    case excluded
    case protectedCategory = "protected_category"
}
