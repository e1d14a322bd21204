import Glibc
import StorekeeperSystem

/// The inotify instance: its descriptor, and watches added through a directory
/// descriptor that was opened without following symlinks, so a watch can never
/// land outside the base even if a path component is swapped for a symlink.
public final class Inotify {
    public let descriptor: FileDescriptor

    /// What every watch asks for. No IN_OPEN/IN_ACCESS (a self-inflicted flood);
    /// IN_EXCL_UNLINK so unlinked-but-open files stay quiet.
    public static let watchMask: UInt32 = UInt32(
        IN_CREATE | IN_DELETE | IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO
            | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_EXCL_UNLINK)

    public init() throws(SystemCallError) {
        let fd = try systemCall("inotify_init1") { inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC)) }
        descriptor = FileDescriptor(owning: fd)
    }

    /// Watches the directory open at `directory`. Returns the watch descriptor
    /// (the same one again for a directory already watched).
    public func addWatch(_ directory: FileDescriptor, path: [UInt8]) throws(SystemCallError) -> Int32 {
        // /proc/self/fd/N names exactly the inode we opened with O_NOFOLLOW.
        let procPath = "/proc/self/fd/\(directory.rawValue)"
        return try systemCall("inotify_add_watch", path: path) {
            inotify_add_watch(descriptor.rawValue, procPath, Self.watchMask)
        }
    }

    public func removeWatch(_ watch: Int32) {
        // EINVAL means the kernel already dropped it (IN_IGNORED is on its way).
        _ = inotify_rm_watch(descriptor.rawValue, watch)
    }

    /// The kernel's queue limit, for logs and the overflow test.
    public static var maxQueuedEvents: Int? {
        guard let bytes = FileSystemPaths.read("/proc/sys/fs/inotify/max_queued_events") else { return nil }
        return Int(String(decoding: bytes, as: UTF8.self).trimmingWhitespace())
    }
}
