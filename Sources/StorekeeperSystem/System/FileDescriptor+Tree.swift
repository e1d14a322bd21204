import Glibc

/// Whole entries of the trash — a file, a symlink, or a folder trashed with
/// everything in it — measured and removed relative to directory descriptors:
/// never through a path, never following a symlink, never into another mount.
/// A mount is told by `DirectoryChain` (mount id and device) from the name
/// alone, before the folder is opened or its mode touched: a bind mount inside
/// a trashed folder is someone else's folder.
extension FileDescriptor {
    /// Bytes of `name` in this directory: its size, or for a folder the sizes
    /// of everything below it (folders themselves count nothing, as in `usage`).
    /// A mount point inside counts nothing: it is not ours to free.
    package func treeSize(of name: [UInt8], within chain: DirectoryChain) throws(SystemCallError) -> Int64 {
        let entry = try chain.entry(name, in: self, path: name)
        guard entry.status.kind == .directory else { return entry.status.size }
        guard chain.isInside(entry) else { return 0 }
        let directory = try FileDescriptor.openDirectory(name, relativeTo: self)
        var total: Int64 = 0
        for child in try directory.readEntries() {
            do {
                total = total.addingSaturating(try directory.treeSize(of: child.name, within: chain))
            } catch  where error.errno == ENOENT {
                // Gone while measured: it takes no space.
            }
        }
        return total
    }

    /// Removes `name` from this directory, a folder depth first; returns the
    /// bytes of the files removed. A mount point (another filesystem, or a
    /// bind mount of this one) is refused with EXDEV before anything is done
    /// to it, so the purge stops there and the folder holding it stays.
    /// Folders left without read or write permission (trashed that way) are
    /// opened up first: they are ours and about to go.
    @discardableResult
    package func removeTree(_ name: [UInt8], within chain: DirectoryChain) throws(SystemCallError) -> Int64 {
        let entry: DirectoryChain.Entry
        do {
            entry = try chain.entry(name, in: self, path: name)
        } catch  where error.errno == ENOENT {
            return 0
        }
        guard chain.isInside(entry) else { throw SystemCallError(call: "unlinkat", path: name, errno: EXDEV) }
        guard entry.status.kind == .directory else {
            do {
                try removeEntry(name)
            } catch  where error.errno == ENOENT {
                return 0
            }
            return entry.status.size
        }
        let directory: FileDescriptor
        do {
            directory = try FileDescriptor.openDirectory(name, relativeTo: self)
        } catch  where error.errno == EACCES {
            _ = try systemCall("fchmodat", path: name) {
                PathBytes.withCString(name) { fchmodat(rawValue, $0, 0o700, 0) }
            }
            directory = try FileDescriptor.openDirectory(name, relativeTo: self)
        }
        // Checked again on the open folder: a mount placed on the name since
        // the look above must not have its mode changed or its files removed.
        guard chain.isInside(try chain.entry([], in: directory, path: name)) else {
            throw SystemCallError(call: "unlinkat", path: name, errno: EXDEV)
        }
        // Best effort: when it fails (not our folder), the unlinks below say why.
        _ = fchmod(directory.rawValue, 0o700)
        var total: Int64 = 0
        for child in try directory.readEntries() {
            total = total.addingSaturating(try directory.removeTree(child.name, within: chain))
        }
        directory.close()
        do {
            try removeEntry(name, directory: true)
        } catch  where error.errno == ENOENT {}
        return total
    }
}
