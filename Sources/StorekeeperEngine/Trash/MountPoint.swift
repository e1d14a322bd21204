import Glibc
import StorekeeperSystem

/// The mount point holding a path, found the way trash-cli finds it (Python's
/// `os.path.ismount` on each lexical parent): trash-cli writes `Path=` relative
/// to it when it trashes into a `--trash-dir`, so reading those values back
/// needs the same answer. Bind mounts of one filesystem are invisible to this
/// test, to trash-cli and to us alike.
enum MountPoint {
    static func containing(_ path: String) -> String {
        var current = path
        while current != "/" && !current.isEmpty {
            if isMountPoint(current) { return current }
            current = FileSystemPaths.parentDirectory(current)
        }
        return "/"
    }

    /// A real folder whose parent is on another device, or is itself (`/`).
    private static func isMountPoint(_ path: String) -> Bool {
        var status = stat()
        var parent = stat()
        guard lstat(path, &status) == 0, status.st_mode & S_IFMT != S_IFLNK, lstat(path + "/..", &parent) == 0
        else { return false }
        return status.st_dev != parent.st_dev || status.st_ino == parent.st_ino
    }
}
