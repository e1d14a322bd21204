import StorekeeperConfig
import StorekeeperSystem

/// The layout's locks live with the index: both refuse a missing index, which
/// is the index's own error.
extension StorageLayout {
    /// Takes the cleanup lock, waiting up to `wait` seconds for a run in progress.
    public func lockForCleanup(wait: Double) throws -> FileLock {
        guard FileSystemPaths.exists(indexPath) else { throw IndexStoreError.missing(path: indexPath) }
        return try FileLock(path: cleanupLockPath, purpose: "cleanup", wait: wait)
    }

    /// Opens the writer lock, naming the holder when busy.
    /// Nothing is created for a missing index: that is `init`'s job.
    public func lockForWriting() throws -> FileLock {
        guard FileSystemPaths.exists(indexPath) else { throw IndexStoreError.missing(path: indexPath) }
        return try FileLock(path: writerLockPath, purpose: "the index \(indexPath)")
    }
}
