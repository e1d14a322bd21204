import Glibc
import StorekeeperConfig
import StorekeeperIndex
import StorekeeperSystem

/// The trash: `<base>/.trash` in the freedesktop.org layout (`files/NAME`,
/// `info/NAME.trashinfo`), so trash-cli and file managers can list and restore
/// what the cleaner put there. Items only ever move by `rename` on the base's
/// filesystem; a trash elsewhere is refused and nothing is ever copied.
///
/// The folders are the truth. The index's `trash` table mirrors them (sizes,
/// categories, exact times) so `usage()` is one row read; `list()` resyncs it
/// with whatever other tools did. Not `Sendable`: it owns descriptors.
public final class Trash {
    static let infoSuffix: [UInt8] = Array(".trashinfo".utf8)
    /// Longest trash name: `NAME.trashinfo` must fit NAME_MAX (255 bytes).
    static let nameLimit = 255 - infoSuffix.count
    /// A `.trashinfo` is a few hundred bytes; anything far larger is not one.
    static let infoSizeLimit = 65_536

    let store: IndexStore
    let clock: () -> Int64
    let basePath: String
    let trashPath: String
    let base: FileDescriptor
    let device: UInt64
    /// How the trash reaches below the base and below its own folders.
    let chain: DirectoryChain
    let files: FileDescriptor
    let info: FileDescriptor
    /// The base as configured and as `realpath` sees it: absolute `Path=`
    /// values under either are ours (trash-cli writes the real path).
    let basePrefixes: [[[UInt8]]]
    let categoryDirectories: Set<[UInt8]>
    /// The next collision attempt per name, so a run trashing thousands of
    /// `frame_0001.jpg` does not probe every taken suffix again for each.
    var nextAttempt: [[UInt8]: Int] = [:]
    /// What trash-cli resolves relative `Path=` values against.
    lazy var mountPoint: [UInt8] = PathBytes.bytes(MountPoint.containing(trashPath))

    /// Opens the trash of `layout`, creating `.trash`, `files/` and `info/`
    /// (0700) where missing. Refused when one of them is a symlink, not a
    /// folder, or on another filesystem than the base.
    public init(layout: StorageLayout, store: IndexStore, now: @escaping () -> Int64 = WallClock.now) throws {
        self.store = store
        clock = now
        basePath = layout.basePath
        trashPath = layout.trashDirectory
        base = try FileDescriptor.open(PathBytes.bytes(basePath), access: .readOnly, options: .directory)
        device = try base.status().device
        chain = try DirectoryChain(base: base)
        let shown = PathBytes.bytes(trashPath)
        let trash = try Self.folder(shown, in: nil, device: device, shownAs: shown)
        files = try Self.folder(Array("files".utf8), in: trash, device: device, shownAs: shown + Array("/files".utf8))
        info = try Self.folder(Array("info".utf8), in: trash, device: device, shownAs: shown + Array("/info".utf8))
        var prefixes = [Self.normalized(PathBytes.bytes(basePath))]
        if let real = realpath(basePath, nil) {
            let resolved = Self.normalized(PathBytes.bytes(String(cString: real)))
            free(real)
            if resolved != prefixes[0] { prefixes.append(resolved) }
        }
        basePrefixes = prefixes
        categoryDirectories = layout.categoryDirectories
    }

    // MARK: Usage

    /// Items and bytes in the trash, from the index alone (one row).
    public func usage() throws -> (files: Int64, bytes: Int64) {
        try store.trashUsage()
    }

    // MARK: Info files

    /// Removes an info file; one already gone is fine. Used where a failure
    /// is already being reported, or where the item is gone either way.
    func removeInfo(_ trashName: [UInt8]) {
        try? info.removeEntry(trashName + Self.infoSuffix)
    }

    /// Removes an info file, saying why when it cannot; one already gone is fine.
    func unlinkInfo(_ trashName: [UInt8]) throws(SystemCallError) {
        do {
            let infoName = trashName + Self.infoSuffix
            try info.removeEntry(infoName, path: Array((trashPath + "/info/").utf8) + infoName)
        } catch  where error.errno == ENOENT {}
    }

    // MARK: Folders

    /// Creates (0700) and opens one of the trash's folders, refusing a symlink,
    /// a non-folder, or another filesystem.
    private static func folder(_ name: [UInt8], in parent: FileDescriptor?, device: UInt64, shownAs shown: [UInt8])
        throws -> FileDescriptor
    {
        do {
            try FileDescriptor.makeDirectory(name, in: parent, mode: 0o700, path: shown)
        } catch {
            // Already there is fine: it is checked below like a new one.
            guard error.errno == EEXIST else { throw error }
        }
        let folder: FileDescriptor
        do {
            folder = try FileDescriptor.openDirectory(name, relativeTo: parent)
        } catch {
            guard error.errno == ELOOP || error.errno == ENOTDIR else { throw error }
            throw TrashError(.notADirectory, path: shown, underlying: error)
        }
        guard try folder.status().device == device else { throw TrashError(.otherFilesystem, path: shown) }
        return folder
    }
}
