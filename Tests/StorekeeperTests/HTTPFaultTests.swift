import Foundation
import Glibc
import Synchronization
import TestSupport
import Testing

/// The HTTP server under clients that misbehave or hurry: a flood of half
/// requests must not blind monitoring, back-to-back cleanups must not trip
/// over the one before, and a `dry_run` the server does not understand
/// must never delete anything.
@Suite struct HTTPFaultTests {
    /// One `GET` through curl with a deadline of its own; the status, or 0
    /// when no answer came in time.
    static func probe(_ url: String, seconds: Int = 5) throws -> Int {
        let result = try Shell.run(
            ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", String(seconds), url], in: "/")
        return Int(result.stdout) ?? 0
    }

    @Test func healthAndMetricsAnswerWhileEightySlowClientsHoldConnections() throws {
        let (tree, daemon) = try HTTPTests.served()
        let flood = SlowClients(port: daemon.port, count: 80, refreshAfter: 4, maxConnects: 2_000_000, maxSeconds: 180)
        defer { flood.stop() }
        try waitFor("80 slow clients to be connected", timeout: 30) { flood.connects >= 80 }

        var statuses: [Int] = []
        for _ in 0..<20 {
            // Each probe meets a flood that is still going, not its leftovers.
            let before = flood.connects
            try waitFor("the slow clients to reconnect", timeout: 30) {
                flood.connects >= before + 80 || !flood.isRunning
            }
            #expect(flood.isRunning, "the flood stopped early: raise its bounds")
            statuses.append(try Self.probe(daemon.url + "/health"))
        }
        #expect(statuses == Array(repeating: 200, count: 20), "\(statuses)")
        var metrics: [Int] = []
        for _ in 0..<5 { metrics.append(try Self.probe(daemon.url + "/metrics")) }
        #expect(metrics == Array(repeating: 200, count: 5), "\(metrics)")
        #expect(flood.isRunning)
        #expect(flood.dropped > 0, "the server sheds slow clients to make room")

        flood.stop()
        #expect(daemon.log.contains("HTTP connections at the limit"), "\(daemon.log)")
        try HTTPTests.expectAlive(tree, daemon)
    }

    @Test func thirtySequentialDryRunCleanupsAreEachServed() throws {
        let (tree, daemon) = try HTTPTests.served()
        var statuses: [Int] = []
        var conflicts: [String] = []
        // A raw socket sends the next request the moment the answer is read,
        // as a script would; starting curl for each hides the race for the slot.
        let request = Array(
            "POST /api/v1/storage/cleanup?dry_run=true HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n".utf8)
        for _ in 0..<30 {
            let response = HTTPClient.parse(HTTPClient.raw(daemon.port, request))
            statuses.append(response.status)
            if response.status != 200 { conflicts.append(response.body) }
        }
        #expect(statuses == Array(repeating: 200, count: 30), "\(statuses) \(conflicts)")
        #expect(tree.exists("temp/job/old.part"))
        #expect(try tree.sqlite("SELECT count(*) FROM cleanup_runs WHERE dry_run = 1") == "30")
        try HTTPTests.expectAlive(tree, daemon)
    }

    @Test func dryRunTakesExactlyTrueOrFalse() throws {
        let (tree, daemon) = try HTTPTests.served()
        let cleanup = daemon.url + "/api/v1/storage/cleanup"
        for query in [
            "dry_run=0", "dry_run=FALSE", "dry_run=1", "dry_run=yes", "dry_run=", "dry_run", "dry_run=False",
            "dry_run=false&dry_run=false", "dry_run=true&dry_run=false",
        ] {
            let response = try HTTPClient.curl(["-X", "POST", cleanup + "?" + query])
            #expect(response.status == 400, "\(query): \(response.status) \(response.body)")
            #expect(response.json?["status"] as? Int == 400, "\(query): \(response.body)")
            let message = response.json?["error"] as? String ?? ""
            #expect(message.contains("dry_run"), "\(query): the error names the parameter: \(response.body)")
            #expect(tree.exists("temp/job/old.part"), "\(query) deleted the expired file")
        }
        #expect(try tree.sqlite("SELECT count(*) FROM cleanup_runs") == "0", "no refused request started a cleanup")

        let absent = try HTTPClient.curl(["-X", "POST", cleanup])
        #expect(absent.status == 200, "\(absent.body)")
        #expect(absent.json?["dry_run"] as? Bool == true)
        let dry = try HTTPClient.curl(["-X", "POST", cleanup + "?dry_run=true"])
        #expect(dry.status == 200, "\(dry.body)")
        #expect(dry.json?["dry_run"] as? Bool == true)
        #expect(tree.exists("temp/job/old.part"))

        let real = try HTTPClient.curl(["-X", "POST", cleanup + "?dry_run=false"])
        #expect(real.status == 200, "\(real.body)")
        #expect(real.json?["dry_run"] as? Bool == false)
        #expect(!tree.exists("temp/job/old.part"))
        #expect(tree.exists("temp/job/new.part"))
        #expect(try tree.sqlite("SELECT dry_run FROM cleanup_runs ORDER BY id") == "1\n1\n0")
        try HTTPTests.expectAlive(tree, daemon)
    }
}

/// `count` loopback clients that each connect, send half a request line and
/// wait: reconnecting at once when the server drops them, and every
/// `refreshAfter` seconds anyway (the pattern that blinded `/health`). They
/// stop by themselves after `maxConnects` connections or `maxSeconds`.
final class SlowClients: Sendable {
    private struct Counters {
        var connects = 0
        var dropped = 0
        var running = true
    }

