import Synchronization

/// The daemon's latest status, published by its loop (every health file
/// write) and read by the HTTP thread for `/health` and `/metrics`, so
/// neither reads the other's state or waits for the other's work.
final class DaemonStatusBoard: Sendable {
    private let health: Mutex<HealthFile>

    init(_ initial: HealthFile) { health = Mutex(initial) }

    func publish(_ status: HealthFile) { health.withLock { $0 = status } }

    var current: HealthFile { health.withLock { $0 } }

    /// The status while the daemon starts or runs; nil once it stops, so the
    /// last metrics it writes say `storekeeper_daemon_up 0`.
    var live: HealthFile? {
        let status = current
        return status.state == .running || status.state == .starting ? status : nil
    }
}
