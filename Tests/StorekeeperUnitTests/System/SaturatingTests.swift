import TestSupport
import Testing

@testable import StorekeeperIndex

/// Sizes come from whoever writes into the tree (a sparse file claims up to
/// 2^63-1 bytes), so every sum of them saturates instead of trapping.
@Suite struct SaturatingTests {
    static let huge: Int64 = 6_917_529_027_641_081_856  // 1.5 * 2^62: two of them pass Int64.max

    let directory: TemporaryDirectory
    let store: IndexStore

    init() throws {
        directory = try TemporaryDirectory()
        store = try IndexStore.create(path: directory.path("index.db"))
    }

    @Test func additionSaturatesAtBothEnds() {
        #expect(Self.huge.addingSaturating(Self.huge) == .max)
        #expect((-Self.huge).addingSaturating(-Self.huge) == .min)
        #expect(Int64.max.addingSaturating(1) == .max)
        #expect(Int64(40).addingSaturating(2) == 42)
        #expect(Int64.max.addingSaturating(-1) == .max - 1)
    }

    @Test func subtractionSaturatesAtBothEnds() {
        #expect(Int64.min.subtractingSaturating(1) == .min)
        #expect(Int64.max.subtractingSaturating(-1) == .max)
        #expect(Int64(0).subtractingSaturating(.min) == .max)
        #expect((-Self.huge).subtractingSaturating(Self.huge) == .min)
        #expect(Int64(44).subtractingSaturating(2) == 42)
    }

    @Test func multiplicationSaturatesBySign() {
        #expect(Self.huge.multipliedSaturating(by: 4096) == .max)
        #expect(Self.huge.multipliedSaturating(by: -2) == .min)
        #expect((-Self.huge).multipliedSaturating(by: -2) == .max)
        #expect(Int64(21).multipliedSaturating(by: 2) == 42)
    }

    @Test func doublesOutOfRangeClampInsteadOfTrapping() {
        #expect(Int64(saturating: 1e19) == .max)
        #expect(Int64(saturating: 9_223_372_036_854_775_808.0) == .max)
        #expect(Int64(saturating: -1e30) == .min)
        #expect(Int64(saturating: -9_223_372_036_854_775_808.0) == .min)
        #expect(Int64(saturating: .infinity) == .max)
        #expect(Int64(saturating: -.infinity) == .min)
        #expect(Int64(saturating: .nan) == 0)
        #expect(Int64(saturating: 41.9) == 41)
        #expect(Int64(saturating: -41.9) == -41)
    }

    @Test func sequenceSumsSaturate() {
        #expect([Self.huge, Self.huge, 1].saturatingSum { $0 } == .max)
        #expect([Int64]().saturatingSum { $0 } == 0)
        #expect([1, 2, 3].saturatingSum { Int64($0) } == 6)
    }

    /// The usage triggers add with SQLite's `+`, which turns an overflowing
    /// sum into a REAL: reading it back must give Int64.max, never trap.
    @Test func usageThatOverflowedIntoARealReadsAsTheLargestInteger() throws {
        for (inode, name) in ["frames/a", "frames/b"].enumerated() {
            try store.insert(
                IndexedFile(
                    path: Array(name.utf8), category: "frames", kind: .file, size: Self.huge, mtime: 1,
                    mtimeNanoseconds: 0,
                    inode: UInt64(inode + 1), pathDate: nil),
                now: 1)
        }
        let type = try store.database.statement("SELECT typeof(bytes) FROM usage WHERE category = 'frames'")
            .firstRow { $0.string(0) }
        #expect(type == "real")
        let usage = try #require(try store.usage().first { $0.category == "frames" })
        #expect(usage.bytes == .max)
        #expect(usage.files == 2)
        #expect(try store.usage(of: "frames").bytes == .max)

        try store.database.execute("UPDATE trash_usage SET bytes = -1e30")
        #expect(try store.trashUsage().bytes == .min)
    }

    /// `cleanup_totals` counters hold at Int64.max instead of becoming a REAL.
    @Test func cleanupTotalsHoldAtTheLargestInteger() throws {
        for _ in 0..<3 {
            try store.addCleanupTotals(category: "frames", reason: .quota, files: 1, bytes: Self.huge, errors: 0)
        }
        let total = try #require(try store.cleanupTotals().first)
        #expect(total.bytes == .max)
        #expect(total.files == 3)
        let type = try store.database.statement("SELECT typeof(bytes) FROM cleanup_totals").firstRow { $0.string(0) }
        #expect(type == "integer")
    }
}
