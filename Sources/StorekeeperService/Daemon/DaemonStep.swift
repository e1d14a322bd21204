import StorekeeperEngine
import StorekeeperIndex
import StorekeeperSystem

/// One step of the daemon's loop (apply events, run due jobs, enforce quotas
/// and free space, ...). A step that fails is contained: logged with its name
/// and the error (which names the path and the operation), counted, listed
/// as a `/health` problem, and tried again after a backoff that doubles up to
/// a ceiling — while the other steps, the watcher above all, go on. Only an
/// `Indexer.Stop` (the base itself is gone) passes through.
final class DaemonStep {
    let name: String
    private let initialBackoff: Double
    private let maximumBackoff: Double
    private let logger: Logger
    private let clock: () -> Double

    private(set) var failures = 0
    private var backoff: Double
    private var nextAttempt = 0.0
    /// The ongoing failure: since when (Unix seconds), and why.
    private(set) var failing: (since: Int64, error: any Error)?

    init(
        _ name: String, backoff: Double, maximumBackoff: Double, logger: Logger,
        clock: @escaping () -> Double = MonotonicClock.seconds
    ) {
        self.name = name
        initialBackoff = backoff
        self.maximumBackoff = maximumBackoff
        self.backoff = backoff
        self.logger = logger
        self.clock = clock
    }

    /// False while the step waits out its backoff.
    var isDue: Bool { clock() >= nextAttempt }

    /// When the step may run again (monotonic seconds), while it is failing.
    var retryAt: Double? { failing == nil ? nil : nextAttempt }

    /// Runs `body` unless it waits out a backoff; returns whether it ran and succeeded.
    @discardableResult
    func run(_ body: () throws -> Void) throws(Indexer.Stop) -> Bool {
        guard isDue else { return false }
        do {
            try body()
        } catch let stop as Indexer.Stop {
            throw stop
        } catch {
            failed(error)
            return false
        }
        if let failing {
            logger.info(
                "daemon step recovered",
                ["step": name, "failed_since": Formatting.isoTimestamp(failing.since), "failures": String(failures)])
            self.failing = nil
        }
        backoff = initialBackoff
        return true
    }

    private func failed(_ error: any Error) {
        failures += 1
        if failing == nil { failing = (WallClock.now(), error) } else { failing?.error = error }
        nextAttempt = clock() + backoff
        logger.error(
            "daemon step failed; retrying later",
            ["step": name, "error": "\(error)", "retry_seconds": Formatting.fixed(backoff, digits: 1)])
        backoff = min(backoff * 2, maximumBackoff)
    }

    /// True while the step fails because the index file is damaged: retrying
    /// cannot help, rebuilding the index does.
    var failsOnACorruptIndex: Bool {
        guard let error = failing?.error else { return false }
        return error is IndexCorruption || (error as? DatabaseError)?.isCorrupt == true
    }

    /// The `/health` line while failing: what is wrong in an operator's words.
    var problem: String? {
        guard let failing else { return nil }
        let since = Formatting.isoTimestamp(failing.since)
        let seconds = WallClock.now() - failing.since
        if let error = failing.error as? DatabaseError {
            if error.isBusy {
                return
                    "the index is locked by another process (since \(since), \(seconds) s); \(name) waits and retries"
            }
            if error.isDiskFull {
                return "the disk is full: the index cannot be written (since \(since), \(seconds) s); \(name) retries"
            }
        }
        return "\(name) failing since \(since): \(failing.error)"
    }
}
