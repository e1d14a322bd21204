import Glibc
import StorekeeperConfig
import StorekeeperSystem

/// The sd_notify(3) protocol without libsystemd: one datagram with
/// newline-separated `KEY=VALUE` assignments (`READY=1`, `STOPPING=1`,
/// `STATUS=…`) sent to the `AF_UNIX` socket named by `$NOTIFY_SOCKET` — a path,
/// or an abstract address when it starts with `@`. systemd learns the sender's
/// pid from the socket's credentials, so nothing else is needed.
/// Outside systemd (`NOTIFY_SOCKET` unset) every call does nothing.
public enum SystemdNotifier {
    /// Sends `state`; returns false when there is no socket to notify.
    @discardableResult
    public static func notify(_ state: String, environment: [String: String]) throws(SystemCallError) -> Bool {
        guard let socketName = ProcessEnvironment(environment)[.notifySocket] else { return false }
        var (storage, length) = try address(socketName)
        let socket = FileDescriptor(
            owning: try systemCall("socket") {
                Glibc.socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            })
        defer { socket.close() }
        let message = Array(state.utf8)
        let sent = try systemCall("sendto", path: Array(socketName.utf8)) {
            withUnsafePointer(to: &storage) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                    message.withUnsafeBytes {
                        sendto(socket.rawValue, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), socketAddress, length)
                    }
                }
            }
        }
        guard sent == message.count else {
            throw SystemCallError(call: "sendto", path: Array(socketName.utf8), errno: EMSGSIZE)
        }
        return true
    }

    /// Never fatal: a notification that cannot be delivered is logged, and
    /// systemd's start or stop timeout says the rest.
    public static func notify(_ state: String, environment: [String: String], logger: Logger) {
        do {
            try notify(state, environment: environment)
        } catch {
            logger.warning("cannot notify systemd", ["error": error.description, "state": state])
        }
    }

    /// `sockaddr_un` for `name`: a path is NUL-terminated inside `sun_path`; an
    /// abstract name replaces the `@` with a NUL and its length counts only its
    /// own bytes (abstract names are not NUL-terminated).
    static func address(_ name: String) throws(SystemCallError) -> (storage: sockaddr_un, length: socklen_t) {
        var bytes = Array(name.utf8)
        let abstract = bytes.first == UInt8(ascii: "@")
        guard abstract || bytes.first == UInt8(ascii: "/") else {
            throw SystemCallError(call: "NOTIFY_SOCKET", path: bytes, errno: EAFNOSUPPORT)
        }
        if abstract { bytes[0] = 0 }
        var storage = sockaddr_un()
        storage.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: storage.sun_path)
        guard bytes.count < capacity || (abstract && bytes.count == capacity) else {
            throw SystemCallError(call: "NOTIFY_SOCKET", path: Array(name.utf8), errno: ENAMETOOLONG)
        }
        withUnsafeMutableBytes(of: &storage.sun_path) { $0.copyBytes(from: bytes) }
        let pathOffset = MemoryLayout<sockaddr_un>.offset(of: \.sun_path)!
        return (storage, socklen_t(pathOffset + bytes.count + (abstract ? 0 : 1)))
    }
}
