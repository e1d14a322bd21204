import Foundation
import Glibc
import Testing

@testable import StorekeeperConfig
@testable import StorekeeperEngine
@testable import StorekeeperIndex
@testable import StorekeeperSystem

/// The remover's checks, one refusal at a time, and what it does when the
/// world refuses the removal itself. No root needed: the failures the disk
/// would give (EIO, EROFS, EPERM, EBUSY) come from a `FaultPlan`.
@Suite struct SafeRemoverTests {
    let fixture: TrashFixture

    /// The built-in categories and one kept forever that is never evicted.
    static let policies =
        CategoryPolicy.builtIns + [
            CategoryPolicy(
                key: "archive", directories: ["archive"], retentionSeconds: nil, quotaBytes: nil, onQuota: .alert)
        ]

    init() throws {
        fixture = try TrashFixture()
    }

    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    func remover(toTrash: Bool = false, excludes: [String] = []) throws -> SafeRemover {
        try SafeRemover(
            basePath: fixture.base, trash: toTrash ? fixture.trash : nil, dryRun: false, excludes: excludes,
            policies: Self.policies)
    }

    /// The row the index would hold for `path` as it is on disk now.
    func row(_ path: String, category: String? = nil) -> IndexedFile {
        var status = stat()
        _ = lstat(fixture.base + "/" + path, &status)
        let category = category ?? Categorizer(policies: Self.policies).category(of: Self.bytes(path))
        return IndexedFile(path: Self.bytes(path), category: category, status: FileStatus(status))
    }

    func remove(_ row: IndexedFile, with remover: SafeRemover, enteredAt: Int64? = nil) -> SafeRemover.Outcome {
        remover.remove(row, deletedAt: fixture.clock, enteredAt: enteredAt) { _ in true }
    }

    func exists(_ path: String) -> Bool { fixture.exists(fixture.absolute(Self.bytes(path))) }

    // MARK: What the remover removes

    @Test func aFileThatIsWhatItsRowSaysIsRemoved() throws {
        fixture.writeFile("temp/job/a.tmp", size: 5000)
        let row = row("temp/job/a.tmp")
        let outcome = remove(row, with: try remover())
        guard case .removed(let trashName, let freed) = outcome else {
            Issue.record("not removed: \(outcome)")
            return
        }
        #expect(trashName == nil && freed == row.allocated && freed > 0)
        #expect(!exists("temp/job/a.tmp") && exists("temp/job"))
    }

    @Test func intoTheTrashTheRemovalNamesTheTrashedItem() throws {
        fixture.writeFile("frames/f.jpg", size: 30)
        let outcome = remove(row("frames/f.jpg"), with: try remover(toTrash: true))
        guard case .removed(let trashName, _) = outcome else {
            Issue.record("not removed: \(outcome)")
            return
        }
        #expect(trashName == Self.bytes("f.jpg"))
        #expect(fixture.read(fixture.trashFiles + Self.bytes("/f.jpg"))?.count == 30)
        #expect(try fixture.rows().keys.contains(Self.bytes("f.jpg")))
    }

    // MARK: What it leaves alone

    enum Change: String, CaseIterable {
        case size, mtime, inode, ctime, symlink, directory
    }

