import Foundation
import Glibc
import Synchronization
import TestSupport
import Testing

@testable import StorekeeperSystem

/// The funnel's seam for injected failures, and the typed open options.
@Suite struct FaultPlanTests {
    let directory: TemporaryDirectory
    let folder: FileDescriptor

    init() throws {
        directory = try TemporaryDirectory(prefix: "storekeeper-faults")
        folder = try FileDescriptor.openDirectory(Array(directory.path.utf8))
    }

    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    func create(_ name: String) throws {
        try FileDescriptor.open(
            Self.bytes(name), relativeTo: folder, access: .writeOnly, options: [.create, .exclusive], mode: 0o600
        ).write(Self.bytes("x"))
    }

    func exists(_ name: String) -> Bool { (try? folder.status(of: Self.bytes(name))) != nil }

    // MARK: The seam

    @Test func aPlannedFaultFailsTheNextMatchingCallOnceAndNothingElse() throws {
        for name in ["a.tmp", "b.tmp", "c.tmp"] { try create(name) }
        let plan = FaultPlan()
        plan.fail("unlinkat", name: "b.tmp", with: EROFS)

        try plan.activate {
            // Another call about the planned name is not the planned call.
            #expect(exists("b.tmp"))
            try folder.removeEntry(Self.bytes("a.tmp"))
            let error = #expect(throws: SystemCallError.self) { try folder.removeEntry(Self.bytes("b.tmp")) }
            #expect(error == SystemCallError(call: "unlinkat", path: Self.bytes("b.tmp"), errno: EROFS))
            #expect(error?.description == "unlinkat b.tmp: \(String(cString: strerror(EROFS)))")
            #expect(exists("b.tmp"))
            // Fired once: the same call again is made, and succeeds.
            try folder.removeEntry(Self.bytes("b.tmp"))
        }
        #expect(plan.injected.map(\.errno) == [EROFS] && plan.pending == 0)
        #expect(!exists("a.tmp") && !exists("b.tmp") && exists("c.tmp"))
    }

    @Test func aFaultMatchesTheLastComponentOfThePathTheCallIsAbout() throws {
        try create("keep.tmp")
        let plan = FaultPlan()
        plan.fail("unlinkat", name: "keep.tmp", with: EIO, times: 2)

        plan.activate {
            for shown in ["keep.tmp", "deep/folder/keep.tmp"] {
                let error = #expect(throws: SystemCallError.self) {
                    try folder.removeEntry(Self.bytes("keep.tmp"), path: Self.bytes(shown))
                }
                #expect(error?.errno == EIO && error?.path == Self.bytes(shown))
            }
        }
        #expect(plan.injected.count == 2 && exists("keep.tmp"))
    }

    @Test func aFaultWithoutANameFailsTheNextCallOfItsKind() throws {
        let plan = FaultPlan()
        plan.fail("openat", with: ENOSPC)
        let error = plan.activate {
            #expect(throws: SystemCallError.self) { try create("any.tmp") }
        }
        #expect(error?.errno == ENOSPC && error?.call == "openat")
        #expect(!exists("any.tmp"))
    }

    @Test func aPlanActsOnlyWhileActiveAndOnlyOnTheTaskThatActivatedIt() throws {
        try create("shared.tmp")
        let plan = FaultPlan()
        plan.fail("fstatat", name: "shared.tmp", with: EIO)

        // Not active yet: the call is made.
        #expect(exists("shared.tmp") && plan.pending == 1)
        // Active, but another thread's calls are its own: a test's plan never
        // reaches a test running beside it.
        let path = directory.path + "/shared.tmp"
        let elsewhere = SeenSize()
        plan.activate {
            BackgroundThread {
                var status = stat()
                _ = try? systemCall("fstatat", path: Array(path.utf8)) { lstat(path, &status) }
                elsewhere.size.withLock { $0 = Int64(status.st_size) }
            }.join()
        }
        #expect(elsewhere.size.withLock { $0 } == 1 && plan.pending == 1)
        // Active on this task: it fires.
        plan.activate { #expect(!exists("shared.tmp")) }
        #expect(plan.pending == 0 && exists("shared.tmp"))
    }

    // MARK: Open options

    @Test func openOptionsSayWhatTheFlagsSaid() throws {
        try create("file")
        #expect(symlink(directory.path + "/file", directory.path + "/link") == 0)

        let taken = #expect(throws: SystemCallError.self) { try create("file") }
        #expect(taken?.errno == EEXIST)
        let link = #expect(throws: SystemCallError.self) {
            try FileDescriptor.open(Self.bytes("link"), relativeTo: folder, access: .readOnly, options: .noFollow)
        }
        #expect(link?.errno == ELOOP)
        let notFolder = #expect(throws: SystemCallError.self) {
            try FileDescriptor.open(Self.bytes("file"), relativeTo: folder, access: .readOnly, options: .directory)
        }
        #expect(notFolder?.errno == ENOTDIR)
        let readOnly = try FileDescriptor.open(Self.bytes("file"), relativeTo: folder, access: .readOnly)
        #expect(fcntl(readOnly.rawValue, F_GETFL) & O_ACCMODE == O_RDONLY)

        let appending = try FileDescriptor.open(
            Self.bytes("file"), relativeTo: folder, access: .writeOnly, options: .append)
        try appending.write(Self.bytes("yz"))
        #expect(fcntl(appending.rawValue, F_GETFD) & FD_CLOEXEC != 0)
        #expect(fcntl(appending.rawValue, F_GETFL) & (O_ACCMODE | O_APPEND) == O_WRONLY | O_APPEND)
        let reader = try FileDescriptor.open(Self.bytes("file"), relativeTo: folder, access: .readOnly)
        #expect(try reader.readToEnd() == Self.bytes("xyz"))
    }

    @Test func readWriteOpensTheSameWayAsItsRawFlags() throws {
        let descriptor = try FileDescriptor.open(
            Self.bytes("raw"), relativeTo: folder, access: .readWrite, options: [.create, .exclusive, .noFollow],
            mode: 0o640)
        #expect(fcntl(descriptor.rawValue, F_GETFL) & O_ACCMODE == O_RDWR)
        #expect(fcntl(descriptor.rawValue, F_GETFD) & FD_CLOEXEC != 0)
        #expect(try descriptor.status().size == 0)
        #expect(OpenOptions(rawValue: O_CREAT | O_EXCL) == [.create, .exclusive])
    }

    @Test func readToEndStopsPastItsLimit() throws {
        let descriptor = try FileDescriptor.open(
            Self.bytes("big"), relativeTo: folder, access: .readWrite, options: .create, mode: 0o600)
        try descriptor.write([UInt8](repeating: 7, count: 200_000))
        #expect(lseek(descriptor.rawValue, 0, SEEK_SET) == 0)
        let head = try descriptor.readToEnd(limit: 10)
        #expect(head.count > 10 && head.count < 200_000)
        #expect(lseek(descriptor.rawValue, 0, SEEK_SET) == 0)
        #expect(try descriptor.readToEnd().count == 200_000)
    }
}

/// What a thread of its own saw, read back after it was joined.
private final class SeenSize: Sendable {
    let size = Mutex<Int64>(-1)
}
