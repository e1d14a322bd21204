import StorekeeperSystem

/// One row of `files`: what `lstat` said of a file or symlink when it was indexed.
public struct IndexedFile: Equatable, Sendable {
    public var path: [UInt8]
    public var category: String
    public var kind: FileStatus.Kind
    public var size: Int64
    public var mtime: Int64
    public var mtimeNanoseconds: Int64
    public var inode: UInt64
    /// As stored in the index, where `IndexStore` derives it from the path on write.
    public var pathDate: Int64?
    /// Names of the inode when lstat saw this one.
    public var nlink: UInt64
    /// Bytes the disk allocates for the inode (`st_blocks` × 512).
    public var allocated: Int64
    /// When `trash restore` brought the file back; only the index knows it,
    /// so it is never a difference from the disk.
    public var restoredAt: Int64?

    /// `allocated` defaults to `size`: what a caller without a block count can best say.
    public init(
        path: [UInt8], category: String, kind: FileStatus.Kind, size: Int64, mtime: Int64,
        mtimeNanoseconds: Int64, inode: UInt64, pathDate: Int64?, nlink: UInt64 = 1, allocated: Int64? = nil,
        restoredAt: Int64? = nil
    ) {
        self.path = path
        self.category = category
        self.kind = kind
        self.size = size
        self.mtime = mtime
        self.mtimeNanoseconds = mtimeNanoseconds
        self.inode = inode
        self.pathDate = pathDate
        self.nlink = nlink
        self.allocated = allocated ?? size
        self.restoredAt = restoredAt
    }

    /// The row a file at `path` with this status should have. The path date is
    /// left out: it follows from the path, and `IndexStore` derives it when it
    /// writes, so comparing a million unchanged files never parses a date.
    public init(path: [UInt8], category: String, status: FileStatus) {
        self.init(
            path: path, category: category, kind: status.kind, size: status.size, mtime: status.mtime,
            mtimeNanoseconds: status.mtimeNanoseconds, inode: status.inode, pathDate: nil, nlink: status.nlink,
            allocated: status.allocatedBytes)
    }

    /// A `.gitkeep` keeps its folder in git: layout, not content (not in
    /// `usage`, never expired, never removed).
    public var isLayout: Bool { PathBytes.components(path).last == Array(".gitkeep".utf8) }

    /// What removing this name alone frees: nothing while the inode has other names.
    public var freedByRemoval: Int64 { nlink > 1 ? 0 : allocated }

    /// The fields in which this row and what is on disk disagree (empty when they agree).
    public func differences(from other: IndexedFile) -> [String] {
        var fields: [String] = []
        if kind != other.kind { fields.append("kind \(kind.rawValue) → \(other.kind.rawValue)") }
        if size != other.size { fields.append("size \(size) → \(other.size)") }
        if mtime != other.mtime || mtimeNanoseconds != other.mtimeNanoseconds {
            fields.append("mtime \(mtime).\(nanos(mtimeNanoseconds)) → \(other.mtime).\(nanos(other.mtimeNanoseconds))")
        }
        if inode != other.inode { fields.append("inode \(inode) → \(other.inode)") }
        if nlink != other.nlink { fields.append("nlink \(nlink) → \(other.nlink)") }
        if allocated != other.allocated { fields.append("allocated \(allocated) → \(other.allocated)") }
        if category != other.category { fields.append("category \(category) → \(other.category)") }
        return fields
    }

    private func nanos(_ value: Int64) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, 9 - digits.count)) + digits
    }
}
