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
        descriptor = try FileDescriptor.open(PathBytes.bytes(path), flags: O_RDWR | O_CREAT, mode: 0o644)
        let deadline = MonotonicClock.seconds() + wait
        while flock(descriptor.rawValue, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            if code == EINTR { continue }
            if code == EWOULDBLOCK {
                if MonotonicClock.seconds() < deadline {
                    usleep(50_000)
                    continue
                }
                throw Busy(path: path, holderPID: Self.readPID(descriptor), purpose: purpose)
            }
            throw SystemCallError(call: "flock", path: PathBytes.bytes(path), errno: code)
        }
        // Best effort: the pid only names the holder in errors, and writing it
        // needs a free block — a cleanup on a full disk must still get its lock.
        _ = ftruncate(descriptor.rawValue, 0)
        _ = try? descriptor.write(Array("\(getpid())\n".utf8), path: PathBytes.bytes(path))
    }

    public func release() {
        _ = ftruncate(descriptor.rawValue, 0)
        descriptor.close()
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
