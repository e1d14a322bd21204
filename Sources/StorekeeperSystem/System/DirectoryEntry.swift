import Glibc

/// One name read from a directory, with the type the kernel reported for it
/// (`d_type`), which saves an `lstat` for every subdirectory on ext4, xfs and btrfs.
public struct DirectoryEntry: Sendable {
    public enum TypeHint: Sendable {
        case directory, file, symlink, other, unknown
    }

    public let name: [UInt8]
    public let typeHint: TypeHint
}

extension FileDescriptor {
    /// Every entry of this directory except `.` and `..`, in the order the
    /// filesystem returns them. Reads through a duplicate descriptor so this
    /// one stays open and positioned for `openat`/`fstatat`.
    public func readEntries() throws(SystemCallError) -> [DirectoryEntry] {
        let duplicate = try systemCall("fcntl(F_DUPFD_CLOEXEC)") { fcntl(rawValue, F_DUPFD_CLOEXEC, 0) }
        guard let stream = fdopendir(duplicate) else {
            let code = errno
            _ = Glibc.close(duplicate)
            throw SystemCallError(call: "fdopendir", errno: code)
        }
        defer { closedir(stream) }
        rewinddir(stream)
        var entries: [DirectoryEntry] = []
        while true {
            errno = 0
            guard let entry = readdir(stream) else {
                if errno != 0 { throw SystemCallError(call: "readdir", errno: errno) }
                return entries
            }
            let name: [UInt8] = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                let length = strnlen(raw.baseAddress!.assumingMemoryBound(to: CChar.self), raw.count)
                return Array(raw.prefix(length))
            }
            if name == [0x2E] || name == [0x2E, 0x2E] { continue }
            let hint: DirectoryEntry.TypeHint
            switch Int32(entry.pointee.d_type) {
            case Int32(DT_DIR): hint = .directory
            case Int32(DT_REG): hint = .file
            case Int32(DT_LNK): hint = .symlink
            case Int32(DT_UNKNOWN): hint = .unknown
            default: hint = .other
            }
            entries.append(DirectoryEntry(name: name, typeHint: hint))
        }
    }
}
