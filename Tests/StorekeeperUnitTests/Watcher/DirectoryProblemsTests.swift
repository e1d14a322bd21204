import Testing

@testable import StorekeeperEngine
@testable import StorekeeperSystem

/// What the watcher could not watch or read, as walks, deletions and renames
/// change the tree.
@Suite struct DirectoryProblemsTests {
    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }
    static let denied = SystemCallError(call: "openat", errno: 13)

    @Test func aWalkReplacesWhatItsSubtreeHeld() {
        var problems = DirectoryProblems()
        problems.walkStarted()
        problems.watchFailed(Self.bytes("a/x"))
        problems.watchFailed(Self.bytes("b/y"))
        _ = problems.settle(walked: [], unreadableFound: [])
        #expect(problems.unwatched == [Self.bytes("a/x"), Self.bytes("b/y")])
        // A later walk of a/ finds a/x watched (or gone): b/y, outside it, still counts.
        problems.walkStarted()
        _ = problems.settle(walked: Self.bytes("a"), unreadableFound: [])
        #expect(problems.unwatched == [Self.bytes("b/y")])
    }

    @Test func aWalkSaysWhatBecameUnreadableAndWhatIsReadableAgain() {
        var problems = DirectoryProblems()
        let first = problems.settle(walked: [], unreadableFound: [(Self.bytes("locked"), Self.denied)])
        #expect(first.newlyUnreadable.map(\.directory) == [Self.bytes("locked")])
        let again = problems.settle(walked: [], unreadableFound: [(Self.bytes("locked"), Self.denied)])
        #expect(again.newlyUnreadable.isEmpty, "said once")
        #expect(problems.unreadable == [Self.bytes("locked")])
        let opened = problems.settle(walked: [], unreadableFound: [])
        #expect(opened.readableAgain == [Self.bytes("locked")])
        #expect(problems.isEmpty)
    }

    @Test func aDeletedFolderTakesItsProblemsWithIt() {
        var problems = DirectoryProblems()
        problems.watchFailed(Self.bytes("a/b"))
        problems.watchFailed(Self.bytes("ab"))
        _ = problems.settle(walked: Self.bytes("z"), unreadableFound: [(Self.bytes("a/c"), Self.denied)])
        problems.forget(under: Self.bytes("a"))
        #expect(problems.unwatched == [Self.bytes("ab")], "a sibling whose name starts alike is not inside")
        #expect(problems.unreadable.isEmpty)
    }

    @Test func aRenamedFolderKeepsItsProblemsUnderItsNewPath() {
        var problems = DirectoryProblems()
        problems.watchFailed(Self.bytes("old/deep/er"))
        problems.watchFailed(Self.bytes("other"))
        _ = problems.settle(walked: Self.bytes("z"), unreadableFound: [(Self.bytes("old"), Self.denied)])
        problems.move(from: Self.bytes("old"), to: Self.bytes("new/place"))
        #expect(problems.unwatched == [Self.bytes("new/place/deep/er"), Self.bytes("other")])
        #expect(problems.unreadable == [Self.bytes("new/place")])
    }

    @Test func theRootsToReconcileAreParentsOnly() {
        var problems = DirectoryProblems()
        for path in ["b/c", "a", "a/x", "b/c/d", "b/e"] { problems.watchFailed(Self.bytes(path)) }
        #expect(problems.reconcileRoots == [Self.bytes("a"), Self.bytes("b/c"), Self.bytes("b/e")])
        problems.watchFailed([])
        #expect(problems.reconcileRoots == [[]], "the base covers everything")
    }
}
