import Foundation
import Glibc
import Testing

@testable import StorekeeperConfig
@testable import StorekeeperEngine
@testable import StorekeeperSystem

/// A cleanup run in which the disk refuses one removal: the run reports it as
/// an error, keeps that file's row (the file is still there), and removes the
/// other expired files as usual. The refusal comes from a `FaultPlan`.
@Suite struct CleanerFaultTests {
    let fixture: TrashFixture
    /// Where the run's log lines go: the report says what the test checks.
    let silence: FileDescriptor

    init() throws {
        fixture = try TrashFixture()
        silence = try FileDescriptor.open(Array("/dev/null".utf8), access: .writeOnly)
    }

    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// Three expired temp files, indexed; returns the cleaner for them.
    func expiredTree(useTrash: Bool) throws -> Cleaner {
        let expired = Int64(time(nil)) - 3 * 86_400
        for name in ["a.tmp", "stuck.tmp", "z.tmp"] {
            fixture.writeFile("temp/job/" + name, size: 100)
            fixture.setMtime(fixture.absolute(Self.bytes("temp/job/" + name)), expired)
        }
        let configuration = Configuration(
            sourceFile: "test.yaml", basePath: fixture.base, indexPath: fixture.layout.indexPath,
            categories: CategoryPolicy.builtIns, cleanup: CleanupSettings(useTrash: useTrash),
            monitoring: MonitoringSettings())
        let categorizer = Categorizer(policies: configuration.categories)
        _ = try Scanner(store: fixture.store, categorizer: categorizer, basePath: fixture.base).reconcile()
        try #require(try fixture.store.file(at: Self.bytes("temp/job/stuck.tmp")) != nil)
        let logger = try Logger(minimumLevel: .error, style: .plain, filePath: nil, standardError: silence.rawValue)
        return Cleaner(configuration: configuration, store: fixture.store, logger: logger)
    }

    func expectOnlyTheStuckFileStays(_ report: CleanupReport, errno: Int32) throws {
        #expect(report.totalErrors == 1 && report.totalFilesRemoved == 2)
        #expect(report.allErrors.first?.contains(String(cString: strerror(errno))) == true)
        #expect(fixture.read(fixture.absolute(Self.bytes("temp/job/stuck.tmp")))?.count == 100)
        #expect(try fixture.store.file(at: Self.bytes("temp/job/stuck.tmp")) != nil)
        for gone in ["temp/job/a.tmp", "temp/job/z.tmp"] {
            #expect(!fixture.exists(fixture.absolute(Self.bytes(gone))), "\(gone)")
            #expect(try fixture.store.file(at: Self.bytes(gone)) == nil, "\(gone)")
        }
    }

    @Test(arguments: [EIO, EROFS, EPERM])
    func anUnlinkThatFailsKeepsItsRowAndTheRunGoesOn(_ errno: Int32) throws {
        let cleaner = try expiredTree(useTrash: false)
        let plan = FaultPlan()
        plan.fail("unlinkat", name: "stuck.tmp", with: errno)

        let report = try plan.activate { try cleaner.run(Cleaner.Request(trigger: .manual, dryRun: false)) }
        #expect(plan.injected.count == 1)
        try expectOnlyTheStuckFileStays(report, errno: errno)
    }

    @Test func aMoveIntoTheTrashThatFailsKeepsItsRowAndTheRunGoesOn() throws {
        let cleaner = try expiredTree(useTrash: true)
        let plan = FaultPlan()
        plan.fail("renameat2", name: "stuck.tmp", with: EIO)

        let report = try plan.activate { try cleaner.run(Cleaner.Request(trigger: .manual, dryRun: false)) }
        try expectOnlyTheStuckFileStays(report, errno: EIO)
        #expect(
            try fixture.rows().keys.sorted { $0.lexicographicallyPrecedes($1) } == [
                Self.bytes("a.tmp"), Self.bytes("z.tmp"),
            ])
    }
}
