import Glibc

/// The log file (`monitoring.log_file`) could not be opened: at startup this
/// stops the command, since a configured log that silently stays empty is
/// worse than no start at all.
public struct LogFileError: Error, Equatable, CustomStringConvertible {
    public let path: String
    public let errno: Int32

    public init(path: String, errno: Int32) {
        self.path = path
        self.errno = errno
    }

    public var description: String {
        "cannot open the log file \(path) (monitoring.log_file): \(String(cString: strerror(errno)))"
    }
}
