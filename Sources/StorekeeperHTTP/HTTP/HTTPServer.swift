import Glibc
import StorekeeperConfig
import StorekeeperSystem
import Synchronization

/// A small HTTP/1.1 server on a thread of its own: one `poll` loop over the
/// listening socket, a wake pipe and every connection, all nonblocking, so
/// a slow or hostile client costs a slot and never blocks the others, the
/// watcher or Swift's cooperative pool. One request per connection
/// (`Connection: close`); bounded connections, request sizes and time.
///
/// Slots go to whoever has a request to make: when all are taken, the
/// connection that has waited longest without sending a whole request is
/// shed for the new one. Refusing the new one instead would let a few
/// clients that each send half a request keep `/health` and `/metrics` from
/// ever being answered.
///
/// The handler runs on the server thread. It answers at once, or returns nil
/// and answers later through its `HTTPResponder` from any thread (the
/// daemon's loop does, for a cleanup).
public final class HTTPServer: Sendable {
    public struct Limits: Sendable {
        public var request = HTTPRequestParser.Limits()
        /// Connections open at once. One more sheds the oldest connection still
        /// reading its request (else the oldest already answered and lingering);
        /// it gets a 503 only when every slot holds a request being answered.
        public var maxConnections = 64
        /// From accept to the end of the head: a slower client gets a 408.
        public var headTimeout = 5.0
        /// From the end of the head to the end of the body.
        public var bodyTimeout = 5.0
        /// Accepted per turn of the loop, so a burst of connections cannot
        /// shed one accepted in the same burst before its request was read.
        public var acceptBatch = 16
        /// Between two log lines about shed connections.
        public var shedLogInterval = 60.0
        /// For writing a response, and for the client to close after it.
        public var writeTimeout = 10.0
        public var lingerTimeout = 2.0

        public init() {}
    }

    public typealias Handler = (HTTPRequest, HTTPResponder) -> HTTPResponse?

    /// Where it listens, with the port the kernel gave when 0 was asked.
    public let address: ListenAddress
    private let listener: Int32
    private let limits: Limits
    private let logger: Logger
    private let wake: WakePipe
    private let stopFlag = StopFlag()
    private let answers = Mutex<[UInt64: HTTPResponse]>([:])
    private let thread = Mutex<BackgroundThread?>(nil)

    /// Binds and listens at once, so a port in use fails the caller's startup.
    public init(address: ListenAddress, limits: Limits = Limits(), logger: Logger) throws {
        let (descriptor, port) = try Self.listen(on: address)
        listener = descriptor
        self.address = ListenAddress(host: address.host, port: port)
        self.limits = limits
        self.logger = logger
        do {
            wake = try WakePipe()
        } catch {
            Glibc.close(descriptor)
            throw error
        }
    }

    deinit {
        Glibc.close(listener)
    }

    /// Starts the server thread; `makeHandler` runs on it, so what the handler
    /// owns (a read-only SQLite connection) stays on that thread.
    public func start(_ makeHandler: @escaping @Sendable () -> Handler) {
        thread.withLock { thread in
            precondition(thread == nil, "the HTTP server is already running")
            thread = BackgroundThread { [self] in serve(makeHandler()) }
        }
    }

    /// Stops the loop, closes every connection, and waits for the thread.
    public func stopAndJoin() {
        stopFlag.set()
        wake.signal()
        let running = thread.withLock { thread in
            defer { thread = nil }
            return thread
        }
        running?.join()
    }

    /// Delivers a later answer (any thread); dropped when the client left.
    func answer(_ ticket: UInt64, _ response: HTTPResponse) {
        answers.withLock { $0[ticket] = response }
        wake.signal()
    }

    // MARK: The loop

    /// What the server thread keeps from one turn of its loop to the next.
    private struct LoopState {
        /// In accept order.
        var connections: [HTTPConnection] = []
        var nextTicket: UInt64 = 1
        /// Out of descriptors: the listener is left alone until then.
        var acceptPausedUntil = 0.0
        /// Connections shed since the last log line about them.
        var shed = 0
        var nextShedLog = 0.0
    }

