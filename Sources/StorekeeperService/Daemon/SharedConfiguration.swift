import StorekeeperConfig
import Synchronization

/// The configuration in force, shared between the daemon's loop, which
/// replaces it when SIGHUP reloads the file, and the HTTP thread, which reads
/// it for every request.
final class SharedConfiguration: Sendable {
    private let value: Mutex<Configuration>

    init(_ configuration: Configuration) { value = Mutex(configuration) }

    var current: Configuration { value.withLock { $0 } }

    func replace(_ configuration: Configuration) { value.withLock { $0 = configuration } }
}
