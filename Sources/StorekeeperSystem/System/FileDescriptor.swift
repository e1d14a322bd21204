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

    /// Closes now, and never again: on Linux the descriptor is released when
    /// close returns, even interrupted, and a second close could close the
    /// one another thread just received.
    public func close() {
        guard rawValue >= 0 else { return }
        _ = Glibc.close(rawValue)
        rawValue = -1
    }

    /// Opens `path` relative to `directory` (or the working directory when
    /// nil), close-on-exec; callers add `.noFollow` where a symlink must not
    /// be followed.
    public static func open(
        _ path: [UInt8], relativeTo directory: FileDescriptor? = nil, access: FileAccess,
        options: OpenOptions = [], mode: mode_t = 0
    ) throws(SystemCallError) -> FileDescriptor {
        let dirfd = directory?.rawValue ?? AT_FDCWD
        let flags = access.flags | options.rawValue | O_CLOEXEC
        let fd = try systemCall("openat", path: path) {
            PathBytes.withCString(path) { openat(dirfd, $0, flags, mode) }
        }
        return FileDescriptor(owning: fd)
    }

    /// Opens a directory without following a symlink in its last component.
    public static func openDirectory(
        _ path: [UInt8], relativeTo directory: FileDescriptor? = nil
    ) throws(SystemCallError) -> FileDescriptor {
        try open(path, relativeTo: directory, access: .readOnly, options: [.directory, .noFollow])
    }

    public func status() throws(SystemCallError) -> FileStatus {
        var st = stat()
        _ = try systemCall("fstat") { fstat(rawValue, &st) }
        return FileStatus(st)
    }

    /// `fstatat(AT_SYMLINK_NOFOLLOW)` of a name inside this directory.
    public func status(of name: [UInt8]) throws(SystemCallError) -> FileStatus {
        var st = stat()
        _ = try systemCall("fstatat", path: name) {
            PathBytes.withCString(name) { fstatat(rawValue, $0, &st, AT_SYMLINK_NOFOLLOW) }
        }
        return FileStatus(st)
    }

    /// Writes all of `bytes`; `path` only names the file in an error.
    public func write(_ bytes: [UInt8], path: [UInt8]? = nil) throws(SystemCallError) {
        var offset = 0
        while offset < bytes.count {
            let written = try systemCall("write", path: path) {
                bytes.withUnsafeBytes { Glibc.write(rawValue, $0.baseAddress! + offset, bytes.count - offset) }
            }
            offset += written
        }
    }

    /// Reads from the current offset to the end of the file, or until more
    /// than `limit` bytes were read (the caller decides what that means);
    /// `path` only names the file in an error.
    public func readToEnd(limit: Int = .max, path: [UInt8]? = nil) throws(SystemCallError) -> [UInt8] {
        var contents: [UInt8] = []
        // A buffer on the stack: a zeroed 64 KiB heap buffer (its memset and
        // page faults) cost more than reading a config file or a health file.
        try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 16_384) {
            (buffer: UnsafeMutableBufferPointer<UInt8>) throws(SystemCallError) in
            while contents.count <= limit {
                let count = try systemCall("read", path: path) {
                    Glibc.read(rawValue, buffer.baseAddress, buffer.count)
                }
                if count == 0 { break }
                contents.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[..<count]))
            }
        }
        return contents
    }

    /// `fchmod`; `path` only names the file in an error.
    public func changeMode(_ mode: mode_t, path: [UInt8]? = nil) throws(SystemCallError) {
        _ = try systemCall("fchmod", path: path) { fchmod(rawValue, mode) }
    }

    /// Removes the entry `name` of this directory (`unlinkat`; a folder, which
    /// must be empty, with `directory: true`); `path` names it in an error.
    public func removeEntry(_ name: [UInt8], directory: Bool = false, path: [UInt8]? = nil) throws(SystemCallError) {
        _ = try systemCall("unlinkat", path: path ?? name) {
            PathBytes.withCString(name) { unlinkat(rawValue, $0, directory ? AT_REMOVEDIR : 0) }
        }
    }

    /// Creates the folder `name` inside `directory` (the working directory
    /// when nil); `path` names it in an error.
    public static func makeDirectory(
        _ name: [UInt8], in directory: FileDescriptor?, mode: mode_t, path: [UInt8]? = nil
    ) throws(SystemCallError) {
        let dirfd = directory?.rawValue ?? AT_FDCWD
        _ = try systemCall("mkdirat", path: path ?? name) { PathBytes.withCString(name) { mkdirat(dirfd, $0, mode) } }
    }
}

/// Writes all of `bytes` to a descriptor we do not own (stderr), as far as
/// it takes them: a closed or full stream must never stop the process, so a
/// failure ends the write and nothing else.
package func writeBestEffort(_ bytes: [UInt8], to descriptor: Int32) {
    var rest = bytes[...]
    while !rest.isEmpty {
        let written = try? systemCall("write", badDescriptorIsBug: false) {
            rest.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        }
        guard let written, written > 0 else { return }
        rest = rest.dropFirst(written)
    }
}
