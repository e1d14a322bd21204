import StorekeeperEngine
import StorekeeperHTTP
import StorekeeperMonitoring
import StorekeeperSystem
import Synchronization

/// `POST /api/v1/storage/cleanup` hands its run to the daemon's loop through
/// here: the loop's thread owns the writable SQLite connection and the
/// indexer, and a cleanup must drain the event queue between its slices
/// (`betweenSlices`), which only that thread may do. One request waits or
/// runs at a time; the loop answers it through the server.
final class CleanupRequestQueue: Sendable {
    struct Request: Sendable {
        let dryRun: Bool
        let responder: HTTPResponder
    }

    private enum State {
        case idle
        case queued(Request)
        case running
    }

    private let state = Mutex<State>(.idle)
    /// The daemon loop's wake pipe.
    private let wake: WakePipe

    init(wake: WakePipe) { self.wake = wake }

    /// Queues a run and wakes the loop; false while another waits or runs.
    func submit(_ request: Request) -> Bool {
        let accepted = state.withLock { state in
            guard case .idle = state else { return false }
            state = .queued(request)
            return true
        }
        if accepted { wake.signal() }
        return accepted
    }

    /// The queued request, now running (the daemon loop).
    func take() -> Request? {
        state.withLock { state in
            guard case .queued(let request) = state else { return nil }
            state = .running
            return request
        }
    }

    /// Frees the slot. Call it before the answer is sent: a client that
    /// posts its next cleanup as soon as it reads the answer would otherwise
    /// find the slot still taken and get a 409.
    func finish() { state.withLock { $0 = .idle } }
}
