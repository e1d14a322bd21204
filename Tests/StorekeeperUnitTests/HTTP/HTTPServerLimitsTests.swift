import Foundation
import Glibc
import Synchronization
import Testing

@testable import StorekeeperConfig
@testable import StorekeeperHTTP
@testable import StorekeeperSystem

/// The server's connection cap and deadlines, on a server of two slots and
/// short deadlines: who is shed for a new connection, when a new one is
/// refused, and which deadline a slow request meets.
@Suite struct HTTPServerLimitsTests {
    /// Requests to `/hold` are answered later, by the test, through the
    /// responders it collects; anything else gets its body back at once.
    final class Server: Sendable {
        final class Held: Sendable {
            let responders = Mutex<[HTTPResponder]>([])
            var count: Int { responders.withLock { $0.count } }
        }

        let server: HTTPServer
        let held = Held()

        init(_ configure: (inout HTTPServer.Limits) -> Void = { _ in }) throws {
            var limits = HTTPServer.Limits()
            limits.maxConnections = 2
            configure(&limits)
            server = try HTTPServer(
                address: ListenAddress(host: "127.0.0.1", port: 0), limits: limits, logger: Logger(minimumLevel: .error)
            )
            server.start { [held] in
                { request, responder in
                    if request.path == "/hold" {
                        held.responders.withLock { $0.append(responder) }
                        return nil
                    }
                    return HTTPResponse(status: .ok, contentType: "text/plain", body: request.body)
                }
            }
        }

        var port: UInt16 { server.address.port }

        deinit { server.stopAndJoin() }
    }

    static func connect(_ port: UInt16, sending text: String = "") throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        try #require(connected == 0, "connect to 127.0.0.1:\(port): \(String(cString: strerror(errno)))")
        send(fd, text)
        return fd
    }

    static func send(_ fd: Int32, _ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Everything until the server closes, or what came within `timeout` seconds.
    static func readAll(_ fd: Int32, timeout: Double = 10) -> String {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 50) >= 0 else { break }
            if descriptor.revents == 0 { continue }
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { break }
            received += buffer[0..<count]
        }
        return String(decoding: received, as: UTF8.self)
    }

    /// Whether the server sent or closed anything within `milliseconds`.
    static func heardFrom(_ fd: Int32, within milliseconds: Int32) -> Bool {
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, milliseconds) > 0
    }

    static let get = "GET /ok HTTP/1.1\r\nHost: x\r\n\r\n"

    @Test func aNewConnectionShedsTheOldestOneWithoutAWholeRequest() throws {
        let server = try Server()
        let oldest = try Self.connect(server.port, sending: "GET /ok HT")
        defer { close(oldest) }
        let younger = try Self.connect(server.port)
        defer { close(younger) }
        let newcomer = try Self.connect(server.port, sending: Self.get)
        defer { close(newcomer) }

        #expect(Self.readAll(newcomer).hasPrefix("HTTP/1.1 200 "))
        let shed = Self.readAll(oldest)
        #expect(shed.hasPrefix("HTTP/1.1 503 "), "\(shed)")
        #expect(shed.contains("shed for a newer one"), "\(shed)")
        // Shed at the newcomer's accept, before its answer: the younger one is untouched.
        #expect(!Self.heardFrom(younger, within: 0))
    }

    @Test func aNewConnectionIsRefusedOnlyWhenEverySlotIsBeingAnswered() throws {
        let server = try Server()
        let first = try Self.connect(server.port, sending: "GET /hold HTTP/1.1\r\nHost: x\r\n\r\n")
        defer { close(first) }
        let second = try Self.connect(server.port, sending: "GET /hold HTTP/1.1\r\nHost: x\r\n\r\n")
        defer { close(second) }
        let deadline = Date().addingTimeInterval(10)
        while server.held.count < 2 && Date() < deadline { usleep(10_000) }
        try #require(server.held.count == 2, "both requests reached the handler")

        let third = try Self.connect(server.port, sending: Self.get)
        defer { close(third) }
        let refused = Self.readAll(third)
        #expect(refused.hasPrefix("HTTP/1.1 503 "), "\(refused)")
        #expect(refused.contains("being answered"), "\(refused)")

        for responder in server.held.responders.withLock({ $0 }) {
            responder.send(HTTPResponse(status: .ok, contentType: "text/plain", body: Array("later".utf8)))
        }
        for fd in [first, second] {
            let answer = Self.readAll(fd)
            #expect(answer.hasPrefix("HTTP/1.1 200 ") && answer.hasSuffix("later"), "\(answer)")
        }
    }

    @Test func theHeadAndTheBodyEachHaveADeadline() throws {
        let server = try Server {
            $0.headTimeout = 0.3
            $0.bodyTimeout = 0.3
        }
        let slowHead = try Self.connect(server.port, sending: "GET /ok HTTP/1.1\r\nHost: x\r\n")
        defer { close(slowHead) }
        let slowBody = try Self.connect(
            server.port, sending: "POST /ok HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nab")
        defer { close(slowBody) }

        let head = Self.readAll(slowHead)
        #expect(head.hasPrefix("HTTP/1.1 408 ") && head.contains("request head did not arrive within 0.3 s"), "\(head)")
        let body = Self.readAll(slowBody)
        #expect(body.hasPrefix("HTTP/1.1 408 ") && body.contains("request body did not arrive within 0.3 s"), "\(body)")
    }

    @Test func aBodySentAfterItsHeadCompletesTheRequest() throws {
        let server = try Server()
        let fd = try Self.connect(server.port, sending: "POST /ok HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n")
        defer { close(fd) }
        #expect(!Self.heardFrom(fd, within: 200), "no answer before the body")
        // No line feed in the body: it must complete the request all the same.
        Self.send(fd, "abc")
        let answer = Self.readAll(fd)
        #expect(answer.hasPrefix("HTTP/1.1 200 ") && answer.hasSuffix("\r\n\r\nabc"), "\(answer)")
    }

    @Test(arguments: [
        ("GET / HTTP/1.1\r\nHost: x\r\n\r\n", true),
        ("GET / HTTP/1.1\nHost: x\n\n", true),
        ("\r\n\r\nGET / HTTP/1.0\r\n\r\n", true),
        ("POST / HTTP/1.1\r\nContent-Length: 9\r\n\r\nab", true),
        ("", false),
        ("\r\n\r\n", false),
        ("GET / HTTP/1.1\r\nHost: x\r\n", false),
        ("GET / HTTP/1.1\r\nHost: x\r\n\r", false),
    ])
    func headIsComplete(_ text: String, _ complete: Bool) {
        #expect(HTTPRequestParser.headIsComplete(Array(text.utf8)) == complete)
    }
}
