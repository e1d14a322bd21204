import Glibc

/// The one funnel every system call goes through: read `errno` at once, retry
/// a call a signal interrupted, and turn any other failure into a
/// `SystemCallError` naming the call and the path it was about. `close` never
/// goes through here because a retried close can close a descriptor another
/// thread just received (see `FileDescriptor.close`).
///
/// A bad descriptor or pointer is our bug, never the world's, and stops the
/// process; `badDescriptorIsBug: false` is for descriptors we do not own
/// (stderr, which whoever started us may have closed) or whose owner may close
/// them under a reader, where EBADF is reported like any other failure.
///
/// A test may make chosen calls fail through a `FaultPlan`; nothing else can,
/// and without one the cost is one relaxed atomic load.
@inline(__always)
package func systemCall<Result: BinaryInteger>(
    _ call: String,
    path: [UInt8]? = nil,
    badDescriptorIsBug: Bool = true,
    _ body: () -> Result
) throws(SystemCallError) -> Result {
    if FaultPlan.isAnyActive, let injected = FaultPlan.current?.failure(of: call, path: path) {
        throw injected
    }
    while true {
        let result = body()
        if result != -1 { return result }
        let code = errno
        if code == EINTR { continue }
        if code == EFAULT || (code == EBADF && badDescriptorIsBug) {
            fatalError("\(call) failed with \(String(cString: strerror(code))): programming error")
        }
        throw SystemCallError(call: call, path: path, errno: code)
    }
}
