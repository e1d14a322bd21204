import Foundation
import Glibc
import TestSupport
import Testing

@testable import StorekeeperService
@testable import StorekeeperSystem

/// sd_notify against a real `AF_UNIX` datagram socket bound by the test, as
/// systemd binds `$NOTIFY_SOCKET` for a `Type=notify` service.
@Suite struct SystemdNotifierTests {
    private let directory: TemporaryDirectory

    init() throws {
        directory = try TemporaryDirectory(prefix: "sk-notify")
    }

    /// A bound datagram socket; `receive` returns the next message, waiting up to 10 s.
    final class Listener {
        let descriptor: FileDescriptor

        init(name: String) throws {
            descriptor = FileDescriptor(
                owning: socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0))
            var (address, length) = try SystemdNotifier.address(name)
            let result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor.rawValue, $0, length) }
            }
            guard result == 0 else { throw SystemCallError(call: "bind", path: Array(name.utf8), errno: errno) }
        }

        func receive() -> String? {
            var pollDescriptor = pollfd(fd: descriptor.rawValue, events: Int16(POLLIN), revents: 0)
            guard poll(&pollDescriptor, 1, 10_000) == 1 else { return nil }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = buffer.withUnsafeMutableBytes { recv(descriptor.rawValue, $0.baseAddress, $0.count, 0) }
            guard count >= 0 else { return nil }
            return String(decoding: buffer[..<count], as: UTF8.self)
        }
    }

    @Test func sendsReadyAndStoppingToASocketPath() throws {
        let path = directory.path("notify.sock")
        let listener = try Listener(name: path)
        #expect(try SystemdNotifier.notify("READY=1", environment: ["NOTIFY_SOCKET": path]))
        #expect(listener.receive() == "READY=1")
        #expect(try SystemdNotifier.notify("STOPPING=1\nSTATUS=stopping", environment: ["NOTIFY_SOCKET": path]))
        #expect(listener.receive() == "STOPPING=1\nSTATUS=stopping")
    }

    @Test func sendsToAnAbstractSocket() throws {
        let name = "@storekeeper-test-\(UUID().uuidString)"
        let listener = try Listener(name: name)
        #expect(try SystemdNotifier.notify("READY=1", environment: ["NOTIFY_SOCKET": name]))
        #expect(listener.receive() == "READY=1")
        SystemdNotifier.notify("STOPPING=1", environment: ["NOTIFY_SOCKET": name], logger: Logger(minimumLevel: .error))
        #expect(listener.receive() == "STOPPING=1")
    }

    @Test func doesNothingOutsideSystemd() throws {
        #expect(try SystemdNotifier.notify("READY=1", environment: [:]) == false)
        #expect(try SystemdNotifier.notify("READY=1", environment: ["NOTIFY_SOCKET": ""]) == false)
    }

    @Test func reportsErrorsInsteadOfFailing() throws {
        let missing = directory.path("nobody-listens.sock")
        #expect(throws: SystemCallError(call: "sendto", path: Array(missing.utf8), errno: ENOENT)) {
            try SystemdNotifier.notify("READY=1", environment: ["NOTIFY_SOCKET": missing])
        }
        #expect(throws: SystemCallError(call: "NOTIFY_SOCKET", path: Array("relative.sock".utf8), errno: EAFNOSUPPORT))
        {
            try SystemdNotifier.notify("READY=1", environment: ["NOTIFY_SOCKET": "relative.sock"])
        }
        let tooLong = "/" + String(repeating: "x", count: 200)
        #expect(throws: SystemCallError(call: "NOTIFY_SOCKET", path: Array(tooLong.utf8), errno: ENAMETOOLONG)) {
            try SystemdNotifier.notify("READY=1", environment: ["NOTIFY_SOCKET": tooLong])
        }
    }

    @Test func addressLengthsFollowTheKernelRules() throws {
        let offset = MemoryLayout<sockaddr_un>.offset(of: \.sun_path)!
        // A path counts its terminating NUL; an abstract name only its bytes, the leading NUL included.
        #expect(try SystemdNotifier.address("/run/systemd/notify").length == socklen_t(offset + 20))
        #expect(try SystemdNotifier.address("@abc").length == socklen_t(offset + 4))
        var (abstract, _) = try SystemdNotifier.address("@abc")
        let bytes = withUnsafeBytes(of: &abstract.sun_path) { Array($0.prefix(5)) }
        #expect(bytes == [0, 0x61, 0x62, 0x63, 0])
    }
}