    /// Each change of the file since its row was written is a skip that says
    /// which, and the file stays.
    @Test(arguments: Change.allCases)
    func aFileChangedSinceItsRowIsSkippedWithTheReason(_ change: Change) throws {
        let path = "temp/changed.tmp"
        fixture.writeFile(path, size: 10)
        // Before now, so a change made now is later than the row and the mtime.
        let past = Int64(time(nil)) - 1000
        fixture.setMtime(fixture.absolute(Self.bytes(path)), past)
        let row = row(path)
        var enteredAt: Int64?
        let expected: SkipReason
        switch change {
        case .size:
            fixture.writeFile(path, size: 11)
            fixture.setMtime(fixture.absolute(Self.bytes(path)), past)
            expected = .changedSize
        case .mtime:
            fixture.setMtime(fixture.absolute(Self.bytes(path)), past + 1)
            expected = .changedMtime
        case .inode:
            // Same size and mtime under a new inode, created before the old one goes.
            fixture.writeFile("temp/other.tmp", size: 10)
            fixture.setMtime(fixture.absolute(Self.bytes("temp/other.tmp")), past)
            #expect(rename(fixture.base + "/temp/other.tmp", fixture.base + "/" + path) == 0)
            expected = .replacedInode
        case .ctime:
            // Rewritten and the mtime set back: only the ctime, later than the
            // row and the mtime, tells.
            enteredAt = past + 10
            expected = .changedCtime
        case .symlink:
            #expect(unlink(fixture.base + "/" + path) == 0)
            #expect(symlink("/etc/passwd", fixture.base + "/" + path) == 0)
            expected = .nowSymlink
        case .directory:
            #expect(unlink(fixture.base + "/" + path) == 0)
            #expect(mkdir(fixture.base + "/" + path, 0o755) == 0)
            expected = .nowDirectory
        }

        let outcome = remove(row, with: try remover(), enteredAt: enteredAt)
        guard case .skipped(let reason, let onDisk) = outcome else {
            Issue.record("not skipped: \(outcome)")
            return
        }
        #expect(reason == expected && onDisk != nil)
        #expect(exists(path))
    }

    @Test func aSymlinkOnTheWayIsNeverFollowed() throws {
        let outside = fixture.directory.path("outside")
        fixture.writeAbsolute(Self.bytes(outside + "/a.tmp"), bytes: Self.bytes("precious"))
        fixture.makeDirectories(fixture.absolute(Self.bytes("temp")))
        #expect(symlink(outside, fixture.base + "/temp/job") == 0)
        // The row a walk through the link would have made.
        var status = stat()
        #expect(lstat(outside + "/a.tmp", &status) == 0)
        let row = IndexedFile(path: Self.bytes("temp/job/a.tmp"), category: "temp", status: FileStatus(status))

        let outcome = remove(row, with: try remover())
        guard case .skipped(.parentReplaced, nil) = outcome else {
            Issue.record("not skipped as parent_replaced: \(outcome)")
            return
        }
        #expect(fixture.read(Self.bytes(outside + "/a.tmp")) == Self.bytes("precious"))
    }

    @Test(arguments: ["../outside.tmp", "/etc/passwd", "temp/../../outside.tmp", "temp//a.tmp", "temp/./a.tmp", ""])
    func aPathThatLeavesTheBaseIsRefused(_ path: String) throws {
        fixture.writeAbsolute(Self.bytes(fixture.directory.path("outside.tmp")), bytes: Self.bytes("precious"))
        fixture.writeFile("temp/a.tmp")
        let outcome = remove(
            IndexedFile(
                path: Self.bytes(path), category: "temp", kind: .file, size: 8, mtime: 0, mtimeNanoseconds: 0, inode: 1,
                pathDate: nil),
            with: try remover())
        guard case .skipped(.invalidPath, nil) = outcome else {
            Issue.record("not refused as invalid_path: \(outcome)")
            return
        }
        #expect(fixture.read(Self.bytes(fixture.directory.path("outside.tmp"))) == Self.bytes("precious"))
        #expect(exists("temp/a.tmp"))
    }

    @Test func anExcludedPathIsSkipped() throws {
        fixture.writeFile("temp/keep/a.tmp")
        fixture.writeFile("temp/b.precious")
        let remover = try remover(excludes: ["temp/keep/", "*.precious"])
        for path in ["temp/keep/a.tmp", "temp/b.precious"] {
            let outcome = remove(row(path), with: remover)
            guard case .skipped(.excluded, nil) = outcome else {
                Issue.record("\(path) not skipped as excluded: \(outcome)")
                continue
            }
            #expect(exists(path))
        }
    }

