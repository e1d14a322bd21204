import Foundation
import Glibc
import TestSupport
import Testing

@testable import StorekeeperEngine
@testable import StorekeeperIndex
@testable import StorekeeperSystem

/// The trash on disk and in the index: put, list, restore, empty.
@Suite struct TrashTests {
    let fixture: TrashFixture
    var trash: Trash { fixture.trash }

    init() throws {
        fixture = try TrashFixture()
    }

    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    // MARK: Put

    @Test func putWritesTheInfoAndMovesTheFileIntoAPrivateTrash() throws {
        fixture.writeFile("uploads/2026-11-01/clip one.mp4", size: 1234)
        let item = try trash.put(
            path: Self.bytes("uploads/2026-11-01/clip one.mp4"), category: "uploads", deletedAt: fixture.clock)

        #expect(
            item
                == TrashedItem(
                    trashName: Self.bytes("clip one.mp4"), originalPath: Self.bytes("uploads/2026-11-01/clip one.mp4"),
                    deletedAt: fixture.clock, size: 1234, category: "uploads"))
        #expect(!fixture.exists(fixture.absolute(Self.bytes("uploads/2026-11-01/clip one.mp4"))))
        #expect(fixture.read(fixture.trashFiles + Self.bytes("/clip one.mp4"))?.count == 1234)
        let info = try #require(fixture.read(fixture.infoFile(item.trashName)))
        #expect(
            String(decoding: info, as: UTF8.self)
                == "[Trash Info]\nPath=\(fixture.base)/uploads/2026-11-01/clip%20one.mp4\n"
                + "DeletionDate=\(DeletionDate(localTimeOf: fixture.clock))\n")
        #expect(fixture.mode(Array((fixture.base + "/.trash").utf8)) == 0o700)
        #expect(fixture.mode(fixture.trashFiles) == 0o700 && fixture.mode(fixture.trashInfo) == 0o700)
        #expect(fixture.mode(fixture.infoFile(item.trashName)) == 0o600)
        #expect(try fixture.rows() == [item.trashName: item])
        #expect(try trash.usage() == (1, 1234))
        #expect(try trash.list() == [item])
    }

    @Test func collisionsTakeSuffixesLikeTrashCliAndNeverReplaceAnOrphan() throws {
        // An orphan in files/ without info must not be overwritten by the rename.
        fixture.writeAbsolute(fixture.trashFiles + Self.bytes("/orphan.jpg"), bytes: Self.bytes("old"))
        var names: [[UInt8]] = []
        for folder in ["a", "b", "c"] {
            fixture.writeFile("frames/\(folder)/frame_0001.jpg")
            names.append(
                try trash.put(path: Self.bytes("frames/\(folder)/frame_0001.jpg"), category: "frames", deletedAt: 1)
                    .trashName)
        }
        fixture.writeFile("frames/a/orphan.jpg", size: 5)
        names.append(try trash.put(path: Self.bytes("frames/a/orphan.jpg"), category: "frames", deletedAt: 1).trashName)
        // A new Trash (the next run) starts probing again and still finds a free name.
        try fixture.reopen()
        fixture.writeFile("frames/d/frame_0001.jpg")
        names.append(
            try trash.put(path: Self.bytes("frames/d/frame_0001.jpg"), category: "frames", deletedAt: 1).trashName)

        #expect(
            names.map { String(decoding: $0, as: UTF8.self) }
                == ["frame_0001.jpg", "frame_0001.jpg_1", "frame_0001.jpg_2", "orphan.jpg_1", "frame_0001.jpg_3"])
        #expect(fixture.read(fixture.trashFiles + Self.bytes("/orphan.jpg")) == Self.bytes("old"))
        #expect(try fixture.rows().count == 5 && fixture.usageIsExact())
    }

    @Test func longAndOddNamesFitNameMaxAndKeepTheirBytes() throws {
        // 255 bytes of two-byte characters and one ASCII byte: the trash name
        // must leave room for ".trashinfo" and not cut a character in half.
        let long = Array(String(repeating: "é", count: 127).utf8) + [0x61]
        let odd: [UInt8] = Self.bytes("new\nline ") + [0xFF, 0xFE] + Self.bytes(" %20")
        var items: [TrashedItem] = []
        for (index, name) in [long, long, odd].enumerated() {
            let path = Self.bytes("temp/job_\(index)/") + name
            fixture.writeFile(path)
            items.append(try trash.put(path: path, category: "temp", deletedAt: Int64(index)))
        }
        for item in items {
            #expect(item.trashName.count + ".trashinfo".utf8.count <= 255)
            #expect(fixture.exists(fixture.infoFile(item.trashName)))
        }
        #expect(String(validating: items[0].trashName, as: UTF8.self) != nil)
        #expect(items[0].trashName.count == 244)
        #expect(items[1].trashName.suffix(2) == Self.bytes("_1")[...])
        #expect(items[2].trashName == odd)
        #expect(try trash.list().map(\.originalPath) == items.map(\.originalPath))
    }

    /// A rename that fails (here: an immutable files/) leaves nothing behind:
    /// no info file, no row, the file where it was.
    @Test(.enabled(if: geteuid() == 0, "chattr +i needs root"))
    func aFailedRenameRemovesTheInfoAndLeavesTheFile() throws {
        fixture.writeFile("temp/a.tmp", size: 7)
        let chattr = try Shell.run(["chattr", "+i", String(decoding: fixture.trashFiles, as: UTF8.self)])
        try #require(chattr.status == 0, "chattr +i needs ext4, xfs or btrfs: \(chattr.stderr)")
        defer { _ = try? Shell.run(["chattr", "-i", String(decoding: fixture.trashFiles, as: UTF8.self)]) }

        let error = #expect(throws: TrashError.self) {
            try trash.put(path: Self.bytes("temp/a.tmp"), category: "temp", deletedAt: 1)
        }
        #expect(error?.kind == .system && error?.underlying?.errno == EPERM)
        #expect(fixture.names(in: fixture.trashInfo).isEmpty)
        #expect(fixture.read(fixture.absolute(Self.bytes("temp/a.tmp")))?.count == 7)
        #expect(try fixture.rows().isEmpty && trash.usage() == (0, 0))
    }

    /// A bind mount makes rename say EXDEV even on one filesystem (send2trash
    /// #26): refused with a clear error, nothing copied, nothing left behind.
    @Test(.enabled(if: Mounts.permitted, "needs permission to mount"))
    func anotherMountIsRefusedNotCopied() throws {
        fixture.writeFile("uploads/real/a.mov", size: 9)
        fixture.makeDirectories(fixture.absolute(Self.bytes("uploads/bound")))
        let bound = fixture.base + "/uploads/bound"
        try Mounts.mount(["--bind", fixture.base + "/uploads/real", bound])
        defer { Mounts.unmount(bound) }

        let error = #expect(throws: TrashError.self) {
            try trash.put(path: Self.bytes("uploads/bound/a.mov"), category: "uploads", deletedAt: 1)
        }
        #expect(error?.kind == .otherFilesystem && error?.underlying?.errno == EXDEV)
        #expect(error?.description.contains("never copies") == true)
        #expect(fixture.names(in: fixture.trashInfo).isEmpty && fixture.names(in: fixture.trashFiles).isEmpty)
        #expect(fixture.read(fixture.absolute(Self.bytes("uploads/real/a.mov")))?.count == 9)
    }

    @Test(.enabled(if: Mounts.permitted, "needs permission to mount"))
    func aTrashOnAnotherFilesystemIsRefused() throws {
        let trashPath = fixture.base + "/.trash"
        try Mounts.mount(["-t", "tmpfs", "tmpfs", trashPath])
        defer { Mounts.unmount(trashPath) }
        let error = #expect(throws: TrashError.self) { try fixture.reopen() }
        #expect(error?.kind == .otherFilesystem && error?.path == Array(trashPath.utf8))
    }

    @Test func aSymlinkedTrashIsRefused() throws {
        let trashPath = fixture.base + "/.trash"
        _ = try Shell.run(["rm", "-rf", trashPath])
        #expect(symlink(fixture.directory.path, trashPath) == 0)
        let error = #expect(throws: TrashError.self) { try fixture.reopen() }
        #expect(error?.kind == .notADirectory)
    }

    // MARK: Restore

    @Test func restoreRefusesToOverwriteWhatIsThereNow() throws {
        fixture.writeFile("outputs/final.mov", size: 5)
        let item = try trash.put(path: Self.bytes("outputs/final.mov"), category: "outputs", deletedAt: 1)
        fixture.writeFile("outputs/final.mov", size: 3, fill: 0x62)

        let error = #expect(throws: TrashError.self) {
            try trash.restore(originalPath: Self.bytes("outputs/final.mov"))
        }
        #expect(error?.kind == .occupied)
        #expect(fixture.read(fixture.absolute(Self.bytes("outputs/final.mov"))) == Self.bytes("bbb"))
        #expect(try trash.list() == [item])
    }

    @Test func restoreRecreatesMissingFoldersAndLogsIt() throws {
        fixture.writeFile("uploads/2026-11-01/job/a.jpg", size: 4)
        let item = try trash.put(path: Self.bytes("uploads/2026-11-01/job/a.jpg"), category: "uploads", deletedAt: 1)
        _ = try Shell.run(["rm", "-rf", fixture.base + "/uploads"])
        let old = umask(0o077)
        defer { umask(old) }

        #expect(try trash.restore(originalPath: Self.bytes("/uploads//2026-11-01/job/a.jpg/")) == item)
        #expect(fixture.read(fixture.absolute(Self.bytes("uploads/2026-11-01/job/a.jpg")))?.count == 4)
        for folder in ["uploads", "uploads/2026-11-01", "uploads/2026-11-01/job"] {
            #expect(fixture.mode(fixture.absolute(Self.bytes(folder))) == 0o755, "\(folder)")
        }
        #expect(fixture.names(in: fixture.trashInfo).isEmpty && fixture.names(in: fixture.trashFiles).isEmpty)
        #expect(try fixture.rows().isEmpty && trash.usage() == (0, 0))
        let events = try fixture.events()
        #expect(events.count == 1 && events[0].action == "restore" && events[0].cause == "manual")
        #expect(events.first?.path == item.originalPath && events.first?.newPath == item.trashName)
    }

    @Test func restoreNeverFollowsASymlinkOnTheWay() throws {
        fixture.writeFile("temp/job/a.tmp")
        _ = try trash.put(path: Self.bytes("temp/job/a.tmp"), category: "temp", deletedAt: 1)
        let outside = fixture.directory.path("outside")
        try FileSystemPaths.makeDirectories(outside)
        _ = try Shell.run(["rm", "-rf", fixture.base + "/temp/job"])
        #expect(symlink(outside, fixture.base + "/temp/job") == 0)

        let error = #expect(throws: TrashError.self) { try trash.restore(originalPath: Self.bytes("temp/job/a.tmp")) }
        #expect(error?.kind == .blockedParent)
        #expect(fixture.names(in: Array(outside.utf8)).isEmpty)
        #expect(try trash.list().count == 1)
    }

    @Test func restoreTakesTheNewestOfSeveralAndRefusesTheUnknown() throws {
        for (fill, time) in [(UInt8(0x31), Int64(100)), (0x33, 300), (0x32, 200)] {
            fixture.writeFile("temp/a.tmp", size: 1, fill: fill)
            _ = try trash.put(path: Self.bytes("temp/a.tmp"), category: "temp", deletedAt: time)
        }
        #expect(try trash.restore(originalPath: Self.bytes("temp/a.tmp")).deletedAt == 300)
        #expect(fixture.read(fixture.absolute(Self.bytes("temp/a.tmp"))) == Self.bytes("3"))
        #expect(try trash.list().map(\.deletedAt) == [100, 200])

        let unknown = #expect(throws: TrashError.self) { try trash.restore(originalPath: Self.bytes("temp/b.tmp")) }
        #expect(unknown?.kind == .notInTrash)
        for bad in ["", "/", "temp/../etc/passwd", "./temp/a.tmp"] {
            let error = #expect(throws: TrashError.self) { try trash.restore(originalPath: Self.bytes(bad)) }
            #expect(error?.kind == .invalidPath, "\(bad)")
        }
    }

    // MARK: Empty

    @Test func emptyRemovesByDeletionDateFoldersIncluded() throws {
        let day: Int64 = 86_400
        let now = fixture.clock
        fixture.writeFile("temp/old.tmp", size: 100)
        let old = try trash.put(path: Self.bytes("temp/old.tmp"), category: "temp", deletedAt: now - 10 * day)
        fixture.writeFile("temp/new.tmp", size: 50)
        let young = try trash.put(path: Self.bytes("temp/new.tmp"), category: "temp", deletedAt: now - day)
        // A folder with a read-only subfolder and a symlink that points outside:
        // removed link and all, the target untouched.
        let outside = fixture.directory.path("keep-me")
        fixture.writeAbsolute(Array(outside.utf8), bytes: Self.bytes("precious"))
        fixture.writeFile("temp/job/deep/x.bin", size: 30)
        fixture.writeFile("temp/job/y.bin", size: 20)
        #expect(symlink(outside, fixture.base + "/temp/job/deep/link") == 0)
        #expect(chmod(fixture.base + "/temp/job/deep", 0o500) == 0)
        let folder = try trash.put(path: Self.bytes("temp/job"), category: "temp", deletedAt: now - 8 * day)
        #expect(folder.size == 50 + Int64(outside.utf8.count))
        #expect(try trash.usage() == (3, 200 + Int64(outside.utf8.count)))

        let purge = try trash.empty(olderThan: 7 * day, now: now)
        #expect(purge.files == 2 && purge.failures.isEmpty)
        #expect(purge.bytes == old.size + folder.size)
        #expect(try trash.list() == [young])
        #expect(try trash.usage() == (1, 50))
        #expect(fixture.read(Array(outside.utf8)) == Self.bytes("precious"))
        let deletes = try fixture.events().filter { $0.action == "delete" }
        #expect(Set(deletes.map(\.path)) == [old.originalPath, folder.originalPath])
        #expect(deletes.allSatisfy { $0.cause == "trash_retention" })

        // -1 keeps forever; nil empties everything.
        #expect(try trash.empty(olderThan: -1, now: now) == TrashPurge())
        #expect(try trash.empty(olderThan: nil, now: now, cause: .manual).files == 1)
        #expect(try trash.list().isEmpty && trash.usage() == (0, 0))
    }

    /// Operators query the stored causes with sqlite3: they never change.
    @Test func purgeCausesKeepTheirStoredText() {
        #expect(TrashPurgeCause.allCases.map(\.rawValue) == ["trash_retention", "manual", "low_disk"])
    }

    @Test func orphansAndBrokenInfoFilesAreListedAndAgedNotBlindlyDeleted() throws {
        let day: Int64 = 86_400
        let now = Int64(time(nil))
        // An orphan in files/ (no info): aged by its ctime, i.e. now.
        fixture.writeAbsolute(fixture.trashFiles + Self.bytes("/lost.bin"), bytes: [1, 2, 3])
        // An info file whose file is gone, deleted long ago.
        let gone = TrashInfo(
            path: Array((fixture.base + "/temp/gone.tmp").utf8), deletionDate: DeletionDate(localTimeOf: now - 30 * day)
        )
        fixture.writeAbsolute(fixture.infoFile(Self.bytes("gone.tmp")), bytes: gone.serialized)
        // Two unparseable info files, one old by its mtime, one new.
        fixture.writeAbsolute(fixture.infoFile(Self.bytes("junk-old")), bytes: Self.bytes("not an info file"))
        fixture.setMtime(fixture.infoFile(Self.bytes("junk-old")), now - 30 * day)
        fixture.writeAbsolute(fixture.infoFile(Self.bytes("junk-new")), bytes: Self.bytes("[Trash Info]\nPath=/x\n"))
        fixture.writeAbsolute(fixture.trashFiles + Self.bytes("/junk-new"), bytes: [0, 0])

        let listed = try trash.list()
        let problems = Dictionary(uniqueKeysWithValues: listed.map { ($0.trashName, $0.problem) })
        #expect(problems[Self.bytes("lost.bin")] == .missingInfo)
        #expect(problems[Self.bytes("gone.tmp")] == .missingFile)
        #expect(problems[Self.bytes("junk-old")] == .invalidInfo("the first line is not [Trash Info]"))
        #expect(problems[Self.bytes("junk-new")] == .invalidInfo("no DeletionDate key"))
        #expect(listed.first { $0.trashName == Self.bytes("junk-new") }?.size == 2)
        #expect(try fixture.rows().isEmpty && trash.usage() == (0, 0))

        let purge = try trash.empty(olderThan: 7 * day, now: now)
        #expect(purge.files == 2 && purge.failures.isEmpty)
        #expect(fixture.names(in: fixture.trashInfo) == [Self.bytes("junk-new.trashinfo")])
        #expect(fixture.names(in: fixture.trashFiles) == [Self.bytes("lost.bin"), Self.bytes("junk-new")])

        #expect(try trash.empty(olderThan: nil, now: now).files == 2)
        #expect(fixture.names(in: fixture.trashInfo).isEmpty && fixture.names(in: fixture.trashFiles).isEmpty)
    }

    @Test(.enabled(if: geteuid() == 0, "chattr +i needs root"))
    func anEntryThatCannotBeRemovedIsReportedAndTheRestGoes() throws {
        fixture.writeFile("temp/stuck/a.tmp", size: 3)
        fixture.writeFile("temp/b.tmp", size: 4)
        _ = try trash.put(path: Self.bytes("temp/stuck"), category: "temp", deletedAt: 1)
        _ = try trash.put(path: Self.bytes("temp/b.tmp"), category: "temp", deletedAt: 1)
        let stuck = String(decoding: fixture.trashFiles, as: UTF8.self) + "/stuck/a.tmp"
        try #require(try Shell.run(["chattr", "+i", stuck]).status == 0)
        defer { _ = try? Shell.run(["chattr", "-i", stuck]) }

        let purge = try trash.empty(olderThan: nil, now: fixture.clock)
        #expect(purge.files == 1 && purge.bytes == 4)
        #expect(purge.failures.count == 1 && purge.failures[0].hasPrefix("stuck: "))
        #expect(try trash.list().map(\.trashName) == [Self.bytes("stuck")])
        #expect(try fixture.events().last?.action == "error")
    }

    // MARK: What other tools put there

    /// trash-cli writes `Path=` relative to the mount point when it trashes
    /// into a `--trash-dir` on a mount other than `/`; the listing resolves it
    /// the same way and picks the item up into the index.
    @Test func foreignItemsAreResolvedMeasuredAndIndexed() throws {
        let mountPoint = MountPoint.containing(fixture.base + "/.trash")
        let absolute = Array((fixture.base + "/uploads/x y.bin").utf8)
        let relative =
            mountPoint == "/" ? Array(absolute.dropFirst()) : Array(absolute.dropFirst(mountPoint.utf8.count + 1))
        let info = TrashInfo(path: relative, deletionDate: DeletionDate(localTimeOf: 1_700_000_000))
        fixture.writeAbsolute(fixture.infoFile(Self.bytes("x y.bin")), bytes: info.serialized)
        fixture.writeAbsolute(fixture.trashFiles + Self.bytes("/x y.bin"), bytes: [UInt8](repeating: 7, count: 77))
        let outsider = TrashInfo(
            path: Self.bytes("/etc/passwd"), deletionDate: DeletionDate(localTimeOf: 1_700_000_000))
        fixture.writeAbsolute(fixture.infoFile(Self.bytes("passwd")), bytes: outsider.serialized)
        fixture.writeAbsolute(fixture.trashFiles + Self.bytes("/passwd"), bytes: [1])

        let listed = try trash.list()
        let expected = TrashedItem(
            trashName: Self.bytes("x y.bin"), originalPath: Self.bytes("uploads/x y.bin"), deletedAt: 1_700_000_000,
            size: 77, category: nil)
        #expect(listed.contains(expected))
        #expect(listed.first { $0.trashName == Self.bytes("passwd") }?.problem == .outsideBase)
        #expect(listed.first { $0.trashName == Self.bytes("passwd") }?.originalPath == Self.bytes("/etc/passwd"))
        #expect(try fixture.rows() == [expected.trashName: expected] && trash.usage() == (1, 77))
        #expect(throws: TrashError.self) { try trash.restore(originalPath: Self.bytes("/etc/passwd")) }

        // Removed behind our back: the next listing drops the row.
        #expect(unlink(String(decoding: fixture.infoFile(Self.bytes("x y.bin")), as: UTF8.self)) == 0)
        #expect(try trash.list().map(\.problem) == [.outsideBase, .missingInfo])
        #expect(try fixture.rows().isEmpty && trash.usage() == (0, 0))
    }
}

/// Mounting needs privileges a test container may lack; the tests that need it
/// say so instead of failing.
enum Mounts {
    static let permitted: Bool = {
        let target = NSTemporaryDirectory() + "/storekeeper-mount-probe-\(getpid())"
        mkdir(target, 0o700)
        defer { rmdir(target) }
        guard (try? mount(["-t", "tmpfs", "tmpfs", target])) != nil else { return false }
        unmount(target)
        return true
    }()

    static func mount(_ arguments: [String]) throws {
        let result = try Shell.run(["mount"] + arguments)
        guard result.status == 0 else { throw Failure(message: "mount \(arguments): \(result.stderr)") }
    }

    struct Failure: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }

    static func unmount(_ target: String) {
        _ = try? Shell.run(["umount", target])
    }
}
