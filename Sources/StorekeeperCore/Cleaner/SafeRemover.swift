import Glibc

/// Verifies one selected file on disk and removes it (or moves it to the
/// trash) only if it is exactly what the index said: reached through real
/// folders from the base (`O_NOFOLLOW` at every step), on the base's
/// filesystem, with the indexed inode, size and mtime. A symlink is removed as
/// a link, never followed. Nothing outside the base can be reached.
final class SafeRemover {
    enum Outcome {
        /// Removed (or would be, in a dry run); the trash name when trashed.
        case removed(trashName: [UInt8]?)
        case skipped(SkipReason, onDisk: FileStatus?)
        /// The world said no (permissions, an immutable file, busy): the run goes on.
        case failed(String)
    }

    /// What keeps an empty folder in git and in the layout; never removed.
    static let keepFile = Array(".gitkeep".utf8)

    private let base: FileDescriptor
    private let baseDevice: UInt64
    private let trash: Trash?
    private let dryRun: Bool
    private let excludes: [String]

    init(basePath: String, trash: Trash?, dryRun: Bool, excludes: [String]) throws {
        base = try FileDescriptor.open(PathBytes.bytes(basePath), flags: O_RDONLY | O_DIRECTORY)
        baseDevice = try base.status().device
        self.trash = trash
        self.dryRun = dryRun
        self.excludes = excludes
    }

    /// `stillWanted` re-checks the policy against what is on disk now (still
    /// expired, for a TTL run); quota eviction passes `{ _ in true }`.
    /// `toTrash: false` deletes even when a trash is configured: under low disk
    /// a move into the trash would free nothing.
    func remove(_ row: IndexedFile, deletedAt: Int64, toTrash: Bool = true, stillWanted: (FileStatus) -> Bool) -> Outcome {
        if row.category == CategoryPolicy.protectedKey { return .skipped(.protectedCategory, onDisk: nil) }
        if isExcluded(row.path) { return .skipped(.excluded, onDisk: nil) }
        let components = PathBytes.components(row.path)
        guard let name = components.last else { return .skipped(.vanished, onDisk: nil) }
        if name == Self.keepFile { return .skipped(.protectedCategory, onDisk: nil) }

        // A fresh chain per file: a folder swapped for a symlink between two
        // files of one run is caught, since no descriptor outlives its check.
        var directory = base
        for component in components.dropLast() {
            do {
                // No device check per folder: a mount anywhere on the way puts
                // the file itself on another device, which `mismatch` catches.
                directory = try FileDescriptor.openDirectory(component, relativeTo: directory)
            } catch {
                switch error.errno {
                case ENOENT: return .skipped(.vanished, onDisk: nil)
                case ELOOP, ENOTDIR: return .skipped(.parentReplaced, onDisk: nil)
                default: return .failed(error.description)
                }
            }
        }
        let status: FileStatus
        do {
            status = try directory.status(of: name)
        } catch {
            return error.errno == ENOENT ? .skipped(.vanished, onDisk: nil) : .failed(error.description)
        }
        if let reason = mismatch(row, status) { return .skipped(reason, onDisk: status) }
        if !stillWanted(status) { return .skipped(.notExpired, onDisk: status) }
        if dryRun { return .removed(trashName: nil) }

        do {
            if toTrash, let trash {
                let item = try trash.put(
                    from: directory, name: name, originalPath: row.path, category: row.category, size: row.size,
                    deletedAt: deletedAt)
                return .removed(trashName: item.trashName)
            }
            _ = try retryingEINTR("unlinkat", path: row.path) {
                PathBytes.withCString(name) { unlinkat(directory.rawValue, $0, 0) }
            }
            return .removed(trashName: nil)
        } catch {
            return .failed("\(error)")
        }
    }

    private func mismatch(_ row: IndexedFile, _ status: FileStatus) -> SkipReason? {
        if status.device != baseDevice { return .otherFilesystem }
        switch status.kind {
        case .directory: return .nowDirectory
        case .symlink where row.kind != .symlink: return .nowSymlink
        case .other: return .vanished
        default: break
        }
        if status.inode != row.inode || status.kind != row.kind { return .replacedInode }
        if status.size != row.size { return .changedSize }
        if status.mtime != row.mtime || status.mtimeNanoseconds != row.mtimeNanoseconds { return .changedMtime }
        return nil
    }

    /// `cleanup.exclude` globs, matched against the path relative to the base.
    private func isExcluded(_ path: [UInt8]) -> Bool {
        guard !excludes.isEmpty else { return false }
        return PathBytes.withCString(path) { cPath in
            excludes.contains { fnmatch($0, cPath, 0) == 0 }
        }
    }
}
