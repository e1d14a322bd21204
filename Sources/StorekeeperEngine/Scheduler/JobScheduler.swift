import StorekeeperConfig
import StorekeeperIndex
import StorekeeperSystem

/// Runs named jobs on cron schedules (UTC) and remembers them in the `jobs`
/// table, so a restart neither loses nor repeats a run: the next run time is
/// stored, and a run that fell due while the daemon was down runs once at
/// startup (systemd's `Persistent=true`). Jobs run one at a time on the
/// caller's thread, so a job never overlaps itself.
public final class JobScheduler {
    public struct Job {
        public let name: JobName
        public let schedule: CronExpression
        public let scheduleText: String
        /// Does the work; returns a short status for the `jobs` table.
        public let run: () throws -> String

        public init(name: JobName, schedule: String, run: @escaping () throws -> String) throws(CronError) {
            self.name = name
            self.schedule = try CronExpression(schedule)
            scheduleText = schedule
            self.run = run
        }
    }

    private let store: IndexStore
    private let logger: Logger
    private let now: () -> Int64
    public private(set) var jobs: [Job] = []
    private var nextRun: [JobName: Int64] = [:]

    public init(store: IndexStore, logger: Logger, now: @escaping () -> Int64) {
        self.store = store
        self.logger = logger
        self.now = now
    }

    /// Adds jobs, keeping each one's stored next run unless its schedule
    /// changed. A stored run later than the schedule's next occurrence
    /// (written while the clock was fast) is not trusted: it would keep an
    /// hourly job from running for years.
    public func register(_ newJobs: [Job]) throws {
        // Rows of jobs that no longer exist are left alone.
        let stored = Dictionary(
            uniqueKeysWithValues: try store.jobs().compactMap { record in
                JobName(rawValue: record.name).map { ($0, record) }
            })
        let time = now()
        for job in newJobs {
            if let record = stored[job.name], record.schedule == job.scheduleText, let next = record.nextRunAt,
                next <= job.schedule.nextFire(after: time) ?? Int64.max
            {
                nextRun[job.name] = next
            } else {
                let next = job.schedule.nextFire(after: time)
                do {
                    try store.registerJob(name: job.name.rawValue, schedule: job.scheduleText, nextRunAt: next)
                } catch {
                    // A full or locked index must not keep the jobs from running;
                    // the row is written with the job's first run.
                    logger.warning(
                        "cannot record a job's schedule yet", ["job": job.name.rawValue, "error": "\(error)"])
                }
                nextRun[job.name] = next
            }
            jobs.append(job)
        }
    }

    /// When the next job is due (Unix seconds), if any.
    public var nextDue: Int64? { nextRun.values.min() }

    /// Runs every job that is due now, in registration order; `covers` lets a
    /// job that ran stand in for others due at the same moment (a full cleanup
    /// makes the temp cleanup due with it redundant). Returns the names run.
    @discardableResult
    public func runDue(covers: [JobName: Set<JobName>] = [:]) -> [JobName] {
        let time = now()
        var ran: [JobName] = []
        var covered: Set<JobName> = []
        for job in jobs {
            guard let due = nextRun[job.name], due <= time else { continue }
            let next = job.schedule.nextFire(after: time)
            if covered.contains(job.name) {
                record(job, started: time, status: "covered by \(ran.last?.rawValue ?? "another job")", next: next)
                continue
            }
            if due < time - 60 {
                logger.info(
                    "running a job missed while the daemon was down",
                    ["job": job.name.rawValue, "due": Formatting.isoTimestamp(due)])
            }
            do {
                try store.jobStarted(name: job.name.rawValue, at: time)
            } catch {
                logger.error("cannot record a job start", ["job": job.name.rawValue, "error": "\(error)"])
            }
            let status: String
            do {
                status = try job.run()
            } catch {
                status = "failed: \(error)"
                logger.error("job failed", ["job": job.name.rawValue, "error": "\(error)"])
            }
            record(job, started: time, status: status, next: next)
            ran.append(job.name)
            covered.formUnion(covers[job.name] ?? [])
        }
        return ran
    }

    private func record(_ job: Job, started: Int64, status: String, next: Int64?) {
        nextRun[job.name] = next
        do {
            if status.hasPrefix("covered") { try store.jobStarted(name: job.name.rawValue, at: started) }
            try store.jobFinished(name: job.name.rawValue, at: now(), status: status, nextRunAt: next)
        } catch {
            logger.error("cannot record a job run", ["job": job.name.rawValue, "error": "\(error)"])
        }
        logger.info(
            "job finished",
            ["job": job.name.rawValue, "status": status, "next": next.map(Formatting.isoTimestamp) ?? "never"])
    }
}
