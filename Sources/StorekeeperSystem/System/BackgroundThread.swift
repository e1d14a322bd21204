import Glibc

/// A joinable OS thread for blocking work (`poll`, `read`, `sigwait`) that
/// must never run on Swift's cooperative pool.
public final class BackgroundThread: Sendable {
    private final class Box {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }

    private let handle: pthread_t

    public init(_ body: @escaping @Sendable () -> Void) {
        var handle = pthread_t()
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        let result = pthread_create(
            &handle, nil,
            { context in
                let box = Unmanaged<Box>.fromOpaque(context!).takeRetainedValue()
                box.body()
                return nil
            }, box)
        precondition(result == 0, "pthread_create failed: \(result)")
        self.handle = handle
    }

    public func join() {
        pthread_join(handle, nil)
    }
}
