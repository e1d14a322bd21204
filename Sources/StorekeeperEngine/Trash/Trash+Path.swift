import Glibc
import StorekeeperIndex
import StorekeeperSystem

extension Trash {
    /// Trashes `path` (relative to the base), reached from the base one real
    /// folder at a time and measured on the way: for tests and tools that hold
    /// a path rather than a verified open directory, as the cleaner does.
    func put(path: [UInt8], category: String, deletedAt: Int64) throws -> TrashedItem {
        let components = PathBytes.components(path)
        guard let name = components.last else { throw TrashError(.invalidPath, path: path) }
        let directory: FileDescriptor
        do {
            directory = try chain.open(components.dropLast(), path: path)
        } catch  where error.kind == .mountPoint {
            // What `renameat2` would say at the end of the way: another mount.
            throw TrashError(
                .otherFilesystem, path: path,
                underlying: SystemCallError(call: "openat", path: error.path, errno: EXDEV))
        }
        return try put(
            from: directory, name: name, originalPath: Array(components.joined(separator: [PathBytes.separator])),
            category: category, size: try directory.treeSize(of: name, within: chain), deletedAt: deletedAt)
    }
}