    private func serve(_ handler: Handler) {
        var state = LoopState()
        while !stopFlag.isSet {
            let now = MonotonicClock.seconds()
            let accepting = now >= state.acceptPausedUntil
            var descriptors = [pollfd(fd: wake.readEnd, events: Int16(POLLIN), revents: 0)]
            if accepting { descriptors.append(pollfd(fd: listener, events: Int16(POLLIN), revents: 0)) }
            let first = descriptors.count
            for connection in state.connections {
                descriptors.append(
                    pollfd(fd: connection.descriptor.rawValue, events: connection.pollEvents, revents: 0))
            }
            let timeout = pollTimeout(state, accepting: accepting, now: now)
            do {
                _ = try systemCall("poll") { poll(&descriptors, nfds_t(descriptors.count), Int32(timeout * 1000) + 1) }
            } catch {
                logger.error("poll failed in the HTTP server", ["error": String(cString: strerror(error.errno))])
                break
            }
            if descriptors[0].revents != 0 { wake.drain() }

            let afterPoll = MonotonicClock.seconds()
            var closed = deliverAnswers(state.connections, now: afterPoll)
            for (offset, connection) in state.connections.enumerated()
            where !closed.contains(connection.descriptor.rawValue) {
                let events = descriptors[first + offset].revents
                if events == 0 { continue }
                if !step(connection, events: events, handler: handler, nextTicket: &state.nextTicket, now: afterPoll) {
                    closed.insert(connection.descriptor.rawValue)
                }
            }
            closed.formUnion(enforceDeadlines(state.connections, skipping: closed, now: afterPoll))
            if !closed.isEmpty {
                state.connections.removeAll { connection in
                    guard closed.contains(connection.descriptor.rawValue) else { return false }
                    connection.descriptor.close()
                    return true
                }
            }
            if accepting && descriptors[1].revents != 0 {
                if !acceptAll(&state.connections, shed: &state.shed, now: afterPoll) {
                    state.acceptPausedUntil = afterPoll + 0.1
                }
            }
            logShed(&state, now: afterPoll)
        }
        for connection in state.connections { connection.descriptor.close() }
    }

    /// Until the earliest deadline of a connection not waiting for its answer,
    /// or the end of an accept pause; a second at most.
    private func pollTimeout(_ state: LoopState, accepting: Bool, now: Double) -> Double {
        var timeout = 1.0
        for connection in state.connections where !Self.isWaiting(connection) {
            timeout = min(timeout, max(0, connection.deadline - now))
        }
        if !accepting { timeout = min(timeout, max(0, state.acceptPausedUntil - now)) }
        return timeout
    }

    /// Starts writing the answers other threads delivered; returns the
    /// connections to close (those whose write failed at once).
    private func deliverAnswers(_ connections: [HTTPConnection], now: Double) -> Set<Int32> {
        let delivered = answers.withLock { answers in
            defer { answers.removeAll() }
            return answers
        }
        var closed = Set<Int32>()
        for connection in connections {
            if case .waiting(let ticket) = connection.phase, let response = delivered[ticket] {
                connection.respond(response.serialized(), deadline: now + limits.writeTimeout)
                if !flush(connection, now: now) { closed.insert(connection.descriptor.rawValue) }
            }
        }
        return closed
    }

    /// A slow request gets a 408; a stuck write or drain is dropped. Returns
    /// the connections to close.
    private func enforceDeadlines(_ connections: [HTTPConnection], skipping closed: Set<Int32>, now: Double) -> Set<
        Int32
    > {
        var expired = Set<Int32>()
        for connection in connections where !closed.contains(connection.descriptor.rawValue) {
            guard now >= connection.deadline else { continue }
            switch connection.phase {
            case .reading:
                let late =
                    connection.headComplete
                    ? "the request body did not arrive within \(Self.seconds(limits.bodyTimeout)) s of its head"
                    : "the request head did not arrive within \(Self.seconds(limits.headTimeout)) s"
                connection.respond(
                    HTTPResponse.error(.requestTimeout, late).serialized(), deadline: now + limits.writeTimeout)
                if !flush(connection, now: now) { expired.insert(connection.descriptor.rawValue) }
            case .writing, .draining:
                expired.insert(connection.descriptor.rawValue)
            case .waiting:
                break
            }
        }
        return expired
    }

    /// Once a minute at most: under a flood of half requests this would be a line per connection.
    private func logShed(_ state: inout LoopState, now: Double) {
        guard state.shed > 0 && now >= state.nextShedLog else { return }
        logger.warning(
            "HTTP connections at the limit: shed the ones waiting longest for a whole request",
            ["shed": String(state.shed), "max_connections": String(limits.maxConnections)])
        state.shed = 0
        state.nextShedLog = now + limits.shedLogInterval
    }

    private static func isWaiting(_ connection: HTTPConnection) -> Bool {
        if case .waiting = connection.phase { return true }
        return false
    }

    private static func seconds(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }

