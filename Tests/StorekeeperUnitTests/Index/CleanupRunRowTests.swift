import TestSupport
import Testing

@testable import StorekeeperIndex

/// Causes, triggers and statuses are enums in code and text in the index:
/// the text is what operators query with sqlite3 (docs/queries.md), so it
/// must never change.
@Suite struct CleanupRunRowTests {
    let directory: TemporaryDirectory
    let store: IndexStore

    init() throws {
        directory = try TemporaryDirectory()
        store = try IndexStore.create(path: directory.path("index.db"))
    }

    func text(_ sql: String) throws -> [String] {
        var rows: [String] = []
        try store.database.statement(sql).forEachRow { rows.append($0.string(0)) }
        return rows
    }

    static let totals = IndexStore.CleanupRunTotals(removed: 1, bytes: 2, skipped: 0, errors: 0, detail: "{}")

    @Test func storedTextsNeverChange() {
        #expect(CleanupCause.allCases.map(\.rawValue) == ["expired", "quota", "low_disk"])
        #expect(
            CleanupTrigger.allCases.map(\.rawValue) == [
                "manual", "schedule", "temp_schedule", "api", "quota", "low_disk",
            ])
        #expect(CleanupRunStatus.allCases.map(\.rawValue) == ["running", "ok", "failed", "interrupted"])
        #expect(IndexStore.CleanupReason.allCases.map(\.rawValue) == ["ttl", "quota", "low_disk", "trash_purge"])
    }

    @Test func aRunRowHoldsTheStoredTexts() throws {
        let first = try store.beginCleanupRun(trigger: .tempSchedule, dryRun: false, startedAt: 10)
        #expect(first.interrupted == 0)
        #expect(try text("SELECT trigger || '|' || status FROM cleanup_runs") == ["temp_schedule|running"])

        // A run still `running` when the next begins died with its process.
        let second = try store.beginCleanupRun(trigger: .lowDisk, dryRun: false, startedAt: 20)
        #expect(second.interrupted == 1)
        try store.finishCleanupRun(second.id, status: .ok, finishedAt: 30, totals: Self.totals)
        _ = try store.recordCleanupRun(
            trigger: .api, dryRun: false, startedAt: 40, status: .failed, finishedAt: 50, totals: Self.totals)
        #expect(
            try text("SELECT trigger || '|' || status FROM cleanup_runs ORDER BY id")
                == ["temp_schedule|interrupted", "low_disk|ok", "api|failed"])

        let runs = try store.lastCleanupRuns()
        #expect(runs.last?.trigger == "api")
        #expect(runs.last?.runStatus == .failed)
        #expect(runs.last?.failed == true)
        #expect(runs.lastSuccess?.id == second.id)
        #expect(runs.lastSuccess?.runStatus == .ok)
        #expect(runs.lastSuccess?.failed == false)
    }

    @Test func everyCauseHasItsMetricsReason() {
        #expect(CleanupCause.allCases.map { IndexStore.CleanupReason($0) } == [.ttl, .quota, .lowDisk])
        #expect(CleanupCause.allCases.filter(\.isEviction) == [.quota, .lowDisk])
    }
}
