import Foundation
import Glibc
import Testing

@testable import StorekeeperEngine
@testable import StorekeeperIndex
@testable import StorekeeperSystem

/// The trash when the disk refuses: a rename, an info file's write, an
/// unlink during a purge. The failures come from a `FaultPlan`, so no root,
/// full disk or immutable file is needed. Whatever fails, no file is lost:
/// it stays where it was, or stays in the trash and listed.
@Suite struct TrashFaultTests {
    let fixture: TrashFixture
    var trash: Trash { fixture.trash }

    init() throws {
        fixture = try TrashFixture()
    }

    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    func put(_ path: String) throws -> TrashedItem {
        try trash.put(path: Self.bytes(path), category: "temp", deletedAt: fixture.clock)
    }

    /// Nothing of a failed put is left: no info file, no file in the trash,
    /// no row, and the file at its place with its bytes.
    func expectUntouched(_ path: String, size: Int, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(fixture.read(fixture.absolute(Self.bytes(path)))?.count == size, sourceLocation: sourceLocation)
        #expect(fixture.names(in: fixture.trashInfo).isEmpty, sourceLocation: sourceLocation)
        #expect(fixture.names(in: fixture.trashFiles).isEmpty, sourceLocation: sourceLocation)
        #expect(try fixture.rows().isEmpty && trash.usage() == (0, 0), sourceLocation: sourceLocation)
    }

    // MARK: Put

    @Test(arguments: [EIO, EROFS, EPERM, ENOSPC])
    func aRenameIntoTheTrashThatFailsLeavesTheFileAndNoInfo(_ errno: Int32) throws {
        fixture.writeFile("temp/a.tmp", size: 7)
        let plan = FaultPlan()
        plan.fail("renameat2", name: "a.tmp", with: errno)

        let error = plan.activate { #expect(throws: TrashError.self) { try put("temp/a.tmp") } }
        #expect(error?.kind == .system && error?.underlying?.errno == errno)
        #expect(error?.path == Self.bytes("temp/a.tmp"))
        #expect(plan.injected.count == 1)
        try expectUntouched("temp/a.tmp", size: 7)
    }

    @Test func aRenameThatSaysAnotherFilesystemIsRefusedNotCopied() throws {
        fixture.writeFile("uploads/a.mov", size: 9)
        let plan = FaultPlan()
        plan.fail("renameat2", name: "a.mov", with: EXDEV)

        let error = plan.activate { #expect(throws: TrashError.self) { try put("uploads/a.mov") } }
        #expect(error?.kind == .otherFilesystem && error?.description.contains("never copies") == true)
        try expectUntouched("uploads/a.mov", size: 9)
    }

    /// A full disk when the info file is written (or created): the file is
    /// not moved, and the half-written info file is gone.
    @Test(arguments: ["write", "openat"])
    func anInfoFileThatCannotBeWrittenLeavesTheFileWhereItWas(_ call: String) throws {
        fixture.writeFile("temp/job/a.tmp", size: 12)
        let plan = FaultPlan()
        plan.fail(call, name: "a.tmp.trashinfo", with: ENOSPC)

        let error = plan.activate { #expect(throws: SystemCallError.self) { try put("temp/job/a.tmp") } }
        #expect(error?.errno == ENOSPC && error?.call == call)
        try expectUntouched("temp/job/a.tmp", size: 12)

        // Room again: the same file goes in under its own name.
        #expect(try put("temp/job/a.tmp").trashName == Self.bytes("a.tmp"))
    }

    // MARK: Restore

    @Test func aRestoreWhoseRenameFailsKeepsTheItemInTheTrash() throws {
        fixture.writeFile("temp/a.tmp", size: 5)
        let item = try put("temp/a.tmp")
        let plan = FaultPlan()
        plan.fail("renameat2", name: "a.tmp", with: EIO)

        let error = plan.activate {
            #expect(throws: TrashError.self) { try trash.restore(originalPath: Self.bytes("temp/a.tmp")) }
        }
        #expect(error?.kind == .system && error?.underlying?.errno == EIO)
        #expect(!fixture.exists(fixture.absolute(Self.bytes("temp/a.tmp"))))
        #expect(try trash.list() == [item] && fixture.rows() == [item.trashName: item])
        #expect(try fixture.events().allSatisfy { $0.action != "restore" })
    }

    // MARK: Purge

    /// An unlink refused during a purge: the entry is reported, stays in the
    /// trash with its row, an error event says why, and the rest goes.
    @Test(arguments: [EPERM, EIO, EROFS, EBUSY])
    func aPurgeWhoseUnlinkFailsKeepsTheEntryAndGoesOn(_ errno: Int32) throws {
        fixture.writeFile("temp/stuck.tmp", size: 3)
        fixture.writeFile("temp/b.tmp", size: 4)
        let stuck = try put("temp/stuck.tmp")
        _ = try put("temp/b.tmp")
        let plan = FaultPlan()
        plan.fail("unlinkat", name: "stuck.tmp", with: errno)

        let purge = try plan.activate { try trash.empty(olderThan: nil, now: fixture.clock) }
        #expect(purge.files == 1 && purge.bytes == 4)
        #expect(purge.failures == ["stuck.tmp: unlinkat stuck.tmp: \(String(cString: strerror(errno)))"])
        #expect(try trash.list() == [stuck] && fixture.rows() == [stuck.trashName: stuck])
        #expect(fixture.read(fixture.trashFiles + Self.bytes("/stuck.tmp"))?.count == 3)
        let events = try fixture.events()
        #expect(events.last?.action == "error" && events.last?.newPath == stuck.trashName)
        #expect(events.filter { $0.action == "delete" }.map(\.newPath) == [Self.bytes("b.tmp")])
    }

    /// The file went but its info file would not: reported, and the info
    /// file left is an entry without its file, which the next purge clears.
    @Test func aPurgeWhoseInfoFileStaysReportsItAndClearsItNextTime() throws {
        fixture.writeFile("temp/a.tmp", size: 3)
        _ = try put("temp/a.tmp")
        let plan = FaultPlan()
        plan.fail("unlinkat", name: "a.tmp.trashinfo", with: EIO)

        let purge = try plan.activate { try trash.empty(olderThan: nil, now: fixture.clock) }
        #expect(purge.files == 0 && purge.failures.count == 1)
        #expect(purge.failures.first?.hasSuffix(String(cString: strerror(EIO))) == true)
        #expect(try trash.list().map(\.problem) == [.missingFile])
        #expect(try fixture.rows().isEmpty)

        #expect(try trash.empty(olderThan: nil, now: fixture.clock).files == 1)
        #expect(fixture.names(in: fixture.trashInfo).isEmpty && fixture.names(in: fixture.trashFiles).isEmpty)
    }
}
