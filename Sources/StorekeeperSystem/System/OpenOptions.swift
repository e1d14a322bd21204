import Glibc

/// What a descriptor is opened for.
public enum FileAccess: Sendable, Equatable {
    case readOnly
    case writeOnly
    case readWrite

    var flags: Int32 {
        switch self {
        case .readOnly: O_RDONLY
        case .writeOnly: O_WRONLY
        case .readWrite: O_RDWR
        }
    }
}

/// How `open` treats the path and the file, beside the access mode. Every
/// descriptor is close-on-exec whatever the options: nothing here hands one
/// to a child, and one leaked into a child would hold a lock or a deleted
/// file's space for as long as the child lives.
public struct OpenOptions: OptionSet, Sendable, Hashable {
    public let rawValue: Int32

    /// Raw `O_*` flags without the access mode (see `FileAccess`).
    public init(rawValue: Int32) {
        precondition(rawValue & O_ACCMODE == 0, "the access mode is a FileAccess, not an option")
        self.rawValue = rawValue
    }

    /// Fail with ENOTDIR unless the path names a folder.
    public static let directory = OpenOptions(rawValue: O_DIRECTORY)
    /// Fail with ELOOP when the last component is a symlink, instead of following it.
    public static let noFollow = OpenOptions(rawValue: O_NOFOLLOW)
    /// Create the file when it does not exist (with the mode given to `open`).
    public static let create = OpenOptions(rawValue: O_CREAT)
    /// With `create`: fail with EEXIST when the name is taken, so the name is ours.
    public static let exclusive = OpenOptions(rawValue: O_EXCL)
    /// Empty an existing file.
    public static let truncate = OpenOptions(rawValue: O_TRUNC)
    /// Every write lands at the end, in one piece, whoever else appends.
    public static let append = OpenOptions(rawValue: O_APPEND)
    /// A terminal opened by path never becomes our controlling terminal.
    public static let noControllingTerminal = OpenOptions(rawValue: O_NOCTTY)
    /// Reads and writes return EAGAIN instead of waiting.
    public static let nonBlocking = OpenOptions(rawValue: O_NONBLOCK)
}
