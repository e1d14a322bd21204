import StorekeeperEngine
import StorekeeperMonitoring
import StorekeeperSystem

/// The health file and the status the HTTP thread serves.
extension Daemon {
    /// Rewrites the health file at most once a second (or now, when forced)
    /// and publishes the status to the HTTP thread.
    func refreshHealth(force: Bool = false, monitoring: DaemonMonitoring, steps: Steps? = nil) {
        refreshHealth(force: force, monitoring: monitoring, steps: steps, indexer: nil, queue: nil, reader: nil)
    }

    /// `refreshHealth` with everything a running session can tell.
    func refreshHealth(force: Bool = false, session: Session) {
        refreshHealth(
            force: force, monitoring: session.monitoring, steps: session.steps, indexer: session.indexer,
            queue: session.queue, reader: session.reader)
    }

    private func refreshHealth(
        force: Bool, monitoring: DaemonMonitoring, steps: Steps?, indexer: Indexer?, queue: EventQueue?,
        reader: InotifyReader?
    ) {
        let monotonic = MonotonicClock.seconds()
        guard timers.takeHealthWrite(now: monotonic, force: force) else { return }
        health.updatedAt = WallClock.now()
        if let indexer { health.watcher = indexer.status }
        if let queue {
            health.queueLength = queue.count
            health.lagSeconds = queue.lag(now: monotonic)
        }
        if let reader { health.eventsRead = reader.eventsRead }
        if let steps {
            health.problems = steps.all.compactMap(\.problem)
            for step in steps.all where step.failures > 0 { health.stepFailures[step.name] = step.failures }
        }
        if let healthWriteError { health.problems.append(healthWriteError) }
        monitoring.publish(&health)
        writeHealth()
    }

    /// A health file that cannot be written is a problem in `/health` (the
    /// cron fallback reads the file, and would believe the daemon dead).
    func writeHealth() {
        do {
            try health.write(to: healthPath)
            if healthWriteError != nil {
                healthWriteError = nil
                logger.info("the health file is written again", ["path": healthPath])
            }
        } catch {
            if healthWriteError == nil {
                logger.warning("cannot write the health file", ["path": healthPath, "error": "\(error)"])
                // The reserve gives the index, and this file, room on a full disk.
                layout.spaceReserve.releaseIfDiskFull(logger: logger)
            }
            healthWriteError = "cannot write the health file: \(error)"
        }
    }
}
