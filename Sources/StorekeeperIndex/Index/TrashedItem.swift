/// One entry of the trash, as `.trash/info/` and `.trash/files/` show it.
public struct TrashedItem: Equatable, Sendable {
    /// Why an entry cannot be restored. Such entries are listed (they take
    /// space) and purged by age like the others.
    public enum Problem: Equatable, Sendable, CustomStringConvertible {
        /// The `.trashinfo` could not be read or parsed; `deletedAt` is its mtime.
        case invalidInfo(String)
        /// The `.trashinfo` has no `files/` entry (another tool removed it, or a
        /// crash came between the two steps of a put).
        case missingFile
        /// A `files/` entry without a `.trashinfo`; `deletedAt` is its ctime,
        /// which the rename into the trash set.
        case missingInfo
        /// `Path=` names a place outside the base; `originalPath` is that absolute path.
        case outsideBase

        public var description: String {
            switch self {
            case .invalidInfo(let reason): "unreadable .trashinfo: \(reason)"
            case .missingFile: "its file is missing from files/"
            case .missingInfo: "no .trashinfo in info/ (orphan)"
            case .outsideBase: "its original path is outside the base"
            }
        }
    }

    /// The name in `files/`; its info file is `info/<trashName>.trashinfo`.
    public let trashName: [UInt8]
    /// Relative to the base (absolute for `.outsideBase`; empty when unknown).
    public let originalPath: [UInt8]
    /// Unix seconds; for problem entries, the time they are aged by.
    public let deletedAt: Int64
    /// Bytes of the item: its size, or the sizes of everything in a folder.
    public let size: Int64
    /// The category it was trashed from; nil for what other tools trashed.
    public let category: String?
    public let problem: Problem?

    public init(
        trashName: [UInt8], originalPath: [UInt8], deletedAt: Int64, size: Int64, category: String?,
        problem: Problem? = nil
    ) {
        self.trashName = trashName
        self.originalPath = originalPath
        self.deletedAt = deletedAt
        self.size = size
        self.category = category
        self.problem = problem
    }
}
