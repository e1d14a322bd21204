import Glibc

/// A preallocated file that holds back a little space on the index's
/// filesystem. On a full disk, SQLite cannot commit (its WAL needs new
/// blocks), so neither the cleaner's records nor the watcher's changes could
/// be written at the moment they matter most. Whoever meets a full disk
/// releases the reserve, which gives the index room to commit while the
/// cleaner frees real space; the daemon puts it back once the disk has room.
public struct SpaceReserve: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    /// The reserve for a filesystem of `totalBytes`: 1 %, between 256 KiB and
    /// 8 MiB — enough for many slices of index writes, too little to matter
    /// to the alert threshold.
    public static func size(forFilesystemOf totalBytes: Int64) -> Int64 {
        min(max(totalBytes / 100, 256 * 1024), 8 * 1024 * 1024)
    }

    public var isHeld: Bool { access(path, F_OK) == 0 }

    /// Frees the reserve when the filesystem has less than a reserve's worth
    /// of free space left; returns the bytes released (0: none held, or room enough).
    @discardableResult
    public func releaseIfDiskFull() -> Int64 {
        guard isHeld, let space = try? FileSystemSpace.of(parentDirectory) else { return 0 }
        guard space.freeBytes < Self.size(forFilesystemOf: space.totalBytes) else { return 0 }
        return release()
    }

    /// `releaseIfDiskFull`, saying so in the log when it released anything.
    @discardableResult
    public func releaseIfDiskFull(logger: Logger) -> Int64 {
        let released = releaseIfDiskFull()
        if released > 0 {
            logger.warning("the disk is full; released the space reserve for the index", ["bytes": String(released)])
        }
        return released
    }

    /// Frees the reserve now; returns the bytes it held (0 when none was held).
    @discardableResult
    public func release() -> Int64 {
        var info = stat()
        guard lstat(path, &info) == 0, unlink(path) == 0 else { return 0 }
        return Int64(info.st_blocks) * 512
    }

    /// Creates the reserve when it is missing and the filesystem keeps at
    /// least `margin` bytes free beside it; returns whether it was created.
    /// The file is allocated under a temporary name and renamed, so a reserve
    /// that exists is always whole.
    @discardableResult
    public func replenish(keepingFree margin: Int64) throws(SystemCallError) -> Bool {
        guard !isHeld else { return false }
        let space = try FileSystemSpace.of(parentDirectory)
        let size = Self.size(forFilesystemOf: space.totalBytes)
        guard space.freeBytes.subtractingReportingOverflow(size).partialValue > max(margin, size) else { return false }
        let temporary = path + ".new"
        let descriptor = try FileDescriptor.open(
            PathBytes.bytes(temporary), access: .writeOnly, options: [.create, .truncate, .noFollow], mode: 0o600)
        let code = posix_fallocate(descriptor.rawValue, 0, off_t(size))
        descriptor.close()
        guard code == 0 else {
            unlink(temporary)
            throw SystemCallError(call: "posix_fallocate", path: PathBytes.bytes(temporary), errno: code)
        }
        do {
            _ = try systemCall("rename", path: PathBytes.bytes(path)) { rename(temporary, path) }
        } catch {
            unlink(temporary)
            throw error
        }
        return true
    }

    private var parentDirectory: String { FileSystemPaths.parentDirectory(path) }
}
