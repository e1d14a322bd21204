import Synchronization

/// The daemon's latest status, published by its loop (every health file
/// write) and read by the HTTP thread for `/health` and `/metrics`, so
/// neither reads the other's state or waits for the other's work.
package final class DaemonStatusBoard: Sendable {
    private let health: Mutex<HealthFile>

    package init(_ initial: HealthFile) { health = Mutex(initial) }

    package func publish(_ status: HealthFile) { health.withLock { $0 = status } }

    package var current: HealthFile { health.withLock { $0 } }

    /// The status while the daemon starts or runs; nil once it stops, so the
    /// last metrics it writes say `storekeeper_daemon_up 0`.
    package var live: HealthFile? {
        let status = current
        return status.state == .running || status.state == .starting ? status : nil
    }
}
