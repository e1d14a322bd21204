import Glibc
import Synchronization

/// System calls made to fail on purpose, so a test can walk the error paths
/// of the remover and the trash (EIO, EROFS, EPERM, ENOSPC, EBUSY) without
/// root, a full disk or a broken one.
///
/// Test-only by construction: internal to this module (reachable from tests
/// through `@testable import`), enabled only by `activate(during:)` in code,
/// never by an option, a configuration key or the environment. It is bound to
/// the calling task (a task-local), so tests running in parallel never see
/// one another's faults, and a process that never activates one pays a single
/// relaxed atomic load per system call.
final class FaultPlan: Sendable {
    /// One planned failure: the next `remaining` calls named `call` whose path
    /// ends in the component `name` (any path when nil) fail with `errno`
    /// without being made.
    private struct Fault {
        let call: String
        let name: [UInt8]?
        let errno: Int32
        var remaining: Int
    }

    private let faults = Mutex<[Fault]>([])
    private let fired = Mutex<[SystemCallError]>([])

    init() {}

    /// Plans a failure: the next `times` calls to `call` about a path whose
    /// last component is `name` (any path when nil) fail with `errno`.
    func fail(_ call: String, name: [UInt8]? = nil, with errno: Int32, times: Int = 1) {
        precondition(times > 0, "a fault that never fires")
        faults.withLock { $0.append(Fault(call: call, name: name, errno: errno, remaining: times)) }
    }

    func fail(_ call: String, name: String, with errno: Int32, times: Int = 1) {
        fail(call, name: PathBytes.bytes(name), with: errno, times: times)
    }

    /// The failures handed out so far, oldest first.
    var injected: [SystemCallError] { fired.withLock { $0 } }

    /// Planned failures that have not fired yet.
    var pending: Int { faults.withLock { $0.reduce(0) { $0 + $1.remaining } } }

    /// Runs `body` with this plan consulted by every system call made on the
    /// calling task (or thread, outside of tasks) until it returns.
    func activate<Result>(during body: () throws -> Result) rethrows -> Result {
        Self.activeCount.add(1, ordering: .relaxed)
        defer { Self.activeCount.subtract(1, ordering: .relaxed) }
        return try Self.$current.withValue(self, operation: body)
    }

    /// The error to throw instead of making `call`, when one is planned.
    func failure(of call: String, path: [UInt8]?) -> SystemCallError? {
        let lastComponent = path.map { PathBytes.components($0).last ?? [] }
        let errno: Int32? = faults.withLock { faults in
            guard
                let index = faults.firstIndex(where: {
                    $0.call == call && ($0.name == nil || $0.name == lastComponent)
                })
            else { return nil }
            faults[index].remaining -= 1
            let errno = faults[index].errno
            if faults[index].remaining == 0 { faults.remove(at: index) }
            return errno
        }
        guard let errno else { return nil }
        let error = SystemCallError(call: call, path: path, errno: errno)
        fired.withLock { $0.append(error) }
        return error
    }

    @TaskLocal static var current: FaultPlan?

    private static let activeCount = Atomic<Int>(0)

    /// False unless some task has a plan active: the funnel looks no further.
    static var isAnyActive: Bool { activeCount.load(ordering: .relaxed) != 0 }
}
