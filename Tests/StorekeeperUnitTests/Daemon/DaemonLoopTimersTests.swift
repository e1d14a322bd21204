import Testing

@testable import StorekeeperService

/// When the daemon's loop wakes and which of its periodic checks are due.
@Suite struct DaemonLoopTimersTests {
    @Test func theLoopSleepsUntilTheEarliestDeadlineAndASecondAtMost() {
        var timers = DaemonLoopTimers(degradedReconcileInterval: 30)
        timers.nextHealthWrite = 100.75
        #expect(timers.waitTimeout(now: 100, moveDeadline: nil, jobDueIn: nil, indexRetryAt: nil) == 0.75)
        #expect(timers.waitTimeout(now: 100, moveDeadline: 100.25, jobDueIn: 5, indexRetryAt: 101) == 0.25)
        #expect(
            timers.waitTimeout(now: 100, moveDeadline: 99, jobDueIn: nil, indexRetryAt: nil) == 0, "a past deadline")
        timers.nextHealthWrite = 200
        #expect(timers.waitTimeout(now: 100, moveDeadline: nil, jobDueIn: 60, indexRetryAt: nil) == 1)
        #expect(timers.waitTimeout(now: 100, moveDeadline: nil, jobDueIn: 0, indexRetryAt: nil) == 0)
        #expect(timers.waitTimeout(now: 100, moveDeadline: nil, jobDueIn: nil, indexRetryAt: 100.5) == 0.5)
    }

    @Test func aNewSessionChecksAtOnceExceptTheDegradedReconcile() {
        var timers = DaemonLoopTimers(degradedReconcileInterval: 30)
        timers.nextIndexCheck = 500
        timers.policyChecked(now: 480, stillViolated: true)
        timers.sessionStarted(now: 1000)
        // Every two seconds.
        let indexChecks = [1000, 1001.9, 1002].map { timers.takeIndexCheck(now: $0) }
        #expect(indexChecks == [true, false, true])
        #expect(timers.policyCheckIsDue(now: 1000))
        let degradedReconciles = [1029, 1030, 1059, 1060].map { timers.takeDegradedReconcile(now: $0) }
        #expect(degradedReconciles == [false, true, false, true])
    }

    @Test func aPolicyThatCouldNotBeFixedWaitsLonger() {
        var timers = DaemonLoopTimers(degradedReconcileInterval: 30)
        timers.policyChecked(now: 10, stillViolated: false)
        #expect(!timers.policyCheckIsDue(now: 11.9))
        #expect(timers.policyCheckIsDue(now: 12))
        timers.policyChecked(now: 10, stillViolated: true)
        #expect(!timers.policyCheckIsDue(now: 69))
        #expect(timers.policyCheckIsDue(now: 70))
    }

    @Test func theHealthFileIsWrittenOnceASecondUnlessForced() {
        var timers = DaemonLoopTimers(degradedReconcileInterval: 30)
        // A forced write starts the second again.
        let writes = [(50, false), (50.5, false), (50.5, true), (51.4, false), (51.5, false)].map {
            timers.takeHealthWrite(now: $0.0, force: $0.1)
        }
        #expect(writes == [true, false, true, false, true])
    }
}
