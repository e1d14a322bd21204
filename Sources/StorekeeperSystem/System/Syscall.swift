import Glibc

/// The one funnel every system call goes through: read `errno` at once, retry
/// only `EINTR`. `close` never goes through here because a retried close can
/// close a descriptor another thread just received (see `FileDescriptor.close`).
@inline(__always)
package func retryingEINTR<Result: BinaryInteger>(
    _ call: String,
    path: [UInt8]? = nil,
    _ body: () -> Result
) throws(SystemCallError) -> Result {
    while true {
        let result = body()
        if result != -1 { return result }
        let code = errno
        if code == EINTR { continue }
        if code == EBADF || code == EFAULT {
            // A bad descriptor or pointer is our bug, never the world's.
            fatalError("\(call) failed with \(String(cString: strerror(code))): programming error")
        }
        throw SystemCallError(call: call, path: path, errno: code)
    }
}
