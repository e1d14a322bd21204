import Glibc
import StorekeeperConfig

/// Binding the listening socket.
extension HTTPServer {
    /// A nonblocking listening socket on `address`; the port it got.
    static func listen(on address: ListenAddress) throws -> (Int32, UInt16) {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let code = getaddrinfo(address.host, String(address.port), &hints, &list)
        guard code == 0, let list else {
            throw HTTPServerError(address: address, reason: String(cString: gai_strerror(code)))
        }
        defer { freeaddrinfo(list) }
        var candidates: [addrinfo] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = list
        while let entry = cursor {
            candidates.append(entry.pointee)
            cursor = entry.pointee.ai_next
        }
        // `localhost` may list ::1 first; 127.0.0.1 is what clients try first.
        candidates.sort { $0.ai_family == AF_INET && $1.ai_family != AF_INET }
        var lastError = EADDRNOTAVAIL
        for candidate in candidates {
            let fd = socket(
                candidate.ai_family, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else {
                lastError = errno
                continue
            }
            var on: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
            guard bind(fd, candidate.ai_addr, candidate.ai_addrlen) == 0, Glibc.listen(fd, 128) == 0 else {
                lastError = errno
                Glibc.close(fd)
                continue
            }
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let port = withUnsafeMutablePointer(to: &storage) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address -> UInt16 in
                    guard getsockname(fd, address, &length) == 0 else { return 0 }
                    return address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                        UInt16(bigEndian: $0.pointee.sin_port)
                    }
                }
            }
            return (fd, port)
        }
        throw HTTPServerError(address: address, reason: String(cString: strerror(lastError)))
    }
}
