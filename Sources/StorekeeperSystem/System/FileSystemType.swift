import Glibc

/// The filesystem a path lives on, by `statfs(2)`'s `f_type` magic.
///
/// inotify reports what this kernel does to a filesystem. On a network or
/// FUSE filesystem other machines (or the FUSE daemon) change files without
/// this kernel seeing it, so the watcher would be silently blind to them: the
/// daemon refuses inotify there unless the operator chooses polling.
public struct FileSystemType: Sendable, Equatable, CustomStringConvertible {
    public let magic: UInt64

    public init(magic: UInt64) {
        self.magic = magic
    }

    public static func of(_ path: String) throws(SystemCallError) -> FileSystemType {
        // Swift's Glibc module leaves out <sys/vfs.h>, so statfs(2) is looked
        // up in libc. Its struct starts with `f_type` (a `long`) on every
        // 64-bit Linux; the buffer is twice the struct's size.
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "statfs") else {
            throw SystemCallError(call: "statfs", path: Array(path.utf8), errno: ENOSYS)
        }
        typealias StatfsFunction = @convention(c) (UnsafePointer<CChar>, UnsafeMutableRawPointer) -> Int32
        let statfsCall = unsafeBitCast(symbol, to: StatfsFunction.self)
        var buffer = [Int](repeating: 0, count: 32)
        _ = try systemCall("statfs", path: Array(path.utf8)) {
            buffer.withUnsafeMutableBytes { bytes in statfsCall(path, bytes.baseAddress!) }
        }
        return FileSystemType(magic: UInt64(UInt(bitPattern: buffer[0])) & 0xFFFF_FFFF)
    }

    /// Magic numbers from linux/magic.h and the filesystems' own sources.
    static let shared: [UInt64: String] = [
        0x6969: "nfs",
        0x517B: "smb",
        0xFF53_4D42: "cifs",
        0xFE53_4D42: "smb2",
        0x00C3_6400: "ceph",
        0x6573_5546: "fuse",
        0x0102_1997: "9p",
        0x5346_414F: "afs",
        0x0BD0_0BD0: "lustre",
        0x4750_4653: "gpfs",
        0x7461_636F: "ocfs2",
        0x0119_0506: "gfs2",
    ]

    /// A filesystem other machines (or a FUSE daemon) can change behind this
    /// kernel's back; nil for a local one.
    public var sharedName: String? { Self.shared[magic] }

    public var description: String {
        sharedName ?? "local (0x" + String(magic, radix: 16) + ")"
    }
}
