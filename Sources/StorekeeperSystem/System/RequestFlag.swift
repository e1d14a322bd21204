import Synchronization

/// A request set by one thread (a signal, a client) and taken once by the
/// loop that serves it; setting it again before it is taken asks once.
public final class RequestFlag: Sendable {
    private let value = Atomic<Bool>(false)

    public init() {}

    public func set() { value.store(true, ordering: .sequentiallyConsistent) }

    /// True once per request: the flag is cleared as it is read.
    public func take() -> Bool { value.exchange(false, ordering: .sequentiallyConsistent) }
}
