import Foundation
import StorekeeperConfig
import StorekeeperEngine
import StorekeeperIndex
import StorekeeperService
import StorekeeperSystem
import Synchronization
import Testing

/// The scheduler with a clock the test turns: missed runs run once at
/// startup, runs are remembered across restarts, jobs never overlap.
@Suite struct JobSchedulerTests {
    /// What the jobs did, shared with their closures.
    final class Log: Sendable {
        private let entries = Mutex<[String]>([])
        func append(_ entry: String) { entries.withLock { $0.append(entry) } }
        var all: [String] { entries.withLock { $0 } }
    }

    final class Clock: Sendable {
        private let value: Mutex<Int64>
        init(_ start: Int64) { value = Mutex(start) }
        var now: Int64 { value.withLock { $0 } }
        func set(_ time: Int64) { value.withLock { $0 = time } }
    }

    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("jobs-\(UUID().uuidString)").path
    var indexPath: String { directory + "/index.db" }

    init() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        _ = try IndexStore.create(path: indexPath)
    }

    /// 2026-11-20 00:00:00 UTC plus `hours` and `minutes`.
    static func at(day: Int = 20, hours: Int, minutes: Int = 0) -> Int64 {
        1_795_132_800 + Int64(day - 20) * 86_400 + Int64(hours) * 3600 + Int64(minutes) * 60
    }

    func scheduler(_ clock: Clock, runs: Log) throws -> JobScheduler {
        let store = try IndexStore(path: indexPath)
        let scheduler = JobScheduler(store: store, logger: Logger(minimumLevel: .error), now: { clock.now })
        try scheduler.register([
            JobScheduler.Job(name: .cleanup, schedule: "0 2 * * *") {
                runs.append("cleanup@\(clock.now)")
                return "ok"
            },
            JobScheduler.Job(name: .tempCleanup, schedule: "0 * * * *") {
                runs.append("temp@\(clock.now)")
                return "ok"
            },
        ])
        return scheduler
    }

    @Test func aMissedRunRunsOnceAtStartupAndTheNextIsScheduled() throws {
        let clock = Clock(Self.at(hours: 1, minutes: 30))
        let runs = Log()
        do {
            let first = try scheduler(clock, runs: runs)
            #expect(first.runDue().isEmpty, "nothing is due on a fresh install")
        }
        // The daemon is down from 01:30 until 05:10: 02:00 (and several hours) were missed.
        clock.set(Self.at(hours: 5, minutes: 10))
        let restarted = try scheduler(clock, runs: runs)
        #expect(restarted.runDue(covers: [.cleanup: [.tempCleanup]]) == [.cleanup])
        #expect(runs.all == ["cleanup@\(Self.at(hours: 5, minutes: 10))"], "once, not once per missed time")
        let store = try IndexStore(path: indexPath)
        let cleanup = try #require(try store.job(named: "cleanup"))
        #expect(cleanup.lastStartedAt == Self.at(hours: 5, minutes: 10))
        #expect(cleanup.nextRunAt == Self.at(day: 21, hours: 2))
        #expect(cleanup.lastStatus == "ok")
        let temp = try #require(try store.job(named: "temp_cleanup"))
        #expect(temp.lastStatus?.hasPrefix("covered") == true)
        #expect(temp.nextRunAt == Self.at(hours: 6))
        // Started again within the same hour: nothing is due twice.
        let again = try scheduler(clock, runs: runs)
        #expect(again.runDue().isEmpty)
    }

    @Test func twoTriggersAtOnceGiveOneRun() throws {
        let clock = Clock(Self.at(hours: 1, minutes: 59))
        let runs = Log()
        let scheduler = try scheduler(clock, runs: runs)
        clock.set(Self.at(hours: 2))
        #expect(scheduler.runDue(covers: [.cleanup: [.tempCleanup]]) == [.cleanup])
        #expect(
            scheduler.runDue(covers: [.cleanup: [.tempCleanup]]).isEmpty,
            "a second look at the same minute runs nothing")
        clock.set(Self.at(hours: 3))
        #expect(scheduler.runDue() == [.tempCleanup])
        #expect(runs.all.count == 2)
    }

    @Test func aChangedScheduleIsRescheduledNotFired() throws {
        let clock = Clock(Self.at(hours: 1))
        let runs = Log()
        _ = try scheduler(clock, runs: runs)
        let store = try IndexStore(path: indexPath)
        try store.registerJob(name: "cleanup", schedule: "0 3 * * *", nextRunAt: Self.at(hours: 0))
        let restarted = try scheduler(clock, runs: runs)
        #expect(restarted.runDue().isEmpty)
        #expect(try store.job(named: "cleanup")?.nextRunAt == Self.at(hours: 2))
    }

    @Test func aFailingJobIsRecordedAndTheOthersStillRun() throws {
        let clock = Clock(Self.at(hours: 1, minutes: 59))
        let store = try IndexStore(path: indexPath)
        struct Boom: Error {}
        let scheduler = JobScheduler(store: store, logger: Logger(minimumLevel: .error), now: { clock.now })
        let ran = Log()
        try scheduler.register([
            JobScheduler.Job(name: .verify, schedule: "0 2 * * *") { throw Boom() },
            JobScheduler.Job(name: .pruneEvents, schedule: "0 2 * * *") {
                ran.append("good")
                return "ok"
            },
        ])
        clock.set(Self.at(hours: 2))
        #expect(scheduler.runDue() == [.verify, .pruneEvents])
        #expect(ran.all == ["good"])
        #expect(try store.job(named: "verify")?.lastStatus?.hasPrefix("failed") == true)
        #expect(try store.job(named: "verify")?.nextRunAt == Self.at(day: 21, hours: 2))
    }

    @Test func theJobsKeepTheNamesTheIndexStores() {
        // Operators query these rows with sqlite3, and a renamed job would lose its history.
        #expect(
            JobName.allCases.map(\.rawValue) == ["cleanup", "temp_cleanup", "trash_purge", "prune_events", "verify"])
        let configuration = Configuration(
            sourceFile: "test.yaml", basePath: directory, indexPath: indexPath, categories: CategoryPolicy.builtIns,
            cleanup: CleanupSettings(), monitoring: MonitoringSettings())
        #expect(DaemonJobs.schedules(configuration).map(\.name) == JobName.allCases.map(\.rawValue))
    }

    @Test func aRowOfAJobThatNoLongerExistsIsLeftAlone() throws {
        let clock = Clock(Self.at(hours: 1))
        let store = try IndexStore(path: indexPath)
        try store.registerJob(name: "retired_job", schedule: "0 1 * * *", nextRunAt: Self.at(hours: 0))
        let scheduler = try scheduler(clock, runs: Log())
        #expect(scheduler.runDue().isEmpty)
        #expect(try store.job(named: "retired_job")?.nextRunAt == Self.at(hours: 0))
    }
}
