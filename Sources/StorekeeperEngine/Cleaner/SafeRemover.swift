import Glibc
import StorekeeperConfig
import StorekeeperIndex
import StorekeeperSystem

/// Verifies one selected file on disk and removes it (or moves it to the
/// trash) only if it is exactly what the index said: a path of the tree (no
/// `..`), whose top-level folder gives the row's category and a category some
/// policy may delete from, reached through real folders from the base by a
/// `DirectoryChain` (`O_NOFOLLOW` at every step, no mount point crossed), on
/// the base's mount, with the indexed inode, size and mtime, and no inode
/// change since the row was written. The path decides, not the row: a row
/// edited by hand cannot reach outside the base or into `outputs`. A symlink
/// is removed as a link, never followed.
final class SafeRemover {
    enum Outcome {
        /// Removed (or would be, in a dry run); the trash name when trashed;
        /// the allocated bytes the disk got back (0 while other names remain).
        case removed(trashName: [UInt8]?, freed: Int64)
        case skipped(SkipReason, onDisk: FileStatus?)
        /// The world said no (permissions, an immutable file, busy): the run goes on.
        case failed(String)
    }

    /// What keeps an empty folder in git and in the layout; never removed.
    static let keepFile = Array(".gitkeep".utf8)

    private let chain: DirectoryChain
    private let folders: VerifiedFolders
    private let trash: Trash?
    private let dryRun: Bool
    private let categorizer: Categorizer
    /// Categories some policy may delete from: not `outputs`, and not one kept
    /// forever that is also never evicted.
    private let deletable: Set<String>
    private let excludes: [ExcludePattern]

    init(basePath: String, trash: Trash?, dryRun: Bool, excludes: [String], policies: [CategoryPolicy]) throws {
        chain = try DirectoryChain(basePath: basePath)
        folders = VerifiedFolders(chain: chain)
        categorizer = Categorizer(policies: policies)
        deletable = Set(
            policies.filter {
                $0.key != CategoryPolicy.protectedKey && ($0.retentionSeconds != nil || $0.onQuota == .evict)
            }
            .map(\.key))
        self.trash = trash
        self.dryRun = dryRun
        // Validated with the configuration; one refused here is still refused,
        // never dropped: a pattern that protects nothing must not pass silently.
        self.excludes = try excludes.map { try ExcludePattern($0) }
    }

    /// Inodes this run took a name from while other names remained, with the
    /// time it did: removing a name changes the inode's ctime, which the
    /// other names then show. That change is the run's own, not a rewrite.
    private var unlinkedNames: [UInt64: Int64] = [:]

    /// `stillWanted` re-checks the policy against what is on disk now (still
    /// expired, for a TTL run); quota eviction passes `{ _ in true }`.
    /// `toTrash: false` deletes even when a trash is configured: under low disk
    /// a move into the trash would free nothing. `enteredAt`, when known, is
    /// when the row was written: an inode changed later than that and than
    /// the mtime was rewritten since.
    func remove(
        _ row: IndexedFile, deletedAt: Int64, toTrash: Bool = true, enteredAt: Int64? = nil,
        stillWanted: (FileStatus) -> Bool
    ) -> Outcome {
        guard let components = DirectoryChain.components(row.path), let name = components.last else {
            return .skipped(.invalidPath, onDisk: nil)
        }
        if let reason = refusal(of: row, name: name) { return .skipped(reason, onDisk: nil) }

        // Kept folders are checked again first: a folder swapped for a symlink
        // between two files of one run is caught, since no descriptor is used
        // past its check.
        let directory: FileDescriptor
        do {
            directory = try folders.open(components.dropLast(), path: row.path)
        } catch {
            switch error.kind {
            case .invalidPath: return .skipped(.invalidPath, onDisk: nil)
            case .mountPoint: return .skipped(.otherFilesystem, onDisk: nil)
            case .system:
                switch error.errno {
                case ENOENT: return .skipped(.vanished, onDisk: nil)
                case ELOOP, ENOTDIR: return .skipped(.parentReplaced, onDisk: nil)
                default: return .failed(error.description)
                }
            }
        }
        let entry: DirectoryChain.Entry
        do {
            entry = try chain.entry(name, in: directory, path: row.path)
        } catch {
            return error.errno == ENOENT ? .skipped(.vanished, onDisk: nil) : .failed(error.description)
        }
        let status = entry.status
        if let reason = mismatch(row, entry, enteredAt: enteredAt) { return .skipped(reason, onDisk: status) }
        if !stillWanted(status) { return .skipped(.notExpired, onDisk: status) }
        let freed = status.nlink > 1 ? 0 : status.allocatedBytes
        if dryRun { return .removed(trashName: nil, freed: freed) }

        do {
            var trashName: [UInt8]?
            if toTrash, let trash {
                trashName = try trash.put(
                    from: directory, name: name, originalPath: row.path, category: row.category, size: row.size,
                    deletedAt: deletedAt
                ).trashName
            } else {
                try directory.removeEntry(name, path: row.path)
            }
            if status.nlink > 1 { unlinkedNames[status.inode] = WallClock.now() }
            return .removed(trashName: trashName, freed: freed)
        } catch {
            return .failed("\(error)")
        }
    }

    /// What the path alone forbids, before the disk is looked at: a category
    /// no policy may delete from, a row whose path gives another category, an
    /// excluded path, a folder's keep file.
    private func refusal(of row: IndexedFile, name: [UInt8]) -> SkipReason? {
        let category = categorizer.category(of: row.path)
        if row.category == CategoryPolicy.protectedKey || !deletable.contains(category) { return .protectedCategory }
        if category != row.category { return .categoryMismatch }
        if isExcluded(row.path) { return .excluded }
        if name == Self.keepFile { return .protectedCategory }
        return nil
    }

    private func mismatch(_ row: IndexedFile, _ entry: DirectoryChain.Entry, enteredAt: Int64?) -> SkipReason? {
        let status = entry.status
        // A file bind-mounted onto the name is on another mount too.
        if !chain.isInside(entry) { return .otherFilesystem }
        switch status.kind {
        case .directory: return .nowDirectory
        case .symlink where row.kind != .symlink: return .nowSymlink
        case .other: return .vanished
        default: break
        }
        if status.inode != row.inode || status.kind != row.kind { return .replacedInode }
        if status.size != row.size { return .changedSize }
        if status.mtime != row.mtime || status.mtimeNanoseconds != row.mtimeNanoseconds { return .changedMtime }
        // Whole seconds, strictly later: a change in the second the row was
        // written cannot be told from the write the row recorded.
        // A ctime no later than this run's own unlink of another name is ours.
        if let enteredAt, entry.ctime > max(enteredAt, row.mtime, unlinkedNames[status.inode] ?? .min) {
            return .changedCtime
        }
        return nil
    }

    /// `cleanup.exclude`, matched like `.gitignore` lines (`ExcludePattern`).
    private func isExcluded(_ path: [UInt8]) -> Bool {
        excludes.contains { $0.matches(path) }
    }
}
