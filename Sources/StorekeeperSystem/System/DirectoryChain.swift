import Glibc

/// The one way below the base: folders opened one component at a time with
/// `O_NOFOLLOW|O_DIRECTORY`, relative to the folder before, never through a
/// `..`, and never into another mount. A mount is recognised by its mount id
/// (`statx`'s `STATX_MNT_ID`) as well as by `st_dev`, because a bind mount of
/// the same filesystem keeps the device: only the mount id tells that a folder
/// of the tree is really a folder from somewhere else.
///
/// The walker, the watcher's parent cache, the remover and the trash all go
/// through here, so what one of them refuses, none of them crosses.
public final class DirectoryChain {
    /// What `statx` said of one entry: the facts the index records, and the
    /// two that decide whether it may be acted on.
    public struct Entry: Sendable {
        public let status: FileStatus
        /// Seconds of the last change to the inode (`chmod`, a write, a `touch -d`).
        public let ctime: Int64
        /// The mount it is on; nil where the kernel gives no mount ids.
        public let mountID: UInt64?
    }

    public let base: FileDescriptor
    public let baseDevice: UInt64
    public let baseMountID: UInt64?

    public init(base: FileDescriptor) throws(SystemCallError) {
        self.base = base
        let entry = try Self.statx(base, name: [], path: [])
        baseDevice = entry.status.device
        baseMountID = entry.mountID
    }

    public convenience init(basePath: String) throws(SystemCallError) {
        // The base itself may be reached through a symlink (a deliberate choice of
        // the operator); nothing below it is.
        try self.init(base: FileDescriptor.open(PathBytes.bytes(basePath), access: .readOnly, options: .directory))
    }

    // MARK: Components

    /// A name that may be one step of a path below the base: not empty, not
    /// `.` or `..`, without `/` or NUL.
    public static func isValidComponent(_ name: some Collection<UInt8>) -> Bool {
        guard !name.isEmpty, !name.contains(0), !name.contains(PathBytes.separator) else { return false }
        return !name.elementsEqual([0x2E]) && !name.elementsEqual([0x2E, 0x2E])
    }

    /// The components of a relative path as the index stores it, or nil when
    /// it is not one: absolute, with an empty step (`a//b`, a trailing `/`),
    /// a `.` or `..`, or a NUL. The empty path is the base and has none.
    public static func components(_ path: [UInt8]) -> [[UInt8]]? {
        if path.isEmpty { return [] }
        let components = path.split(separator: PathBytes.separator, omittingEmptySubsequences: false).map(Array.init)
        return components.allSatisfy(isValidComponent) ? components : nil
    }

    // MARK: Opening

    /// Opens the folder `name` inside `parent` (whose path is `path`'s parent)
    /// without following a symlink, refusing a mount point.
    public func openChild(_ name: [UInt8], in parent: FileDescriptor, path: [UInt8]) throws(DirectoryChainError)
        -> FileDescriptor
    {
        try openChildEntry(name, in: parent, path: path).directory
    }

    /// `openChild`, with what `statx` said of the opened folder: a caller
    /// that keeps the folder open re-checks the name against that identity.
    public func openChildEntry(_ name: [UInt8], in parent: FileDescriptor, path: [UInt8]) throws(DirectoryChainError)
        -> (directory: FileDescriptor, entry: Entry)
    {
        guard Self.isValidComponent(name) else { throw DirectoryChainError(.invalidPath, path: path) }
        let directory: FileDescriptor
        do {
            directory = try FileDescriptor.openDirectory(name, relativeTo: parent)
        } catch {
            throw DirectoryChainError(.system, path: path, underlying: error)
        }
        let entry: Entry
        do {
            entry = try Self.statx(directory, name: [], path: path)
        } catch {
            throw DirectoryChainError(.system, path: path, underlying: error)
        }
        if !isInside(entry) { throw DirectoryChainError(.mountPoint, path: path) }
        return (directory, entry)
    }

    /// Opens the folder at `path` (relative; the base when empty), one checked
    /// step at a time.
    public func open(_ path: [UInt8]) throws(DirectoryChainError) -> FileDescriptor {
        guard let components = Self.components(path) else { throw DirectoryChainError(.invalidPath, path: path) }
        return try open(components[...], path: path)
    }

    /// Opens the folder whose components are `components`; `path` names it in errors.
    public func open(_ components: ArraySlice<[UInt8]>, path: [UInt8]) throws(DirectoryChainError) -> FileDescriptor {
        var directory = base
        var walked: [UInt8] = []
        for component in components {
            walked = PathBytes.join(walked, component)
            directory = try openChild(component, in: directory, path: walked)
        }
        return directory
    }

    // MARK: Looking

    /// `statx` of `name` in `directory` without following a symlink; `path`
    /// names it in errors.
    public func entry(_ name: [UInt8], in directory: FileDescriptor, path: [UInt8]) throws(SystemCallError) -> Entry {
        try Self.statx(directory, name: name, path: path)
    }

    /// True when `entry` is on the base's mount: same device and, where the
    /// kernel says, same mount id. A mount point inside the tree, or anything
    /// below or bind-mounted onto one, is not.
    public func isInside(_ entry: Entry) -> Bool {
        guard entry.status.device == baseDevice else { return false }
        guard let baseMountID, let mountID = entry.mountID else { return true }
        return mountID == baseMountID
    }

    // MARK: statx

    private typealias StatxFunction =
        @convention(c) (
            Int32, UnsafePointer<CChar>?, Int32, UInt32, UnsafeMutableRawPointer?
        ) -> Int32

