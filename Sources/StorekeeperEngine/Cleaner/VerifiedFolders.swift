import StorekeeperSystem

/// The folders on the way to the last file the remover reached, kept open
/// for the next file of the same folder, and checked again before every use:
/// each kept folder's name is looked up (`statx`, no symlink followed) in the
/// kept folder above it, from the base down, and must still be that folder
/// (same device and inode, a folder, on the base's mount). A folder renamed
/// away, swapped for a symlink or covered by a mount since the last file
/// fails that look, is closed, and is opened again through `DirectoryChain`,
/// which then refuses it exactly as a fresh chain would. So every file is
/// reached through folders that were its path's folders just before it was
/// looked at, as with a fresh chain per file, at one `statx` per level
/// instead of an `openat`, a `statx` and a `close`.
final class VerifiedFolders {
    private struct Level {
        let name: [UInt8]
        let directory: FileDescriptor
        let device: UInt64
        let inode: UInt64
    }

    private let chain: DirectoryChain
    /// Outermost first: `levels[0]` is a folder of the base.
    private var levels: [Level] = []

    init(chain: DirectoryChain) {
        self.chain = chain
    }

    /// The folder whose components below the base are `components`; `path`
    /// is the file's path, from which a refused folder's path is named.
    func open(_ components: ArraySlice<[UInt8]>, path: [UInt8]) throws(DirectoryChainError) -> FileDescriptor {
        var parent = chain.base
        var depth = 0
        for component in components {
            if depth < levels.count {
                if levels[depth].name == component && isStill(levels[depth], in: parent) {
                    parent = levels[depth].directory
                    depth += 1
                    continue
                }
                forget(from: depth)
            }
            let walked = Array(components.prefix(depth + 1).joined(separator: [PathBytes.separator]))
            let (directory, entry) = try chain.openChildEntry(component, in: parent, path: walked)
            levels.append(
                Level(name: component, directory: directory, device: entry.status.device, inode: entry.status.inode))
            parent = directory
            depth += 1
        }
        forget(from: depth)
        return parent
    }

    /// Closes every kept folder (the run is over, or a test wants a fresh start).
    func forgetAll() {
        forget(from: 0)
    }

    /// True when `level.name` in `parent` is still that folder, on the base's mount.
    private func isStill(_ level: Level, in parent: FileDescriptor) -> Bool {
        guard let entry = try? chain.entry(level.name, in: parent, path: level.name) else { return false }
        return entry.status.kind == .directory && entry.status.device == level.device
            && entry.status.inode == level.inode && chain.isInside(entry)
    }

    private func forget(from depth: Int) {
        guard depth < levels.count else { return }
        for level in levels[depth...] { level.directory.close() }
        levels.removeSubrange(depth...)
    }
}
