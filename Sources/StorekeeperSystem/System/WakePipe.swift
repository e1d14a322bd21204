import Glibc

/// A self-pipe for waking a thread blocked in `poll`: nonblocking on both ends,
/// so signalling never blocks and a full pipe just means "already awake".
public final class WakePipe: Sendable {
    public let readEnd: Int32
    public let writeEnd: Int32

    public init() throws(SystemCallError) {
        var ends: [Int32] = [-1, -1]
        _ = try systemCall("pipe") { pipe(&ends) }
        for end in ends {
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
        }
        readEnd = ends[0]
        writeEnd = ends[1]
    }

    deinit {
        Glibc.close(readEnd)
        Glibc.close(writeEnd)
    }

    public func signal() {
        var byte: UInt8 = 1
        _ = Glibc.write(writeEnd, &byte, 1)
    }

    /// Empties the pipe after a wake-up.
    public func drain() {
        var buffer = [UInt8](repeating: 0, count: 256)
        while Glibc.read(readEnd, &buffer, buffer.count) > 0 {}
    }

    /// Waits until signalled or `timeout` seconds pass (nil: forever).
    /// Returns true when signalled.
    @discardableResult
    public func wait(timeout: Double?) -> Bool {
        var descriptor = pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0)
        let milliseconds = timeout.map { Int32(max(0, min($0, 3600)) * 1000) } ?? -1
        let ready = poll(&descriptor, 1, milliseconds)
        if ready > 0 {
            drain()
            return true
        }
        return false
    }
}
