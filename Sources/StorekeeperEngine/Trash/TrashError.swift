import StorekeeperSystem

/// A trash operation refused or failed, as data: what went wrong, the path it
/// was about (relative to the base, or absolute for the trash's own folders)
/// and the system call error beneath, when there is one.
public struct TrashError: Error, Equatable, CustomStringConvertible {
    public enum Kind: Equatable, Sendable {
        /// The trash folder is on another filesystem than the base, or a rename
        /// into or out of it said EXDEV (a mount or bind mount in between).
        /// Nothing is ever copied instead.
        case otherFilesystem
        /// `.trash`, `files/` or `info/` is a symlink or not a folder.
        case notADirectory
        /// Restore: nothing in the trash came from this path.
        case notInTrash
        /// Restore: something exists at the original path now.
        case occupied
        /// Restore: a folder on the way is a symlink or not a folder.
        case blockedParent
        /// Restore: not a path inside the base (empty, `..`).
        case invalidPath
        /// Restore: not below a configured category folder (`.storekeeper/`,
        /// `.trash/`, the base's top level, an unmanaged folder).
        case outsideCategories
        /// A system call failed; `underlying` says which.
        case system
    }

    public let kind: Kind
    public let path: [UInt8]
    public let underlying: SystemCallError?

    public init(_ kind: Kind, path: [UInt8], underlying: SystemCallError? = nil) {
        self.kind = kind
        self.path = path
        self.underlying = underlying
    }

    public var description: String {
        let shown = PathBytes.display(path)
        let text: String
        switch kind {
        case .otherFilesystem:
            text =
                "\(shown) and the trash are on different filesystems (a mount or bind mount); "
                + "the trash only renames, it never copies: nothing was moved"
        case .notADirectory:
            text = "\(shown) is a symlink or not a folder; the trash refuses to use it"
        case .notInTrash:
            text = "nothing in the trash was deleted from \(shown); see 'storekeeper trash list'"
        case .occupied:
            text = "\(shown) exists again; restoring would overwrite it, so nothing was restored"
        case .blockedParent:
            text = "a folder on the way to \(shown) is a symlink or not a folder; nothing was restored"
        case .invalidPath:
            text = "'\(shown)' is not a path inside the base"
        case .outsideCategories:
            text =
                "\(shown) is not inside a category folder; the trash restores only below the configured "
                + "categories' folders, never into .storekeeper/, .trash/ or the base's top level: nothing was restored"
        case .system:
            text = shown
        }
        guard let underlying else { return text }
        return kind == .system ? "\(text): \(underlying)" : "\(text) (\(underlying))"
    }
}
