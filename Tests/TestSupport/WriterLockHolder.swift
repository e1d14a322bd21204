import Glibc

/// Holds the index's writer lock from the test process, as a running daemon
/// would, without spawning a helper process that could inherit other tests' pipes.
package final class WriterLockHolder {
    private let descriptor: Int32

    package init(_ tree: TemporaryTree) throws {
        descriptor = open(tree.base + "/.storekeeper/index.db.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        precondition(descriptor >= 0, "cannot open the lock file: \(errno)")
        precondition(flock(descriptor, LOCK_EX | LOCK_NB) == 0, "lock already held: \(errno)")
    }

    package func release() { close(descriptor) }
}
