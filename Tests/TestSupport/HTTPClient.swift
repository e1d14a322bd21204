import Foundation
import Glibc

/// Talks to the daemon's HTTP server as real clients do: `curl` for
/// ordinary requests, a raw socket for the ones no client would send.
package enum HTTPClient {
    package struct Response {
        package let status: Int
        package let head: String
        package let body: String

        package var json: [String: Any]? { try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] }

        package func header(_ name: String) -> String? {
            head.split(separator: "\r\n").dropFirst().first { $0.lowercased().hasPrefix(name.lowercased() + ":") }
                .map { String($0.drop { $0 != ":" }.dropFirst()).trimmingCharacters(in: .whitespaces) }
        }
    }

    /// `curl -i` with `arguments` (method, headers, URL); the status line, the head and the body.
    package static func curl(_ arguments: [String]) throws -> Response {
        let result = try Shell.run(["curl", "-s", "-S", "-i", "--max-time", "60"] + arguments, in: "/")
        precondition(result.status == 0, "curl \(arguments) failed: \(result.stderr)")
        return parse(result.stdout)
    }

    package static func parse(_ text: String) -> Response {
        let parts = text.components(separatedBy: "\r\n\r\n")
        let head = parts.first ?? ""
        let status = head.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        return Response(status: status, head: head, body: parts.dropFirst().joined(separator: "\r\n\r\n"))
    }

    /// Connects to 127.0.0.1:`port`; -1 when refused.
    package static func connectSocket(_ port: Int) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        if connected != 0 {
            close(fd)
            return -1
        }
        return fd
    }

    /// Sends `bytes` on a fresh connection (without closing our side) and
    /// reads until the server closes or `timeout` seconds pass.
    package static func raw(_ port: Int, _ bytes: [UInt8], timeout: Double = 30) -> String {
        let fd = connectSocket(port)
        guard fd >= 0 else { return "" }
        defer { close(fd) }
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        return readAll(fd, timeout: timeout)
    }

    package static func readAll(_ fd: Int32, timeout: Double) -> String {
        var seconds = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &seconds, socklen_t(MemoryLayout<timeval>.size))
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { break }
            received += buffer[0..<count]
        }
        return String(decoding: received, as: UTF8.self)
    }

    /// A port nothing listens on now (bound, read, released).
    package static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                _ = bind(fd, $0, length)
                return getsockname(fd, $0, &length)
            }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

extension DaemonProcess {
    /// The port from the health file's `listen` (the daemon asked for port 0).
    package var port: Int {
        let listen = health?["listen"] as? String ?? ""
        return Int(listen.split(separator: ":").last ?? "") ?? 0
    }

    package var url: String { "http://127.0.0.1:\(port)" }

    /// Sockets the daemon holds open (its listener and every connection it
    /// accepted), counted in /proc: how a test knows connections were taken.
    package var openSockets: Int {
        let descriptors = "/proc/\(pid)/fd"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: descriptors)) ?? []
        return names.filter {
            (try? FileManager.default.destinationOfSymbolicLink(atPath: descriptors + "/" + $0))?.hasPrefix("socket:")
                == true
        }.count
    }
}
