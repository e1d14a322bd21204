import Foundation
import Glibc
import StorekeeperConfig
import TestSupport
import Testing

@testable import StorekeeperEngine
@testable import StorekeeperIndex

/// A first scan inserts its rows in batches with the insert triggers' work
/// done per batch: the index it leaves must be the one the triggers leave,
/// row for row and in `usage`, whatever the tree holds.
@Suite struct ScannerBulkLoadTests {
    static let policies = CategoryPolicy.builtIns

    /// Every kind of entry the walk meets: nested folders, `.gitkeep`s, hard
    /// links within and across categories (one of them a `.gitkeep`),
    /// symlinks (dangling too), a name that is not UTF-8, an unmanaged folder,
    /// a file in the base and a folder nobody but root may read.
    static func populate(_ base: String) throws {
        let manager = FileManager.default
        for folder in [
            "uploads/2024-01-02", "frames/video_1/deep/er", "temp/job_1", "outputs/video_1", "stray/inner",
            "contact-sheets/video_1", "temp/locked",
        ] {
            try manager.createDirectory(atPath: base + "/" + folder, withIntermediateDirectories: true)
        }
        var count = 0
        func write(_ path: String, bytes: Int) {
            count += 1
            _ = manager.createFile(atPath: base + "/" + path, contents: Data(repeating: UInt8(count), count: bytes))
        }
        write("uploads/2024-01-02/upload_20240102_101010.mp4", bytes: 5000)
        write("frames/video_1/frame_1.jpg", bytes: 123)
        write("frames/video_1/deep/er/frame_2.jpg", bytes: 7)
        write("temp/job_1/chunk.part", bytes: 9000)
        write("outputs/video_1/out.mp4", bytes: 4097)
        write("stray/inner/thing", bytes: 1)
        write("top-level.txt", bytes: 10)
        write("temp/locked/hidden", bytes: 11)
        for gitkeep in [".gitkeep", "uploads/.gitkeep", "temp/.gitkeep", "frames/video_1/.gitkeep"] {
            write(gitkeep, bytes: 0)
        }
        try manager.linkItem(
            atPath: base + "/frames/video_1/frame_1.jpg", toPath: base + "/frames/video_1/frame_1b.jpg")
        try manager.linkItem(atPath: base + "/frames/video_1/frame_1.jpg", toPath: base + "/outputs/video_1/frame.jpg")
        try manager.linkItem(atPath: base + "/temp/job_1/chunk.part", toPath: base + "/temp/job_1/.gitkeep")
        try manager.createSymbolicLink(atPath: base + "/outputs/video_1/link", withDestinationPath: "out.mp4")
        try manager.createSymbolicLink(atPath: base + "/temp/dangling", withDestinationPath: "/nowhere/at/all")
        let notUTF8 = Array(base.utf8) + Array("/stray/name-".utf8) + [0xFF, 0xFE, 0]
        _ = notUTF8.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                close(open($0, O_WRONLY | O_CREAT, 0o644))
            }
        }
        chmod(base + "/temp/locked", 0)
    }

    /// The index after a first scan of `base`, in batches or row by row.
    static func firstScan(
        _ base: String, indexPath: String, inBatches: Bool, restored: [UInt8]? = nil
    ) throws -> IndexStore {
        let store = try IndexStore.create(path: indexPath)
        try store.recordPolicy(policies)
        if let restored { try store.write { try store.noteRestore(restored, at: 1_700_000_000) } }
        let scanner = Scanner(
            store: store, categorizer: Categorizer(policies: policies), basePath: base, now: { 1_700_000_100 })
        scanner.insertsFirstScanInBatches = inBatches
        let summary = try scanner.reconcile()
        #expect(summary.initial)
        return store
    }

    static func dump(_ store: IndexStore) throws -> [String] {
        var lines: [String] = []
        try store.database.statement(
            """
            SELECT hex(path), category, kind, size, mtime, mtime_ns, inode, path_date, nlink, allocated,
                   entered_at, restored_at
            FROM files ORDER BY path
            """
        ).forEachRow { row in
            lines.append((0..<12).map { row.isNull($0) ? "NULL" : row.string($0) }.joined(separator: "|"))
        }
        try store.database.statement("SELECT category, files, bytes, allocated FROM usage ORDER BY category")
            .forEachRow { lines.append("usage \($0.string(0))|\($0.int64(1))|\($0.int64(2))|\($0.int64(3))") }
        try store.database.statement("SELECT action, cause, path, detail FROM events ORDER BY id").forEachRow {
            lines.append("event \($0.string(0))|\($0.string(1))|\($0.string(2))|\($0.string(3))")
        }
        return lines
    }

    @Test func batchedFirstScanEqualsRowByRow() throws {
        let directory = try TemporaryDirectory()
        let base = directory.path("storage")
        try Self.populate(base)
        defer { chmod(base + "/temp/locked", 0o755) }
        let restored = Array("outputs/video_1".utf8)
        let batched = try Self.firstScan(
            base, indexPath: directory.path("batched.db"), inBatches: true, restored: restored)
        let rowByRow = try Self.firstScan(
            base, indexPath: directory.path("rows.db"), inBatches: false, restored: restored)
        let expected = try Self.dump(rowByRow)
        #expect(try Self.dump(batched) == expected)
        #expect(expected.contains { $0.hasPrefix("usage frames|3|") })
        #expect(expected.filter { $0.hasPrefix("event ") }.count == (geteuid() == 0 ? 1 : 2))
        // And both agree with a recount from the rows.
        try HardLinkUsageTests.expectUsageExact(batched.database, "batched first scan")
    }

    /// Batches split where they fall: a hard link whose names land in different
    /// batches still counts its bytes once.
    @Test func batchesThatSplitAHardLinkCountItOnce() throws {
        let directory = try TemporaryDirectory()
        let base = directory.path("storage")
        try Self.populate(base)
        defer { chmod(base + "/temp/locked", 0o755) }
        let store = try IndexStore.create(path: directory.path("index.db"))
        try store.recordPolicy(Self.policies)
        let categorizer = Categorizer(policies: Self.policies)
        var files: [IndexedFile] = []
        try TreeWalker(basePath: base).walk(subtree: []) { item in
            if case .entry(let path, let status) = item {
                files.append(IndexedFile(path: path, category: categorizer.category(of: path), status: status))
            }
        }
        for index in files.indices {
            try store.write { try store.insertNew([files[index]], now: 1) }
        }
        try HardLinkUsageTests.expectUsageExact(store.database, "one row per batch")
        let reference = try Self.firstScan(base, indexPath: directory.path("rows.db"), inBatches: false)
        #expect(
            try Self.dump(store).filter { $0.hasPrefix("usage ") }
                == Self.dump(reference).filter { $0.hasPrefix("usage ") })
        // The triggers are back after every batch.
        let triggers = try store.database.statement(
            "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'files'"
        ).firstRow { $0.int64(0) }
        let referenceTriggers = try reference.database.statement(
            "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'files'"
        ).firstRow { $0.int64(0) }
        #expect(triggers == referenceTriggers)
    }

    static func file(_ path: String, size: Int64, inode: UInt64) -> IndexedFile {
        IndexedFile(
            path: Array(path.utf8), category: String(path.prefix { $0 != "/" }), kind: .file, size: size, mtime: 1,
            mtimeNanoseconds: 0, inode: inode, pathDate: nil, allocated: 4096)
    }

    /// The triggers are off only on the bulk load's own connection and only
    /// while it runs: statements it compiled without them (the row-by-row
    /// insert a restore note calls for) fire them again afterwards, and a
    /// batch the index refuses turns them back on too.
    @Test func theTriggersComeBackAfterEveryBatch() throws {
        let directory = try TemporaryDirectory()
        let store = try IndexStore.create(path: directory.path("index.db"))
        try store.recordPolicy(Self.policies)
        try store.write { try store.noteRestore(Array("temp/restored".utf8), at: 1_700_000_000) }
        try store.write {
            try store.insertNew(
                [Self.file("temp/restored/a", size: 10, inode: 1), Self.file("temp/b", size: 20, inode: 2)], now: 5)
        }
        // Row by row through the same cached statement: the triggers must count it.
        try store.write { try store.insert(Self.file("temp/restored/c", size: 40, inode: 3), now: 6) }
        try HardLinkUsageTests.expectUsageExact(store.database, "after a batch with a restore note")
        #expect(try store.usage(of: "temp").files == 3)
        #expect(
            try store.database.statement("SELECT count(*) FROM files WHERE restored_at IS NOT NULL")
                .firstRow { $0.int64(0) } == 2)

        // A batch that fails (a path already indexed) rolls back whole and leaves the triggers on.
        #expect(throws: DatabaseError.self) {
            try store.write {
                try store.insertNew(
                    [Self.file("temp/d", size: 80, inode: 4), Self.file("temp/b", size: 1, inode: 5)], now: 7)
            }
        }
        #expect(try store.file(at: Array("temp/d".utf8)) == nil)
        try store.write { try store.insert(Self.file("temp/e", size: 160, inode: 6), now: 8) }
        try store.write { try store.delete(path: Array("temp/b".utf8)) }
        try HardLinkUsageTests.expectUsageExact(store.database, "after a refused batch")
        #expect(try store.usage(of: "temp").files == 3)

        // Another connection to the same index keeps its triggers throughout.
        let other = try IndexStore(path: directory.path("index.db"))
        try other.write { try other.insert(Self.file("temp/f", size: 320, inode: 7), now: 9) }
        try HardLinkUsageTests.expectUsageExact(store.database, "after another connection's insert")
        #expect(try store.usage(of: "temp").files == 4)
    }
}
