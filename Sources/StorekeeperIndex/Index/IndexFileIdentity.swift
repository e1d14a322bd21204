import Glibc

/// Which file an open index is, by device and inode, and whether the path
/// still names it. A daemon runs for months while people and scripts act on
/// its state folder: an `index.db` deleted, replaced or truncated under an
/// open connection leaves that connection writing to a file nobody reads.
///
/// Only `stat` is used on an index this process has open: SQLite's locks are
/// POSIX record locks, which a process loses on *every* descriptor of the
/// file when it closes *any* one of them. Opening and closing `index.db` to
/// peek at it would silently drop the daemon's locks, and the next `sqlite3`
/// to close would take itself for the last connection and delete the WAL the
/// daemon still writes to.
public struct IndexFileIdentity: Equatable, Sendable {
    public let device: UInt64
    public let inode: UInt64

    /// What happened to the file the store opened.
    public enum Loss: Equatable, Sendable, CustomStringConvertible {
        case deleted
        case replaced
        /// Shorter than SQLite's 100-byte header.
        case truncated

        public var description: String {
            switch self {
            case .deleted: "deleted"
            case .replaced: "replaced by another file"
            case .truncated: "truncated or overwritten"
            }
        }
    }

    /// The identity of the file at `path` now; nil when there is none.
    public init?(path: String) {
        guard let (identity, _) = Self.status(path) else { return nil }
        self = identity
    }

    private init(device: UInt64, inode: UInt64) {
        self.device = device
        self.inode = inode
    }

    private static func status(_ path: String) -> (IndexFileIdentity, size: Int64)? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return (IndexFileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino)), Int64(info.st_size))
    }

    /// Whether `path` still names this file, at least a header long; nil when
    /// all is well. One `stat`.
    public func loss(at path: String) -> Loss? {
        guard let (current, size) = Self.status(path) else { return .deleted }
        guard current == self else { return .replaced }
        return size < 100 ? .truncated : nil
    }
}
