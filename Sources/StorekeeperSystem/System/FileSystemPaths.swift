import Glibc

/// Path-level helpers for the few places that work with configured (String)
/// paths rather than names inside the tree: creating the layout, checking it.
public enum FileSystemPaths {
    /// `mkdir -p` with `mode` for each directory it creates; returns whether the
    /// last one was created. An existing symlink is refused: nothing below the
    /// base may be reached through one.
    @discardableResult
    public static func makeDirectories(_ path: String, mode: mode_t = 0o755) throws(SystemCallError) -> Bool {
        var status = stat()
        if lstat(path, &status) == 0 {
            if status.st_mode & S_IFMT == S_IFDIR { return false }
            if status.st_mode & S_IFMT == S_IFLNK, stat(path, &status) == 0, status.st_mode & S_IFMT == S_IFDIR {
                return false
            }
            throw SystemCallError(call: "mkdir", path: PathBytes.bytes(path), errno: ENOTDIR)
        }
        let parent = parentDirectory(path)
        if parent != path && !parent.isEmpty { try makeDirectories(parent, mode: mode) }
        _ = try systemCall("mkdir", path: PathBytes.bytes(path)) { mkdir(path, mode) }
        // The umask may have narrowed the mode; the layout promises it exactly.
        _ = try systemCall("chmod", path: PathBytes.bytes(path)) { chmod(path, mode) }
        return true
    }

    public static func parentDirectory(_ path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return "." }
        if slash == trimmed.startIndex { return "/" }
        return String(trimmed[..<slash])
    }

    public static func exists(_ path: String) -> Bool {
        var status = stat()
        return lstat(path, &status) == 0
    }

    public static func kind(_ path: String) -> FileStatus.Kind? {
        var status = stat()
        guard lstat(path, &status) == 0 else { return nil }
        return FileStatus(status).kind
    }

    /// Writes `contents` to `path` through a temporary file and `rename`, so a
    /// reader sees the old or the new file, never half of one.
    public static func writeAtomically(_ path: String, contents: String, mode: mode_t = 0o644) throws(SystemCallError) {
        let temporary = path + ".tmp.\(getpid())"
        let descriptor = try FileDescriptor.open(
            PathBytes.bytes(temporary), access: .writeOnly, options: [.create, .truncate, .noFollow], mode: mode)
        do {
            try descriptor.write(Array(contents.utf8), path: PathBytes.bytes(path))
            try descriptor.changeMode(mode, path: PathBytes.bytes(temporary))
            _ = try systemCall("fsync", path: PathBytes.bytes(temporary)) { fsync(descriptor.rawValue) }
            descriptor.close()
            _ = try systemCall("rename", path: PathBytes.bytes(path)) { rename(temporary, path) }
        } catch {
            unlink(temporary)
            throw error
        }
    }

    /// Reads a whole small file (a README, a lock file), or nil when it cannot be read.
    public static func read(_ path: String) -> [UInt8]? {
        let bytes = PathBytes.bytes(path)
        guard let descriptor = try? FileDescriptor.open(bytes, access: .readOnly) else { return nil }
        // A read that fails halfway is not handed on as if it were the whole file.
        return try? descriptor.readToEnd(path: bytes)
    }
}