    private let counters = Mutex(Counters())
    private let stopRequested = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)

    init(port: Int, count: Int, refreshAfter: Double, maxConnects: Int, maxSeconds: Double) {
        Thread.detachNewThread { [self] in
            run(port: port, count: count, refreshAfter: refreshAfter, maxConnects: maxConnects, maxSeconds: maxSeconds)
            counters.withLock { $0.running = false }
            finished.signal()
        }
    }

    var connects: Int { counters.withLock { $0.connects } }
    var dropped: Int { counters.withLock { $0.dropped } }
    var isRunning: Bool { counters.withLock { $0.running } }

    /// Closes every socket and waits for the thread; harmless twice.
    func stop() {
        guard !stopRequested.exchange(true, ordering: .relaxed) else { return }
        finished.wait()
    }

    private struct Slot {
        var fd: Int32 = -1
        var connecting = false
        var openedAt = 0.0
    }

    private static let halfRequestLine = Array("GET /health HT".utf8)

    private func run(port: Int, count: Int, refreshAfter: Double, maxConnects: Int, maxSeconds: Double) {
        var slots = [Slot](repeating: Slot(), count: count)
        let start = Date()
        var opened = 0
        while !stopRequested.load(ordering: .relaxed) && opened < maxConnects
            && Date().timeIntervalSince(start) < maxSeconds
        {
            let now = Date().timeIntervalSince(start)
            for index in slots.indices where slots[index].fd < 0 && opened < maxConnects {
                slots[index] = Self.open(port: port, now: now)
                if slots[index].fd >= 0 { opened += 1 }
                counters.withLock { $0.connects = opened }
            }
            var descriptors = slots.map {
                pollfd(fd: $0.fd, events: Int16($0.connecting ? POLLOUT : POLLIN), revents: 0)
            }
            _ = poll(&descriptors, nfds_t(descriptors.count), 100)
            let after = Date().timeIntervalSince(start)
            for index in slots.indices where slots[index].fd >= 0 {
                let events = descriptors[index].revents
                if slots[index].connecting && events != 0 {
                    // Writable means connected, or failed: the send tells which.
                    if Self.send(slots[index].fd) {
                        slots[index].connecting = false
                        continue
                    }
                }
                if events != 0 {
                    // An answer (503 or 408), a close or a failed connect: the server let go of us.
                    counters.withLock { $0.dropped += 1 }
                    close(slots[index].fd)
                    slots[index] = Slot()
                } else if after - slots[index].openedAt >= refreshAfter {
                    close(slots[index].fd)
                    slots[index] = Slot()
                }
            }
        }
        for slot in slots where slot.fd >= 0 { close(slot.fd) }
    }

    /// A nonblocking connect to 127.0.0.1; the half request goes out once connected.
    private static func open(port: Int, now: Double) -> Slot {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return Slot() }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        if result == 0 {
            guard send(fd) else {
                close(fd)
                return Slot()
            }
            return Slot(fd: fd, connecting: false, openedAt: now)
        }
        guard errno == EINPROGRESS else {
            close(fd)
            return Slot()
        }
        return Slot(fd: fd, connecting: true, openedAt: now)
    }

    private static func send(_ fd: Int32) -> Bool {
        halfRequestLine.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            == halfRequestLine.count
    }
}
