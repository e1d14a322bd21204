import Glibc
import StorekeeperSystem
import Synchronization

/// The hand-off from the reader thread to the indexer: the reader appends what
/// it drained, the indexer takes everything at once. Bounded, so a stalled
/// indexer costs a reconcile (like a kernel overflow), never unbounded memory.
public final class EventQueue: Sendable {
    struct State {
        var events: [InotifyEvent] = []
        /// Monotonic time the oldest queued event arrived, for the lag figure.
        var oldestArrival: Double?
        var droppedForCapacity = false
        var readerError: SystemCallError?
    }

    public let capacity: Int
    private let state = Mutex(State())
    /// Wakes the indexer: one byte per append, read in bulk by the indexer.
    package let wake: WakePipe

    public init(capacity: Int = 1_000_000) throws(SystemCallError) {
        self.capacity = capacity
        wake = try WakePipe()
    }

    /// Wakes the indexer only when the queue was empty: events already
    /// waiting were signalled when the first of them came, and the indexer
    /// takes them all at once, so one wake-up per take is enough (a write and
    /// a read saved per read of the kernel's queue during a burst).
    func append(_ events: [InotifyEvent], at time: Double) {
        let wasEmpty = state.withLock { state in
            let wasEmpty = state.events.isEmpty && !state.droppedForCapacity
            if state.events.count + events.count > capacity {
                state.droppedForCapacity = true
            } else {
                state.events.append(contentsOf: events)
            }
            if state.oldestArrival == nil { state.oldestArrival = time }
            return wasEmpty
        }
        if wasEmpty { wake.signal() }
    }

    func fail(_ error: SystemCallError) {
        state.withLock { $0.readerError = error }
        wake.signal()
    }

    /// Everything queued, and whether events were dropped since the last take.
    package func takeAll() -> (events: [InotifyEvent], dropped: Bool, readerError: SystemCallError?) {
        state.withLock { state in
            let taken = (state.events, state.droppedForCapacity, state.readerError)
            state.events = []
            state.events.reserveCapacity(taken.0.count)
            state.oldestArrival = nil
            state.droppedForCapacity = false
            return taken
        }
    }

    /// Seconds the oldest waiting event has waited (0 when none waits).
    package func lag(now: Double) -> Double {
        state.withLock { state in state.oldestArrival.map { max(0, now - $0) } ?? 0 }
    }

    package var count: Int { state.withLock { $0.events.count } }
}
