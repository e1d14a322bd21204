import Foundation
import Glibc
import Testing

/// A small tmpfs (a disk to fill, as root), unmounted — lazily, so a test
/// that failed half-way cannot leave it busy — when the test ends.
final class SmallFilesystem {
    let path: String

    /// Mounted as `tree`'s base.
    convenience init(_ tree: TemporaryTree, size: String) throws {
        try self.init(at: tree.base, size: size)
    }

    init(at path: String, size: String) throws {
        self.path = path
        mkdir(path, 0o755)
        let mount = try Shell.run(["mount", "-t", "tmpfs", "-o", "size=\(size)", "tmpfs", path], in: "/")
        try #require(mount.status == 0, "mount needs root: \(mount.stderr)")
    }

    deinit {
        _ = try? Shell.run(["umount", "-l", path], in: "/")
        rmdir(path)
    }

    var freeBytes: Int64 {
        var info = statvfs()
        statvfs(path, &info)
        return Int64(info.f_bavail) * Int64(info.f_frsize)
    }

    /// Writes zeros into `file` until the filesystem has no block left;
    /// returns whether the writer was stopped by ENOSPC.
    @discardableResult
    func fill(_ file: String) throws -> Bool {
        let result = try Shell.run(["bash", "-c", "cat /dev/zero > '\(file)'"], in: path)
        return result.stderr.contains("No space left on device")
    }

    @discardableResult
    func sh(_ script: String) throws -> StorekeeperBinary.Result {
        let result = try Shell.run(["bash", "-c", "set -e\n" + script], in: path)
        precondition(result.status == 0, "script failed: \(script)\n\(result.stderr)")
        return result
    }

    func exists(_ relative: String) -> Bool {
        var status = stat()
        return lstat(path + "/" + relative, &status) == 0
    }
}