    /// Looked up at run time: Swift's Glibc module does not declare `statx`
    /// (it sits behind `_GNU_SOURCE`).
    private static let statxFunction: StatxFunction? = {
        guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "statx") else { return nil }
        return unsafeBitCast(symbol, to: StatxFunction.self)
    }()

    private static let emptyPath: Int32 = 0x1000
    private static let statxBasicStats: UInt32 = 0x7FF
    private static let statxMountID: UInt32 = 0x1000
    /// `struct statx` is 256 bytes on every architecture; the offsets below are its ABI.
    private static let statxSize = 256

    /// An empty `name` describes `directory` itself (`AT_EMPTY_PATH`).
    private static func statx(_ directory: FileDescriptor, name: [UInt8], path: [UInt8]) throws(SystemCallError)
        -> Entry
    {
        guard let statxFunction else { return try fallback(directory, name: name, path: path) }
        let flags = AT_SYMLINK_NOFOLLOW | (name.isEmpty ? emptyPath : 0)
        // On the stack: the remover looks at every file and every folder on its way.
        let outcome = withUnsafeTemporaryAllocation(byteCount: statxSize, alignment: 8) {
            buffer -> Result<Entry, SystemCallError> in
            do throws(SystemCallError) {
                _ = try systemCall("statx", path: path) {
                    PathBytes.withCString(name) { cName in
                        statxFunction(
                            directory.rawValue, cName, flags, statxBasicStats | statxMountID, buffer.baseAddress)
                    }
                }
            } catch {
                return .failure(error)
            }
            return .success(decode(UnsafeRawBufferPointer(buffer)))
        }
        switch outcome {
        case .success(let entry): return entry
        case .failure(let error) where error.errno == ENOSYS: return try fallback(directory, name: name, path: path)
        case .failure(let error): throw error
        }
    }

    /// `struct statx` read as `stat` would be filled, so `FileStatus` reads both the same way.
    private static func decode(_ raw: UnsafeRawBufferPointer) -> Entry {
        func load<T>(_ offset: Int, _: T.Type) -> T { raw.loadUnaligned(fromByteOffset: offset, as: T.self) }
        func timestamp(_ offset: Int) -> timespec {
            timespec(tv_sec: Int(load(offset, Int64.self)), tv_nsec: Int(load(offset + 8, UInt32.self)))
        }
        // glibc's makedev, so the device equals what `stat` reports.
        func device(_ offset: Int) -> dev_t {
            let major = UInt64(load(offset, UInt32.self))
            let minor = UInt64(load(offset + 4, UInt32.self))
            return dev_t(
                (major & 0xFFFF_F000) << 32 | (major & 0xFFF) << 8 | (minor & 0xFFFF_FF00) << 12 | (minor & 0xFF))
        }
        var st = stat()
        st.st_mode = mode_t(load(28, UInt16.self))
        st.st_nlink = nlink_t(load(16, UInt32.self))
        st.st_uid = uid_t(load(20, UInt32.self))
        st.st_gid = gid_t(load(24, UInt32.self))
        st.st_blksize = blksize_t(load(4, UInt32.self))
        st.st_ino = ino_t(load(32, UInt64.self))
        st.st_size = off_t(load(40, Int64.self))
        st.st_blocks = blkcnt_t(load(48, UInt64.self))
        st.st_atim = timestamp(64)
        st.st_ctim = timestamp(96)
        st.st_mtim = timestamp(112)
        st.st_rdev = device(128)
        st.st_dev = device(136)
        let mask = load(0, UInt32.self)
        return Entry(
            status: FileStatus(st), ctime: Int64(st.st_ctim.tv_sec),
            mountID: mask & statxMountID != 0 ? load(144, UInt64.self) : nil)
    }

    /// Without `statx`, only the device tells mounts apart.
    private static func fallback(_ directory: FileDescriptor, name: [UInt8], path: [UInt8]) throws(SystemCallError)
        -> Entry
    {
        var st = stat()
        if name.isEmpty {
            _ = try systemCall("fstat", path: path) { fstat(directory.rawValue, &st) }
        } else {
            _ = try systemCall("fstatat", path: path) {
                PathBytes.withCString(name) { fstatat(directory.rawValue, $0, &st, AT_SYMLINK_NOFOLLOW) }
            }
        }
        return Entry(status: FileStatus(st), ctime: Int64(st.st_ctim.tv_sec), mountID: nil)
    }
}

/// Why a path below the base was not reached, naming the path.
public struct DirectoryChainError: Error, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// A component is empty, `.`, `..`, or holds a NUL: not a path of the tree.
        case invalidPath
        /// A folder on the way is another mount (a bind mount included).
        case mountPoint
        /// The open or the `statx` failed; `underlying` says how.
        case system
    }

    public let kind: Kind
    public let path: [UInt8]
    public let underlying: SystemCallError?

    public init(_ kind: Kind, path: [UInt8], underlying: SystemCallError? = nil) {
        self.kind = kind
        self.path = path
        self.underlying = underlying
    }

    /// The errno of a failed call, for callers that sort failures by it.
    public var errno: Int32? { underlying?.errno }

    public var description: String {
        switch kind {
        case .invalidPath: return "open \(PathBytes.display(path)): not a path below the base"
        case .mountPoint: return "open \(PathBytes.display(path)): a mount point, not crossed"
        case .system: return underlying?.description ?? "open \(PathBytes.display(path))"
        }
    }
}
