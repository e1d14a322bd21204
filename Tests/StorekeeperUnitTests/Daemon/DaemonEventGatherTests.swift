import Testing

@testable import StorekeeperService

/// During a burst the loop lets events gather for a few milliseconds between
/// takes, so each transaction holds many files; after a quiet spell it takes
/// the first event at once.
@Suite struct DaemonEventGatherTests {
    @Test func aQuietLoopTakesTheFirstEventAtOnce() {
        let timers = DaemonLoopTimers(degradedReconcileInterval: 30)
        #expect(timers.gatherPause(now: 0) == nil)
        #expect(timers.gatherPause(now: 1_000_000) == nil)
    }

    @Test func aBusyLoopWaitsOutTheRestOfTheWindow() throws {
        var timers = DaemonLoopTimers(degradedReconcileInterval: 30)
        timers.lastEventTake = 100
        let window = DaemonLoopTimers.eventGatherWindow
        let pause = try #require(timers.gatherPause(now: 100 + window / 4))
        #expect(abs(pause - window * 3 / 4) < 1e-9)
        #expect(timers.gatherPause(now: 100 + window) == nil, "a take that lasted the window waits no more")
        #expect(timers.gatherPause(now: 101) == nil)
    }

    @Test func theWindowIsShortNextToTheLatencyTheIndexPromises() {
        #expect(DaemonLoopTimers.eventGatherWindow > 0)
        #expect(DaemonLoopTimers.eventGatherWindow <= 0.01)
    }
}
