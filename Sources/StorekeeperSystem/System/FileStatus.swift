import Glibc

/// What `lstat` says of one entry: the facts the index records.
public struct FileStatus: Equatable, Sendable {
    public enum Kind: String, Sendable {
        case file, symlink, directory, other
    }

    public let kind: Kind
    public let size: Int64
    /// Whole seconds since the epoch; `mtimeNanoseconds` keeps the rest so a
    /// rewrite within the same second is still seen as a change.
    public let mtime: Int64
    public let mtimeNanoseconds: Int64
    public let inode: UInt64
    public let device: UInt64
    /// Names of the inode: above 1, removing this name frees nothing.
    public let nlink: UInt64
    /// 512-byte blocks the disk allocates (`st_blocks`), whatever the size says.
    public let blocks: Int64

    public init(
        kind: Kind, size: Int64, mtime: Int64, mtimeNanoseconds: Int64, inode: UInt64, device: UInt64,
        nlink: UInt64 = 1, blocks: Int64 = 0
    ) {
        self.kind = kind
        self.size = size
        self.mtime = mtime
        self.mtimeNanoseconds = mtimeNanoseconds
        self.inode = inode
        self.device = device
        self.nlink = nlink
        self.blocks = blocks
    }

    init(_ st: stat) {
        switch st.st_mode & S_IFMT {
        case S_IFREG: kind = .file
        case S_IFLNK: kind = .symlink
        case S_IFDIR: kind = .directory
        default: kind = .other
        }
        size = Int64(st.st_size)
        mtime = Int64(st.st_mtim.tv_sec)
        mtimeNanoseconds = Int64(st.st_mtim.tv_nsec)
        inode = UInt64(st.st_ino)
        device = UInt64(st.st_dev)
        nlink = UInt64(st.st_nlink)
        blocks = Int64(st.st_blocks)
    }

    /// What the disk gives back when the inode goes: a sparse file's size is
    /// not its space, and a small file takes a whole block.
    public var allocatedBytes: Int64 { blocks.multipliedSaturating(by: 512) }

    /// Regular files and symlinks are indexed; directories are walked; sockets,
    /// fifos and devices are neither.
    public var isIndexed: Bool { kind == .file || kind == .symlink }
}
