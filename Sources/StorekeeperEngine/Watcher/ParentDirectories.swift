import Glibc
import StorekeeperSystem

/// Opens directories under the base through a `DirectoryChain` (never a
/// symlink, never into another mount), caching each one for the length of a
/// batch: a burst of events in one folder costs one chain, not one per file.
final class ParentDirectories {
    private let chain: DirectoryChain
    private var open: [[UInt8]: FileDescriptor] = [:]

    init(base: FileDescriptor) throws(SystemCallError) {
        chain = try DirectoryChain(base: base)
    }

    /// The directory at `path` (relative; empty for the base), or nil when some
    /// component is gone, not a directory, a symlink, or a mount point: below
    /// a mount nothing is ours, so nothing there is indexed or removed.
    func directory(_ path: [UInt8]) throws(SystemCallError) -> FileDescriptor? {
        if path.isEmpty { return chain.base }
        if let cached = open[path] { return cached }
        let parentPath: [UInt8]
        let name: [UInt8]
        if let slash = path.lastIndex(of: PathBytes.separator) {
            parentPath = Array(path[..<slash])
            name = Array(path[(slash + 1)...])
        } else {
            parentPath = []
            name = path
        }
        guard let parent = try directory(parentPath) else { return nil }
        do {
            let opened = try chain.openChild(name, in: parent, path: path)
            open[path] = opened
            return opened
        } catch {
            switch error.kind {
            case .invalidPath, .mountPoint: return nil
            case .system:
                guard let underlying = error.underlying, !TreeWalker.isGone(underlying) else { return nil }
                throw underlying
            }
        }
    }

    /// `lstat` of the entry at `path`, or nil when it is gone.
    func status(of path: [UInt8]) throws(SystemCallError) -> FileStatus? {
        let slash = path.lastIndex(of: PathBytes.separator)
        let parentPath = slash.map { Array(path[..<$0]) } ?? []
        let name = slash.map { Array(path[($0 + 1)...]) } ?? path
        guard let parent = try directory(parentPath) else { return nil }
        do {
            return try parent.status(of: name)
        } catch {
            if TreeWalker.isGone(error) { return nil }
            throw error
        }
    }

    /// Closes everything: the next batch sees renames that happened since.
    func reset() { open.removeAll(keepingCapacity: true) }
}
