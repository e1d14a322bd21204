import Glibc

/// Free and total bytes of the filesystem holding a path (`statvfs`), as an
/// unprivileged process sees them: `f_bavail`, not `f_bfree`.
public struct FileSystemSpace: Equatable, Sendable {
    public let totalBytes: Int64
    public let freeBytes: Int64

    public static func of(_ path: String) throws(SystemCallError) -> FileSystemSpace {
        var info = statvfs()
        _ = try systemCall("statvfs", path: PathBytes.bytes(path)) { statvfs(path, &info) }
        // A filesystem may claim any size (a FUSE one says what it likes).
        let unit = Int64(clamping: info.f_frsize)
        return FileSystemSpace(
            totalBytes: Int64(clamping: info.f_blocks).multipliedSaturating(by: unit),
            freeBytes: Int64(clamping: info.f_bavail).multipliedSaturating(by: unit))
    }

    public var freePercent: Double {
        totalBytes > 0 ? Double(freeBytes) * 100 / Double(totalBytes) : 0
    }
}
