/// Why the cleaner left a selected file alone: the disk no longer says what
/// the index said when the file was chosen (Robinhood's `post_sched_match`).
public enum SkipReason: String, Sendable, CaseIterable {
    case vanished
    /// A folder on the way is now a symlink or a file: never followed.
    case parentReplaced = "parent_replaced"
    case changedSize = "changed_size"
    case changedMtime = "changed_mtime"
    /// Same inode, size and mtime, but the inode changed after the row was
    /// written and after that mtime: a rewrite with the mtime set back.
    case changedCtime = "changed_ctime"
    case replacedInode = "replaced_inode"
    case nowSymlink = "now_symlink"
    case nowDirectory = "now_directory"
    case otherFilesystem = "other_filesystem"
    case notExpired = "not_expired"
    case excluded
    case protectedCategory = "protected_category"
    /// The row's path is not a path below the base (`..`, `.`, an empty
    /// step, a NUL): no such file can be the one the walk indexed.
    case invalidPath = "invalid_path"
    /// The row's category is not the one its path's top-level folder gives:
    /// the policy that chose it is not the file's.
    case categoryMismatch = "category_mismatch"
}
