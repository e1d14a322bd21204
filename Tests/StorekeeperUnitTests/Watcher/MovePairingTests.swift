import Testing

@testable import StorekeeperEngine

/// The halves of a rename, paired by cookie: a directory's departure waits a
/// window for its arrival; a file's pairs within one batch.
@Suite struct MovePairingTests {
    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func aDepartureAndItsArrivalPairByCookie() {
        var pairing = DirectoryMovePairing(window: 0.25)
        #expect(pairing.isEmpty && pairing.nextDeadline == nil)
        pairing.departed(Self.bytes("a/old"), cookie: 7, now: 100)
        #expect(!pairing.isEmpty)
        #expect(pairing.nextDeadline == 100.25)
        #expect(pairing.arrived(cookie: 8) == nil, "another cookie is a directory from outside the tree")
        #expect(pairing.arrived(cookie: 7) == Self.bytes("a/old"))
        #expect(pairing.isEmpty && pairing.nextDeadline == nil)
        #expect(pairing.arrived(cookie: 7) == nil, "a half pairs once")
    }

    @Test func aDepartureWaitsItsWindowThenCountsAsMovedOut() {
        var pairing = DirectoryMovePairing(window: 0.25)
        pairing.departed(Self.bytes("gone"), cookie: 1, now: 10)
        #expect(pairing.expire(now: 10.2).isEmpty, "still within its window")
        #expect(!pairing.isEmpty)
        #expect(pairing.expire(now: 10.25) == [Self.bytes("gone")], "the deadline itself is expired")
        #expect(pairing.isEmpty)
        #expect(pairing.arrived(cookie: 1) == nil, "an arrival after the window is a directory moved in")
    }

    @Test func expiredDeparturesComeEarliestFirstAndTheRestWait() {
        var pairing = DirectoryMovePairing(window: 1)
        pairing.departed(Self.bytes("second"), cookie: 2, now: 5)
        pairing.departed(Self.bytes("first"), cookie: 1, now: 4)
        pairing.departed(Self.bytes("b-same-time"), cookie: 4, now: 6)
        pairing.departed(Self.bytes("a-same-time"), cookie: 3, now: 6)
        pairing.departed(Self.bytes("late"), cookie: 5, now: 9)
        #expect(pairing.nextDeadline == 5)
        #expect(
            pairing.expire(now: 7)
                == [Self.bytes("first"), Self.bytes("second"), Self.bytes("a-same-time"), Self.bytes("b-same-time")])
        #expect(pairing.nextDeadline == 10)
        #expect(pairing.arrived(cookie: 5) == Self.bytes("late"))
    }

    @Test func aCookieSeenAgainReplacesItsDeparture() {
        var pairing = DirectoryMovePairing(window: 1)
        pairing.departed(Self.bytes("one"), cookie: 3, now: 0)
        pairing.departed(Self.bytes("two"), cookie: 3, now: 0.5)
        #expect(pairing.nextDeadline == 1.5)
        #expect(pairing.arrived(cookie: 3) == Self.bytes("two"))
    }

    @Test func aFileRenameWithinTheBatchIsOneMove() {
        var renames = FileRenames()
        renames.departed(Self.bytes("x/draft.tmp"), cookie: 9)
        renames.arrived(Self.bytes("x/report.txt"), cookie: 9)
        #expect(renames.sourceByDestination == [Self.bytes("x/report.txt"): Self.bytes("x/draft.tmp")])
        #expect(renames.movedAway == [Self.bytes("x/draft.tmp")])
    }

    @Test func aLoneFileHalfIsNoMove() {
        var renames = FileRenames()
        renames.arrived(Self.bytes("in-from-outside"), cookie: 1)
        renames.departed(Self.bytes("out-of-the-tree"), cookie: 2)
        renames.arrived(Self.bytes("other"), cookie: 3)
        #expect(renames.sourceByDestination.isEmpty)
        #expect(renames.movedAway.isEmpty)
    }

    @Test func anArrivalPairsWithItsOwnCookieOnly() {
        var renames = FileRenames()
        renames.departed(Self.bytes("a"), cookie: 1)
        renames.departed(Self.bytes("b"), cookie: 2)
        renames.arrived(Self.bytes("b2"), cookie: 2)
        renames.arrived(Self.bytes("a2"), cookie: 1)
        #expect(renames.sourceByDestination == [Self.bytes("a2"): Self.bytes("a"), Self.bytes("b2"): Self.bytes("b")])
        #expect(renames.movedAway == [Self.bytes("a"), Self.bytes("b")])
    }

    @Test func aBatchIsEmptyUntilSomethingIsGatheredAndNamesAreMarkedOnce() {
        var batch = IndexerBatch()
        #expect(batch.isEmpty)
        let key = IndexerBatch.EntryKey(watch: 1, name: Self.bytes("f"))
        batch.markDirty(key)
        batch.markDirty(IndexerBatch.EntryKey(watch: 2, name: Self.bytes("f")))
        batch.markDirty(key)
        #expect(batch.dirty == [key, IndexerBatch.EntryKey(watch: 2, name: Self.bytes("f"))])
        #expect(!batch.isEmpty)
        batch = IndexerBatch()
        batch.needsFullReconcile = true
        #expect(batch.isEmpty, "a full reconcile is not part of what a batch applies")
    }
}
