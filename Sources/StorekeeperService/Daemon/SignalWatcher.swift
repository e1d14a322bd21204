import Glibc
import StorekeeperSystem

/// Turns SIGTERM and SIGINT into a stop request and SIGHUP into a reopen of
/// the log file (logrotate's postrotate), on a thread of its own that waits in
/// `sigwait`. The signals are blocked in every thread first (threads
/// inherit the mask), so no handler ever runs in the middle of SQLite.
public final class SignalWatcher: Sendable {
    private let logger: Logger
    private let onStop: @Sendable () -> Void
    private let onReload: @Sendable () -> Void

    /// `onReload` runs after the log file is reopened on SIGHUP (the daemon
    /// reloads its configuration on its own thread).
    public init(
        logger: Logger, onStop: @escaping @Sendable () -> Void, onReload: @escaping @Sendable () -> Void = {}
    ) throws {
        self.logger = logger
        self.onStop = onStop
        self.onReload = onReload
        var set = Self.handledSignals
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    static var handledSignals: sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGTERM)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGHUP)
        return set
    }

    /// A path that cannot be opened keeps the old file: lines still land in
    /// the rotated file, and the error says why the new one is missing.
    private func reopenLogFile() {
        do {
            if try logger.reopen() {
                logger.info("log file reopened", ["path": logger.filePath ?? "", "signal": "SIGHUP"])
            } else {
                logger.info("signal received; no log file to reopen", ["signal": "SIGHUP"])
            }
        } catch {
            logger.error("cannot reopen the log file", ["error": "\(error)", "signal": "SIGHUP"])
        }
    }

    public func start() {
        // Detached: it lives as long as the process; exit ends it.
        _ = BackgroundThread { [self] in
            var set = Self.handledSignals
            while true {
                var signal: Int32 = 0
                guard sigwait(&set, &signal) == 0 else { continue }
                switch signal {
                case SIGTERM, SIGINT:
                    logger.info("signal received; stopping", ["signal": signal == SIGTERM ? "SIGTERM" : "SIGINT"])
                    onStop()
                default:
                    reopenLogFile()
                    onReload()
                }
            }
        }
    }
}
