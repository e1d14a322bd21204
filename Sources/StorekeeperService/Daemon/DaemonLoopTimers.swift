/// When each periodic piece of the daemon's loop is next due, in monotonic
/// seconds: the loop sleeps until the earliest of them (or an event), and
/// each check runs only when its time has come.
struct DaemonLoopTimers {
    /// How often the daemon checks that the index path still names the file
    /// it has open (one `stat` and a 16-byte read).
    static let indexCheckInterval = 2.0
    /// How often the daemon compares usage with quotas and free space.
    static let policyCheckInterval = 2.0
    /// After a policy run that could not fix the violation (files in use,
    /// undeletable): not retried every two seconds, or the log would drown.
    static let policyRetryInterval = 60.0
    /// The health file is rewritten at most this often, unless forced.
    static let healthWriteInterval = 1.0
    /// The longest the loop sleeps, whatever is due.
    static let longestWait = 1.0

    /// During a burst the loop takes events at most this often (seconds), so
    /// one transaction holds many files instead of a handful: per file, a
    /// commit's page writes and the loop's wake-ups cost more than the rows.
    /// After a quiet spell the first event is taken at once.
    static let eventGatherWindow = 0.005

    /// How often a degraded watcher reconciles what it cannot watch.
    let degradedReconcileInterval: Double

    var nextHealthWrite = 0.0
    var nextIndexCheck = 0.0
    var nextPolicyCheck = 0.0
    var nextDegradedReconcile = 0.0
    /// Poll mode's interval between whole-tree reconciles; nil with inotify.
    var pollInterval: Double?
    var nextPoll = 0.0
    /// When the last turn that found events began to take them.
    var lastEventTake = -Double.infinity

    init(degradedReconcileInterval: Double) {
        self.degradedReconcileInterval = degradedReconcileInterval
    }

    /// A new session checks its index and policies at once; a degraded one
    /// first waits a whole interval (its startup reconcile just ran).
    /// In poll mode the first poll waits a whole interval too.
    mutating func sessionStarted(now: Double, pollInterval: Double? = nil) {
        nextIndexCheck = 0
        nextPolicyCheck = 0
        nextDegradedReconcile = now + degradedReconcileInterval
        self.pollInterval = pollInterval
        nextPoll = now + (pollInterval ?? 0)
    }

    /// Whether poll mode's reconcile is due at `now`; if so, the next one is scheduled.
    mutating func takePoll(now: Double) -> Bool {
        guard let pollInterval, now >= nextPoll else { return false }
        nextPoll = now + pollInterval
        return true
    }

    /// How long the loop may sleep at `now`: until the next health write, a
    /// directory move's pairing deadline, a job (`jobDueIn` seconds away) or
    /// the index step's retry, and never longer than `longestWait`.
    func waitTimeout(now: Double, moveDeadline: Double?, jobDueIn: Double?, indexRetryAt: Double?) -> Double {
        var timeout = max(0, nextHealthWrite - now)
        if let moveDeadline { timeout = min(timeout, max(0, moveDeadline - now)) }
        if let jobDueIn { timeout = min(timeout, max(0, jobDueIn)) }
        if let indexRetryAt { timeout = min(timeout, max(0, indexRetryAt - now)) }
        return min(timeout, Self.longestWait)
    }

    /// How long to let events gather before taking them at `now`: what is
    /// left of the window since the last take that found some, if anything.
    func gatherPause(now: Double) -> Double? {
        let pause = lastEventTake + Self.eventGatherWindow - now
        return pause > 0 ? pause : nil
    }

    /// Whether the index file is due for its check at `now`; if so, the next one is scheduled.
    mutating func takeIndexCheck(now: Double) -> Bool {
        guard now >= nextIndexCheck else { return false }
        nextIndexCheck = now + Self.indexCheckInterval
        return true
    }

    func policyCheckIsDue(now: Double) -> Bool { now >= nextPolicyCheck }

    /// Schedules the next policy check after one finished at `now`.
    mutating func policyChecked(now: Double, stillViolated: Bool) {
        nextPolicyCheck = now + (stillViolated ? Self.policyRetryInterval : Self.policyCheckInterval)
    }

    /// Whether a degraded watcher's reconcile is due at `now`; if so, the next one is scheduled.
    mutating func takeDegradedReconcile(now: Double) -> Bool {
        guard now >= nextDegradedReconcile else { return false }
        nextDegradedReconcile = now + degradedReconcileInterval
        return true
    }

    /// Whether the health file is due at `now` (or `force`d); if so, the next write is scheduled.
    mutating func takeHealthWrite(now: Double, force: Bool) -> Bool {
        guard force || now >= nextHealthWrite else { return false }
        nextHealthWrite = now + Self.healthWriteInterval
        return true
    }
}
