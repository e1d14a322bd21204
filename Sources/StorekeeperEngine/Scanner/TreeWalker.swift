import Glibc
import StorekeeperIndex
import StorekeeperSystem

/// One walk of the storage tree (or a subtree of it): a `DirectoryChain` from
/// the base, never following a symlink, never entering another mount (a bind
/// mount of the same filesystem included), and
/// emitting paths in index order (see `PathOrder`) so the walk can be merged
/// with the index page by page.
public final class TreeWalker {
    public enum Item {
        /// A regular file or symlink and what `lstat` said of it.
        case entry(path: [UInt8], status: FileStatus)
        /// A directory that exists but could not be read: its rows must be kept,
        /// since the walk cannot say what is in it.
        case unreadable(directory: [UInt8], error: SystemCallError)
    }

    /// Top-level names that belong to Storekeeper itself and are never indexed.
    public static let reservedTopLevelNames: Set<[UInt8]> = [Array(".storekeeper".utf8), Array(".trash".utf8)]

    private let chain: DirectoryChain
    public private(set) var directoriesRead = 0
    /// The mount points the walk met and did not enter: their files are not ours.
    public private(set) var mountPoints: [[UInt8]] = []
    /// Called with each directory once it is open and before it is read: the
    /// daemon adds its watch here, so anything created after the listing is
    /// reported by inotify and nothing falls between the two.
    public var onDirectory: ((FileDescriptor, [UInt8]) -> Void)?

    public init(basePath: String) throws(SystemCallError) {
        chain = try DirectoryChain(basePath: basePath)
    }

    /// Walks `subtree` (relative to the base; empty for the whole tree).
    /// A subtree that is gone, or is no longer a directory, yields nothing.
    public func walk(subtree: [UInt8], _ visit: (Item) throws -> Void) throws {
        let components = PathBytes.components(subtree)
        // A reconcile asked for inside them (a restore there, an event) must
        // not index the index, its WAL or the trash's own files either.
        if let top = components.first, Self.reservedTopLevelNames.contains(top) { return }
        let directory: FileDescriptor
        do {
            directory = try chain.open(components[...], path: subtree)
        } catch {
            switch error.kind {
            case .invalidPath: return
            case .mountPoint:
                mountPoints.append(error.path)
                return
            case .system:
                guard let underlying = error.underlying, !Self.isGone(underlying) else { return }
                try visit(.unreadable(directory: subtree, error: underlying))
                return
            }
        }
        try walk(directory: directory, path: subtree, visit)
    }

    private func walk(directory: FileDescriptor, path: [UInt8], _ visit: (Item) throws -> Void) throws {
        onDirectory?(directory, path)
        let names: [DirectoryEntry]
        do {
            names = try directory.readEntries()
        } catch {
            try visit(.unreadable(directory: path, error: error))
            return
        }
        directoriesRead += 1
        for child in Self.children(of: directory, names, atTop: path.isEmpty) {
            let childPath = PathBytes.join(path, child.entry.name)
            if child.isDirectory {
                guard let subdirectory = try openSubdirectory(child.entry.name, in: directory, path: childPath, visit)
                else { continue }
                try walk(directory: subdirectory, path: childPath, visit)
            } else {
                let status: FileStatus
                do {
                    status = try directory.status(of: child.entry.name)
                } catch {
                    if Self.isGone(error) { continue }
                    throw error
                }
                // A file replaced by a directory mid-walk sorts differently; skip it.
                guard status.isIndexed else { continue }
                try visit(.entry(path: childPath, status: status))
            }
        }
    }

    /// A directory's entries in index order, the reserved top-level names left out.
    private static func children(
        of directory: FileDescriptor, _ names: [DirectoryEntry], atTop: Bool
    ) -> [(key: [UInt8], entry: DirectoryEntry, isDirectory: Bool)] {
        var children: [(key: [UInt8], entry: DirectoryEntry, isDirectory: Bool)] = []
        children.reserveCapacity(names.count)
        for entry in names {
            if atTop && reservedTopLevelNames.contains(entry.name) { continue }
            var isDirectory = entry.typeHint == .directory
            if entry.typeHint == .unknown {
                // Filesystems without d_type: one lstat decides.
                guard let status = try? directory.status(of: entry.name) else { continue }
                isDirectory = status.kind == .directory
            }
            children.append((PathOrder.siblingKey(name: entry.name, isDirectory: isDirectory), entry, isDirectory))
        }
        children.sort { PathOrder.less($0.key, $1.key) }
        return children
    }

    /// The child directory to walk into, or nil when it is not to be walked:
    /// another mount, an invalid name, or gone since it was listed.
    private func openSubdirectory(
        _ name: [UInt8], in directory: FileDescriptor, path: [UInt8], _ visit: (Item) throws -> Void
    ) throws -> FileDescriptor? {
        do {
            return try chain.openChild(name, in: directory, path: path)
        } catch {
            switch error.kind {
            case .mountPoint:
                // Another mount is not ours, even a bind mount of this
                // filesystem: its files are not indexed.
                mountPoints.append(path)
            case .invalidPath:
                break
            case .system:
                // Gone or replaced by a non-directory since it was listed: its
                // place in the order is taken, so the next walk picks it up.
                guard let underlying = error.underlying, !Self.isGone(underlying) else { return nil }
                try visit(.unreadable(directory: path, error: underlying))
            }
            return nil
        }
    }

    static func isGone(_ error: SystemCallError) -> Bool {
        error.errno == ENOENT || error.errno == ENOTDIR || error.errno == ELOOP
    }
}
