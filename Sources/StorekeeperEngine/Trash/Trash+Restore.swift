import Glibc
import StorekeeperConfig
import StorekeeperIndex
import StorekeeperSystem

extension Trash {
    /// Moves the newest item trashed from `originalPath` (relative to the base)
    /// back. Refused when anything exists there now; missing parent folders
    /// are recreated (0755) through an `openat` chain that never follows a symlink.
    public func restore(originalPath: [UInt8]) throws -> TrashedItem {
        let components = PathBytes.components(originalPath)
        guard let name = components.last, !components.contains([0x2E]), !components.contains([0x2E, 0x2E]) else {
            throw TrashError(.invalidPath, path: originalPath)
        }
        let path = Array(components.joined(separator: [PathBytes.separator]))
        // Anywhere else, a crafted .trashinfo would plant files in the index's
        // folder or the trash's own, which the next reconcile would index.
        guard components.count >= 2, categoryDirectories.contains(components[0]) else {
            throw TrashError(.outsideCategories, path: path)
        }
        guard let item = try list().last(where: { $0.problem == nil && $0.originalPath == path }) else {
            throw TrashError(.notInTrash, path: path)
        }
        let parent = try openParent(components.dropLast(), of: path)
        do {
            try files.renameWithoutReplacing(item.trashName, to: parent, as: name)
        } catch {
            switch error.errno {
            case EEXIST, ENOTEMPTY: throw TrashError(.occupied, path: path, underlying: error)
            case EXDEV: throw TrashError(.otherFilesystem, path: path, underlying: error)
            default: throw TrashError(.system, path: path, underlying: error)
            }
        }
        try unlinkInfo(item.trashName)
        try store.write {
            try store.deleteTrashRow(item.trashName)
            try store.noteRestore(path, at: clock())
            try store.record(
                IndexEvent(
                    time: clock(), action: .restore, path: path, newPath: item.trashName, category: item.category,
                    size: item.size, cause: "manual"))
        }
        return item
    }

    /// The folder that will hold `path`, reached from the base one real folder
    /// at a time through the `DirectoryChain` (no symlink, no mount point),
    /// creating what is missing.
    private func openParent(_ components: ArraySlice<[UInt8]>, of path: [UInt8]) throws -> FileDescriptor {
        var directory = base
        var walked: [UInt8] = []
        for component in components {
            walked = PathBytes.join(walked, component)
            do {
                directory = try openOrCreate(component, in: directory, path: walked)
            } catch {
                switch error.kind {
                case .invalidPath: throw TrashError(.invalidPath, path: path)
                case .mountPoint: throw TrashError(.otherFilesystem, path: path)
                case .system:
                    if error.errno == ELOOP || error.errno == ENOTDIR { throw TrashError(.blockedParent, path: path) }
                    throw TrashError(.system, path: path, underlying: error.underlying)
                }
            }
        }
        return directory
    }

    private func openOrCreate(_ component: [UInt8], in directory: FileDescriptor, path: [UInt8])
        throws(DirectoryChainError) -> FileDescriptor
    {
        do {
            return try chain.openChild(component, in: directory, path: path)
        } catch  where error.kind == .system && error.errno == ENOENT {
            do {
                try FileDescriptor.makeDirectory(component, in: directory, mode: 0o755, path: path)
            } catch  where error.errno == EEXIST {
                // Created meanwhile by someone else: use theirs.
            } catch {
                throw DirectoryChainError(.system, path: path, underlying: error)
            }
            let created = try chain.openChild(component, in: directory, path: path)
            // The umask may have narrowed it; the layout promises 0755 folders.
            do {
                try created.changeMode(0o755, path: path)
            } catch {
                throw DirectoryChainError(.system, path: path, underlying: error)
            }
            return created
        }
    }
}
