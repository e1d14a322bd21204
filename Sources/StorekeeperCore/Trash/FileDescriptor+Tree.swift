import Glibc

/// Whole entries of the trash — a file, a symlink, or a folder trashed with
/// everything in it — measured and removed relative to directory descriptors:
/// never through a path, never following a symlink, never into another mount.
extension FileDescriptor {
    /// Bytes of `name` in this directory: its size, or for a folder the sizes
    /// of everything below it (folders themselves count nothing, as in `usage`).
    func treeSize(of name: [UInt8], device: UInt64) throws(SystemCallError) -> Int64 {
        let status = try status(of: name)
        guard status.kind == .directory else { return status.size }
        guard status.device == device else { return 0 }
        let directory = try FileDescriptor.openDirectory(name, relativeTo: self)
        var total: Int64 = 0
        for entry in try directory.readEntries() {
            do {
                total = total.addingSaturating(try directory.treeSize(of: entry.name, device: device))
            } catch where error.errno == ENOENT {
                // Gone while measured: it takes no space.
            }
        }
        return total
    }

    /// Removes `name` from this directory, a folder depth first; returns the
    /// bytes of the files removed. A folder that is another filesystem's mount
    /// point is refused (EXDEV) rather than emptied. Folders left without read or
    /// write permission (trashed that way) are opened up first: they are ours
    /// and about to go.
    @discardableResult
    func removeTree(_ name: [UInt8], device: UInt64) throws(SystemCallError) -> Int64 {
        let status: FileStatus
        do {
            status = try self.status(of: name)
        } catch where error.errno == ENOENT {
            return 0
        }
        guard status.kind == .directory else {
            do {
                _ = try retryingEINTR("unlinkat", path: name) {
                    PathBytes.withCString(name) { unlinkat(rawValue, $0, 0) }
                }
            } catch where error.errno == ENOENT {
                return 0
            }
            return status.size
        }
        guard status.device == device else { throw SystemCallError(call: "unlinkat", path: name, errno: EXDEV) }
        let directory: FileDescriptor
        do {
            directory = try FileDescriptor.openDirectory(name, relativeTo: self)
        } catch where error.errno == EACCES {
            _ = try retryingEINTR("fchmodat", path: name) {
                PathBytes.withCString(name) { fchmodat(rawValue, $0, 0o700, 0) }
            }
            directory = try FileDescriptor.openDirectory(name, relativeTo: self)
        }
        // Best effort: when it fails (not our folder), the unlinks below say why.
        _ = fchmod(directory.rawValue, 0o700)
        var total: Int64 = 0
        for entry in try directory.readEntries() {
            total = total.addingSaturating(try directory.removeTree(entry.name, device: device))
        }
        directory.close()
        do {
            _ = try retryingEINTR("unlinkat", path: name) {
                PathBytes.withCString(name) { unlinkat(rawValue, $0, AT_REMOVEDIR) }
            }
        } catch where error.errno == ENOENT {}
        return total
    }
}
