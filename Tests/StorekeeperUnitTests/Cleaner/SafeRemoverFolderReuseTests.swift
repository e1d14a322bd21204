import Foundation
import Glibc
import TestSupport
import Testing

@testable import StorekeeperConfig
@testable import StorekeeperEngine
@testable import StorekeeperIndex
@testable import StorekeeperSystem

/// The remover keeps the folders of one file open for the next file of the
/// same folder. Each case removes a first file (so its folders are kept),
/// changes the tree, then asks for a second file of the same folder: the
/// change must be caught exactly as a fresh walk from the base would catch it,
/// and nothing outside the tree is touched.
@Suite struct SafeRemoverFolderReuseTests {
    let fixture: TrashFixture

    init() throws {
        fixture = try TrashFixture()
    }

    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    func remover() throws -> SafeRemover {
        try SafeRemover(
            basePath: fixture.base, trash: nil, dryRun: false, excludes: [], policies: CategoryPolicy.builtIns)
    }

    func row(_ path: String) -> IndexedFile {
        var status = stat()
        _ = lstat(fixture.base + "/" + path, &status)
        return IndexedFile(path: Self.bytes(path), category: "temp", status: FileStatus(status))
    }

    func remove(_ row: IndexedFile, with remover: SafeRemover) -> SafeRemover.Outcome {
        remover.remove(row, deletedAt: fixture.clock) { _ in true }
    }

    func exists(_ path: String) -> Bool { fixture.exists(Self.bytes(path)) }

    /// Removes `temp/job/first.tmp` with `remover` and returns the row of
    /// `temp/job/second.tmp`, taken before any change.
    func removeFirst(with remover: SafeRemover) throws -> IndexedFile {
        fixture.writeFile("temp/job/first.tmp", size: 3)
        fixture.writeFile("temp/job/second.tmp", size: 4)
        let second = row("temp/job/second.tmp")
        let first = remove(row("temp/job/first.tmp"), with: remover)
        guard case .removed = first else {
            throw TestFailure("the first file was not removed: \(first)")
        }
        return second
    }

    struct TestFailure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    @Test func theNextFileOfAKeptFolderIsRemoved() throws {
        let remover = try remover()
        let second = try removeFirst(with: remover)
        fixture.writeFile("temp/other/third.tmp", size: 5)
        let third = row("temp/other/third.tmp")
        guard case .removed = remove(second, with: remover), case .removed = remove(third, with: remover) else {
            Issue.record("a file of a kept folder, or of its sibling, was not removed")
            return
        }
        #expect(!exists(fixture.base + "/temp/job/second.tmp") && !exists(fixture.base + "/temp/other/third.tmp"))
    }

    /// The folder, or the one above it, moved out of the tree between two
    /// files: its file is not reached through the kept descriptor.
    @Test(arguments: ["temp/job", "temp"])
    func aFolderRenamedAwayBetweenTwoFilesIsNotFollowed(_ folder: String) throws {
        let remover = try remover()
        let second = try removeFirst(with: remover)
        let away = fixture.directory.path("away")
        #expect(rename(fixture.base + "/" + folder, away) == 0)
        let moved = away + (folder == "temp" ? "/job/second.tmp" : "/second.tmp")

        let outcome = remove(second, with: remover)
        guard case .skipped(.vanished, nil) = outcome else {
            Issue.record("not skipped as vanished: \(outcome)")
            return
        }
        #expect(exists(moved), "the file moved out of the tree was removed")
    }

    /// The folder, or the one above it, swapped for a symlink to where it
    /// went: the file is found through the link by nothing.
    @Test(arguments: ["temp/job", "temp"])
    func aFolderSwappedForASymlinkBetweenTwoFilesIsNotFollowed(_ folder: String) throws {
        let remover = try remover()
        let second = try removeFirst(with: remover)
        let away = fixture.directory.path("away")
        #expect(rename(fixture.base + "/" + folder, away) == 0)
        #expect(symlink(away, fixture.base + "/" + folder) == 0)
        let moved = away + (folder == "temp" ? "/job/second.tmp" : "/second.tmp")

        let outcome = remove(second, with: remover)
        guard case .skipped(.parentReplaced, nil) = outcome else {
            Issue.record("not skipped as parent_replaced: \(outcome)")
            return
        }
        #expect(exists(moved), "the file behind the symlink was removed")
    }

    /// Swapped for another real folder holding a file of the same name: the
    /// new folder is opened afresh, and its file, another inode, is skipped.
    @Test func aFolderReplacedByAnotherBetweenTwoFilesIsOpenedAgain() throws {
        let remover = try remover()
        let second = try removeFirst(with: remover)
        #expect(rename(fixture.base + "/temp/job", fixture.directory.path("away")) == 0)
        fixture.writeFile("temp/job/second.tmp", size: 4)

        let outcome = remove(second, with: remover)
        guard case .skipped(.replacedInode, _) = outcome else {
            Issue.record("not skipped as replaced_inode: \(outcome)")
            return
        }
        #expect(exists(fixture.base + "/temp/job/second.tmp"))
        #expect(exists(fixture.directory.path("away") + "/second.tmp"))
    }

    /// A bind mount of the folder onto itself keeps device and inode; only
    /// the mount id tells, and it is looked at before the kept folder is used.
    @Test(.enabled(if: geteuid() == 0, "bind mounts need root"), arguments: ["temp/job", "temp"])
    func aMountPlacedOnAFolderBetweenTwoFilesIsNotCrossed(_ folder: String) throws {
        let remover = try remover()
        let second = try removeFirst(with: remover)
        let target = fixture.base + "/" + folder
        defer { _ = try? Shell.run(["umount", "-l", target]) }
        let mount = try Shell.run(["mount", "--bind", target, target])
        try #require(mount.status == 0, "\(mount.stderr)")

        let outcome = remove(second, with: remover)
        guard case .skipped(.otherFilesystem, nil) = outcome else {
            Issue.record("not skipped as other_filesystem: \(outcome)")
            return
        }
        #expect(exists(fixture.base + "/temp/job/second.tmp"))
    }

    /// A folder that cannot be searched any more is a failure, as a fresh
    /// walk would find it, not a removal through the kept descriptor.
    @Test(.enabled(if: geteuid() != 0, "root searches any folder"))
    func aFolderClosedToSearchBetweenTwoFilesIsAFailure() throws {
        let remover = try remover()
        let second = try removeFirst(with: remover)
        #expect(chmod(fixture.base + "/temp", 0o600) == 0)
        defer { _ = chmod(fixture.base + "/temp", 0o755) }

        let outcome = remove(second, with: remover)
        guard case .failed = outcome else {
            Issue.record("not a failure: \(outcome)")
            return
        }
        _ = chmod(fixture.base + "/temp", 0o755)
        #expect(exists(fixture.base + "/temp/job/second.tmp"))
    }
}
