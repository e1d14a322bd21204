import Glibc
import StorekeeperSystem

/// One accepted connection on the server thread: read one request, wait for
/// its answer when it comes later, write the answer, then drain and close.
/// Not `Sendable`: it belongs to the server thread.
final class HTTPConnection {
    enum Phase: Equatable {
        /// Reading the request until it parses, fails, or the deadline passes.
        case reading
        /// The request was handed on (a cleanup); the answer comes by ticket.
        case waiting(ticket: UInt64)
        /// Writing the response.
        case writing
        /// Response sent and our side shut down: reading what the client still
        /// sends until it closes, so closing never resets the connection
        /// before the client has read the response.
        case draining
    }

    let descriptor: FileDescriptor
    private(set) var phase: Phase = .reading
    var deadline: Double
    private(set) var input: [UInt8] = []
    private var output: [UInt8] = []
    private var written = 0
    /// Whether new bytes may complete the head: only a line feed can.
    private(set) var sawLineFeed = false
    /// The head is in; the deadline is now the body's.
    private(set) var headComplete = false

    init(descriptor: FileDescriptor, deadline: Double) {
        self.descriptor = descriptor
        self.deadline = deadline
    }

    /// What `poll` should wait for, or 0 while waiting for an answer (then
    /// only a hang-up or an error is reported).
    var pollEvents: Int16 {
        switch phase {
        case .reading, .draining: Int16(POLLIN)
        case .writing: Int16(POLLOUT)
        case .waiting: 0
        }
    }

    enum ReadResult { case data, wouldBlock, closed }

    /// Reads what is available, up to `limit` bytes held in total.
    func read(limit: Int) -> ReadResult {
        var buffer = [UInt8](repeating: 0, count: 16_384)
        sawLineFeed = false
        var got = false
        while true {
            let count: Int
            do {
                // A descriptor that went bad ends this connection, not the daemon.
                count = try systemCall("recv", badDescriptorIsBug: false) {
                    buffer.withUnsafeMutableBytes { recv(descriptor.rawValue, $0.baseAddress, $0.count, 0) }
                }
            } catch {
                return error.errno == EAGAIN || error.errno == EWOULDBLOCK ? (got ? .data : .wouldBlock) : .closed
            }
            if count > 0 {
                got = true
                if phase == .reading && input.count < limit {
                    let chunk = buffer[0..<count]
                    if chunk.contains(UInt8(ascii: "\n")) { sawLineFeed = true }
                    input += chunk.prefix(limit - input.count)
                    if input.count >= limit { sawLineFeed = true }
                }
                continue
            }
            return .closed
        }
    }

    func headArrived(deadline: Double) {
        headComplete = true
        self.deadline = deadline
    }

    func wait(ticket: UInt64) { phase = .waiting(ticket: ticket) }

    func respond(_ bytes: [UInt8], deadline: Double) {
        output = bytes
        written = 0
        phase = .writing
        self.deadline = deadline
    }

    enum WriteResult { case done, wouldBlock, failed }

    /// Writes what the socket takes; `MSG_NOSIGNAL`, so a client that went
    /// away is an error here, never a SIGPIPE for the daemon.
    func write() -> WriteResult {
        while written < output.count {
            do {
                written += try systemCall("send", badDescriptorIsBug: false) {
                    output.withUnsafeBytes {
                        send(
                            descriptor.rawValue, $0.baseAddress! + written, output.count - written, Int32(MSG_NOSIGNAL))
                    }
                }
            } catch {
                return error.errno == EAGAIN || error.errno == EWOULDBLOCK ? .wouldBlock : .failed
            }
        }
        return .done
    }

    func drain(deadline: Double) {
        shutdown(descriptor.rawValue, Int32(SHUT_WR))
        input = []
        output = []
        phase = .draining
        self.deadline = deadline
    }
}