    /// Handles poll events for one connection; false when it is to be closed.
    private func step(
        _ connection: HTTPConnection, events: Int16, handler: Handler, nextTicket: inout UInt64, now: Double
    ) -> Bool {
        switch connection.phase {
        case .reading:
            let limit = limits.request.maxHeaderBytes + limits.request.maxBodyBytes + 1
            let result = connection.read(limit: limit)
            if result == .wouldBlock { return events & Int16(POLLERR | POLLHUP) == 0 }
            // Before its head is complete only a line feed can complete a
            // request; after it, any byte of the body can.
            if connection.sawLineFeed || connection.headComplete || result == .closed {
                switch HTTPRequestParser.parse(connection.input, limits: limits.request) {
                case .incomplete:
                    if result == .closed { return false }
                    if !connection.headComplete && HTTPRequestParser.headIsComplete(connection.input) {
                        connection.headArrived(deadline: now + limits.bodyTimeout)
                    }
                case .failed(let status, let message):
                    logger.debug("bad HTTP request", ["status": String(status.code), "error": message])
                    connection.respond(
                        HTTPResponse.error(status, message).serialized(), deadline: now + limits.writeTimeout)
                    return flush(connection, now: now)
                case .complete(let request):
                    let ticket = nextTicket
                    nextTicket += 1
                    let responder = HTTPResponder(server: self, ticket: ticket)
                    guard let response = handler(request, responder) else {
                        connection.wait(ticket: ticket)
                        return true
                    }
                    logger.debug(
                        "HTTP request",
                        ["method": request.method, "path": request.path, "status": String(response.status.code)])
                    connection.respond(
                        response.serialized(includeBody: request.method != "HEAD"), deadline: now + limits.writeTimeout)
                    return flush(connection, now: now)
                }
            }
            return result != .closed
        case .waiting:
            // The client hung up while its cleanup runs: the run goes on, the answer is dropped.
            return events & Int16(POLLERR | POLLHUP) == 0
        case .writing:
            return flush(connection, now: now)
        case .draining:
            return connection.read(limit: 0) != .closed
        }
    }

    /// Writes what it can; once all is written, shuts our side and drains.
    private func flush(_ connection: HTTPConnection, now: Double) -> Bool {
        switch connection.write() {
        case .wouldBlock:
            return true
        case .failed:
            return false
        case .done:
            connection.drain(deadline: now + limits.lingerTimeout)
            return true
        }
    }

    /// Accepts until none are waiting or a batch is taken (the next turn
    /// accepts the rest); false when out of descriptors (the caller pauses
    /// accepting briefly instead of spinning on the listener). `shed` counts
    /// the connections shed to make room.
    private func acceptAll(_ connections: inout [HTTPConnection], shed: inout Int, now: Double) -> Bool {
        for _ in 0..<max(1, limits.acceptBatch) {
            // Swift's Glibc has no accept4; the daemon never forks, so setting
            // the flags right after accept leaves no window for an exec.
            let fd: Int32
            do {
                fd = try systemCall("accept", badDescriptorIsBug: false) { accept(listener, nil, nil) }
            } catch {
                switch error.errno {
                case ECONNABORTED, EPROTO: continue
                case EAGAIN, EWOULDBLOCK: return true
                case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                    logger.warning("cannot accept HTTP connections", ["error": String(cString: strerror(error.errno))])
                    return false
                default:
                    logger.warning("accept failed", ["error": String(cString: strerror(error.errno))])
                    return false
                }
            }
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            let descriptor = FileDescriptor(owning: fd)
            if connections.count >= limits.maxConnections {
                if let victim = Self.sheddable(connections) {
                    let connection = connections.remove(at: victim)
                    Self.refuse(
                        connection.descriptor,
                        "too many connections: this one was shed for a newer one after waiting longest for a whole request"
                    )
                    shed += 1
                } else {
                    Self.refuse(descriptor, "too many connections, all of them with a request being answered")
                    continue
                }
            }
            connections.append(HTTPConnection(descriptor: descriptor, deadline: now + limits.headTimeout))
        }
        return true
    }

    /// The connection to shed for a new one: the oldest that sent part of a
    /// request (a slow client's), else the oldest still reading that has sent
    /// nothing yet — on a busy machine that may be a probe whose request is
    /// still in flight, so it goes last — else the oldest whose answer is sent
    /// and which only lingers for the client to close; never one whose request
    /// is being answered. `connections` is in accept order.
    private static func sheddable(_ connections: [HTTPConnection]) -> Int? {
        connections.firstIndex { $0.phase == .reading && !$0.input.isEmpty }
            ?? connections.firstIndex { $0.phase == .reading }
            ?? connections.firstIndex { $0.phase == .draining }
    }

    /// Best effort on a nonblocking socket: reads what the client sent, up
    /// to 64 KiB (closing over unread bytes resets the connection, and the
    /// client may lose the answer), one `send` of a 503, then close.
    private static func refuse(_ descriptor: FileDescriptor, _ message: String) {
        var buffer = [UInt8](repeating: 0, count: 16_384)
        for _ in 0..<4 {
            guard buffer.withUnsafeMutableBytes({ recv(descriptor.rawValue, $0.baseAddress, $0.count, 0) }) > 0 else {
                break
            }
        }
        let refusal = HTTPResponse.error(.serviceUnavailable, message).serialized()
        _ = refusal.withUnsafeBytes { send(descriptor.rawValue, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        shutdown(descriptor.rawValue, Int32(SHUT_WR))
        descriptor.close()
    }
}
