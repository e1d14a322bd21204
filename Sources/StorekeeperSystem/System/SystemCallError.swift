import Glibc

/// A failed system call, as data: the call, the path it was about (as bytes,
/// since Linux names need not be UTF-8) and the errno.
public struct SystemCallError: Error, Equatable, CustomStringConvertible {
    public let call: String
    public let path: [UInt8]?
    public let errno: Int32

    public init(call: String, path: [UInt8]? = nil, errno: Int32) {
        self.call = call
        self.path = path
        self.errno = errno
    }

    public var description: String {
        let reason = String(cString: strerror(errno))
        if let path {
            return "\(call) \(PathBytes.display(path)): \(reason)"
        }
        return "\(call): \(reason)"
    }
}
