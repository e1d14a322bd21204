import Glibc
import StorekeeperSystem
import Synchronization

/// The thread that reads the inotify descriptor and does nothing else: parse
/// the records and hand them to the queue. Stat and SQLite work happen on the
/// indexer, so the kernel queue is drained as fast as events arrive (a reader
/// that did 55 µs of work per event overflowed after 37k of 400k events here).
public final class InotifyReader: Sendable {
    private let inotify: Int32
    private let queue: EventQueue
    private let stop: WakePipe
    private let delivered = Atomic<Int>(0)
    private let thread: Mutex<BackgroundThread?> = Mutex(nil)

    public init(inotify: Inotify, queue: EventQueue) throws(SystemCallError) {
        self.inotify = inotify.descriptor.rawValue
        self.queue = queue
        stop = try WakePipe()
    }

    /// Events read from the kernel so far.
    public var eventsRead: Int { delivered.load(ordering: .relaxed) }

    public func start() {
        thread.withLock { $0 = BackgroundThread { [self] in run() } }
    }

    /// Stops the thread after its current read and waits for it.
    public func stopAndJoin() {
        stop.signal()
        thread.withLock {
            $0?.join(); $0 = nil
        }
    }

    private func run() {
        // 16-byte aligned, room for many records: fewer reads under load.
        let size = 65_536
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        defer { buffer.deallocate() }
        var descriptors = [
            pollfd(fd: inotify, events: Int16(POLLIN), revents: 0),
            pollfd(fd: stop.readEnd, events: Int16(POLLIN), revents: 0),
        ]
        while true {
            descriptors[0].revents = 0
            descriptors[1].revents = 0
            do {
                _ = try systemCall("poll", badDescriptorIsBug: false) { poll(&descriptors, 2, -1) }
            } catch {
                queue.fail(error)
                return
            }
            if descriptors[1].revents != 0 { return }
            guard drain(into: buffer, size: size) else { return }
            usleep(Self.pauseAfterDrain)
        }
    }

    /// Microseconds the reader rests after emptying the kernel's queue. During
    /// a burst a read then takes a millisecond's events, not the one or two
    /// that woke it (a poll, two reads and a context switch each); a writer
    /// queues a few hundred events in that time, far below the kernel's limit
    /// (16,384 by default), and a lone event waits no longer than the pause.
    static let pauseAfterDrain: useconds_t = 1000

    /// Reads until EAGAIN, handing each batch to the queue; false once the
    /// queue was told of a failure and the thread must end.
    private func drain(into buffer: UnsafeMutableRawPointer, size: Int) -> Bool {
        while true {
            let count: Int
            do {
                count = try systemCall("read(inotify)", badDescriptorIsBug: false) { Glibc.read(inotify, buffer, size) }
            } catch  where error.errno == EAGAIN {
                return true
            } catch {
                queue.fail(error)
                return false
            }
            if count == 0 { return true }
            do {
                let events = try InotifyEvent.parse(UnsafeRawBufferPointer(start: buffer, count: count))
                delivered.add(events.count, ordering: .relaxed)
                queue.append(events, at: MonotonicClock.seconds())
            } catch {
                queue.fail(SystemCallError(call: "parse(inotify)", errno: EIO))
                return false
            }
        }
    }
}