    /// `outputs`, a category kept forever and never evicted, a row that says
    /// `outputs` whatever its path, and a folder's `.gitkeep`: never removed.
    @Test func protectedFilesAreRefusedWhateverTheRowSays() throws {
        let cases: [(path: String, category: String?, reason: SkipReason)] = [
            ("outputs/final.mov", nil, .protectedCategory),
            ("archive/2020/tape.tar", nil, .protectedCategory),
            ("temp/job/.gitkeep", nil, .protectedCategory),
            ("temp/job/claimed.tmp", "outputs", .protectedCategory),
            ("outputs/mislabelled.mov", "temp", .protectedCategory),
            ("uploads/mislabelled.mov", "temp", .categoryMismatch),
        ]
        let remover = try remover()
        for (path, category, reason) in cases {
            fixture.writeFile(path)
            let outcome = remove(row(path, category: category), with: remover)
            guard case .skipped(let skipped, nil) = outcome, skipped == reason else {
                Issue.record("\(path) not skipped as \(reason): \(outcome)")
                continue
            }
            #expect(exists(path), "\(path)")
        }
    }

    // MARK: When the world says no

    /// The unlink fails: reported as a failure naming the path and the
    /// error, the file stays, and the next file is removed as usual.
    @Test(arguments: [EIO, EROFS, EPERM, EBUSY])
    func anUnlinkThatFailsIsReportedAndNothingElseChanges(_ errno: Int32) throws {
        fixture.writeFile("temp/stuck.tmp", size: 3)
        fixture.writeFile("temp/next.tmp", size: 4)
        let remover = try remover()
        let plan = FaultPlan()
        plan.fail("unlinkat", name: "stuck.tmp", with: errno)

        let (stuck, next) = plan.activate {
            (remove(row("temp/stuck.tmp"), with: remover), remove(row("temp/next.tmp"), with: remover))
        }
        guard case .failed(let message) = stuck else {
            Issue.record("not a failure: \(stuck)")
            return
        }
        #expect(message == "unlinkat temp/stuck.tmp: \(String(cString: strerror(errno)))")
        guard case .removed = next else {
            Issue.record("the next file was not removed: \(next)")
            return
        }
        #expect(plan.injected.count == 1)
        #expect(fixture.read(fixture.absolute(Self.bytes("temp/stuck.tmp")))?.count == 3)
        #expect(!exists("temp/next.tmp"))
    }

    /// The move into the trash fails: a failure, the file where it was, and
    /// nothing of it in the trash or its table.
    @Test(arguments: [EIO, EROFS, EPERM])
    func aTrashingThatFailsLeavesTheFileWhereItWas(_ errno: Int32) throws {
        fixture.writeFile("temp/a.tmp", size: 6)
        let remover = try remover(toTrash: true)
        let plan = FaultPlan()
        plan.fail("renameat2", name: "a.tmp", with: errno)

        let outcome = plan.activate { remove(row("temp/a.tmp"), with: remover) }
        guard case .failed(let message) = outcome else {
            Issue.record("not a failure: \(outcome)")
            return
        }
        #expect(message.contains(String(cString: strerror(errno))))
        #expect(fixture.read(fixture.absolute(Self.bytes("temp/a.tmp")))?.count == 6)
        #expect(fixture.names(in: fixture.trashFiles).isEmpty && fixture.names(in: fixture.trashInfo).isEmpty)
        #expect(try fixture.rows().isEmpty)
    }

    @Test func aFolderOnTheWayThatCannotBeOpenedIsAFailureNotASkip() throws {
        fixture.writeFile("temp/job/a.tmp")
        let remover = try remover()
        let plan = FaultPlan()
        plan.fail("openat", name: "job", with: EIO)
        let outcome = plan.activate { remove(row("temp/job/a.tmp"), with: remover) }
        guard case .failed(let message) = outcome else {
            Issue.record("not a failure: \(outcome)")
            return
        }
        #expect(message.contains(String(cString: strerror(EIO))))
        #expect(exists("temp/job/a.tmp"))
    }
}
