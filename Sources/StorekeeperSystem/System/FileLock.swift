import Glibc

/// An exclusive `flock` on a lock file, held until `release()` or deinit.
/// The kernel drops it when the process dies, so a crash never leaves a stale
/// lock; the holder's pid is written into the file only to name it in errors,
/// and only when there is room: taking a lock never needs free space.
public final class FileLock {
    public let path: String
    private let descriptor: FileDescriptor

    public struct Busy: Error, CustomStringConvertible {
        public let path: String
        public let holderPID: Int32?
        public let purpose: String

        public var description: String {
            let holder = holderPID.map { "process \($0)" } ?? "another process"
            return "\(purpose) is locked by \(holder) (\(path))"
        }
    }

    /// Takes the lock, waiting up to `wait` seconds for another holder to let
    /// go (0: not at all); throws `Busy` naming the holder when it does not.
    public init(path: String, purpose: String, wait: Double = 0) throws {
        self.path = path
        descriptor = try FileDescriptor.open(
            PathBytes.bytes(path), access: .readWrite, options: .create, mode: 0o644)
        try Self.lock(descriptor, path: path, purpose: purpose, wait: wait)
        // Best effort: the pid only names the holder in errors, and writing it
        // needs a free block — a cleanup on a full disk must still get its lock.
        _ = ftruncate(descriptor.rawValue, 0)
        _ = try? descriptor.write(Array("\(getpid())\n".utf8), path: PathBytes.bytes(path))
    }

    public func release() {
        _ = ftruncate(descriptor.rawValue, 0)
        descriptor.close()
    }

    private static func lock(_ descriptor: FileDescriptor, path: String, purpose: String, wait: Double) throws {
        let deadline = MonotonicClock.seconds() + wait
        while try !tryLock(descriptor, path: path) {
            guard MonotonicClock.seconds() < deadline else {
                throw Busy(path: path, holderPID: readPID(descriptor), purpose: purpose)
            }
            usleep(50_000)
        }
    }

    /// True when taken; false while another process holds it.
    private static func tryLock(_ descriptor: FileDescriptor, path: String) throws(SystemCallError) -> Bool {
        do throws(SystemCallError) {
            _ = try systemCall("flock", path: PathBytes.bytes(path)) { flock(descriptor.rawValue, LOCK_EX | LOCK_NB) }
            return true
        } catch  where error.errno == EWOULDBLOCK {
            return false
        }
    }

    private static func readPID(_ descriptor: FileDescriptor) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = pread(descriptor.rawValue, &buffer, buffer.count, 0)
        guard count > 0 else { return nil }
        let text = String(decoding: buffer[0..<count], as: UTF8.self).trimmingWhitespace()
        return Int32(text)
    }
}

extension String {
    package func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let start = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let end = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[start...end])
    }
}
