import Foundation
import Glibc

/// A small tmpfs (a disk to fill, as root), unmounted — lazily, so a test
/// that failed half-way cannot leave it busy — when the test ends.
package final class SmallFilesystem {
    package let path: String

    /// Mounted as `tree`'s base.
    package convenience init(_ tree: TemporaryTree, size: String) throws {
        try self.init(at: tree.base, size: size)
    }

    package init(at path: String, size: String) throws {
        self.path = path
        mkdir(path, 0o755)
        let mount = try Shell.run(["mount", "-t", "tmpfs", "-o", "size=\(size)", "tmpfs", path], in: "/")
        guard mount.status == 0 else { throw MountFailed(description: "mount needs root: \(mount.stderr)") }
    }

    deinit {
        _ = try? Shell.run(["umount", "-l", path], in: "/")
        rmdir(path)
    }

    package var freeBytes: Int64 {
        var info = statvfs()
        statvfs(path, &info)
        return Int64(info.f_bavail) * Int64(info.f_frsize)
    }

    /// Writes zeros into `file` until the filesystem has no block left;
    /// returns whether the writer was stopped by ENOSPC.
    @discardableResult
    package func fill(_ file: String) throws -> Bool {
        let result = try Shell.run(["bash", "-c", "cat /dev/zero > '\(file)'"], in: path)
        return result.stderr.contains("No space left on device")
    }

    @discardableResult
    package func sh(_ script: String) throws -> Shell.Result {
        let result = try Shell.run(["bash", "-c", "set -e\n" + script], in: path)
        precondition(result.status == 0, "script failed: \(script)\n\(result.stderr)")
        return result
    }

    package func exists(_ relative: String) -> Bool {
        var status = stat()
        return lstat(path + "/" + relative, &status) == 0
    }
}

package struct MountFailed: Error, CustomStringConvertible {
    package let description: String
}
