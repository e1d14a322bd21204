import Glibc

/// An owned file descriptor: closed exactly once, by `close()` or by `deinit`.
/// Not `Sendable`: a descriptor belongs to the thread that opened it.
public final class FileDescriptor {
    public private(set) var rawValue: Int32

    package init(owning rawValue: Int32) {
        precondition(rawValue >= 0, "negative file descriptor")
        self.rawValue = rawValue
    }

    deinit {
        if rawValue >= 0 { _ = Glibc.close(rawValue) }
    }

    /// Closes now. Never retried on EINTR: on Linux the descriptor is already
    /// released when close returns, and a retry could close someone else's.
    public func close() {
        guard rawValue >= 0 else { return }
        _ = Glibc.close(rawValue)
        rawValue = -1
    }

    /// Opens `path` relative to `directory` (or the working directory when nil).
    /// Always `O_CLOEXEC`; callers add `O_NOFOLLOW` where a symlink must not be followed.
    public static func open(
        _ path: [UInt8], relativeTo directory: FileDescriptor? = nil, flags: Int32, mode: mode_t = 0
    ) throws(SystemCallError) -> FileDescriptor {
        let dirfd = directory?.rawValue ?? AT_FDCWD
        let fd = try retryingEINTR("openat", path: path) {
            PathBytes.withCString(path) { openat(dirfd, $0, flags | O_CLOEXEC, mode) }
        }
        return FileDescriptor(owning: fd)
    }

    /// Opens a directory without following a symlink in its last component.
    public static func openDirectory(
        _ path: [UInt8], relativeTo directory: FileDescriptor? = nil
    ) throws(SystemCallError) -> FileDescriptor {
        try open(path, relativeTo: directory, flags: O_RDONLY | O_DIRECTORY | O_NOFOLLOW)
    }

    public func status() throws(SystemCallError) -> FileStatus {
        var st = stat()
        _ = try retryingEINTR("fstat") { fstat(rawValue, &st) }
        return FileStatus(st)
    }

    /// `fstatat(AT_SYMLINK_NOFOLLOW)` of a name inside this directory.
    public func status(of name: [UInt8]) throws(SystemCallError) -> FileStatus {
        var st = stat()
        _ = try retryingEINTR("fstatat", path: name) {
            PathBytes.withCString(name) { fstatat(rawValue, $0, &st, AT_SYMLINK_NOFOLLOW) }
        }
        return FileStatus(st)
    }

    /// Writes all of `bytes`; `path` only names the file in an error.
    public func write(_ bytes: [UInt8], path: [UInt8]? = nil) throws(SystemCallError) {
        var offset = 0
        while offset < bytes.count {
            let written = try retryingEINTR("write", path: path) {
                bytes.withUnsafeBytes { Glibc.write(rawValue, $0.baseAddress! + offset, bytes.count - offset) }
            }
            offset += written
        }
    }
}
