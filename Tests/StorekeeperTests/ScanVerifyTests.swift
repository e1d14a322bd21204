import Foundation
import Glibc
import StorekeeperCLI
import StorekeeperEngine
import StorekeeperSystem
import TestSupport
import Testing

/// `init`, `scan` and `verify` through the built binary on real temp trees:
/// verify must list exactly the differences a mutation made, and none after a scan.
@Suite struct ScanVerifyTests {
    struct Difference: Hashable {
        let kind: String
        let path: String
    }

    static func differences(_ tree: TemporaryTree) throws -> (status: Int32, Set<Difference>) {
        let result = try tree.storekeeper(["verify", "--json"])
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stderr)")
        let items = try #require(json["differences"] as? [[String: Any]])
        return (
            result.status,
            Set(items.map { Difference(kind: $0["kind"] as! String, path: $0["path"] as! String) })
        )
    }

    static func initAndScan(_ tree: TemporaryTree) throws {
        let initResult = try tree.storekeeper(["init"])
        #expect(initResult.status == 0, "\(initResult.stderr)")
        let scan = try tree.storekeeper(["scan"])
        #expect(scan.status == 0, "\(scan.stderr)")
    }

    @Test func initCreatesTheLayoutWithItsModes() throws {
        let tree = try TemporaryTree()
        let result = try tree.storekeeper(["init"])
        #expect(result.status == 0, "\(result.stderr)")
        for folder in ["uploads", "frames", "contact-sheets", "outputs", "temp", ".storekeeper"] {
            var status = stat()
            #expect(lstat(tree.base + "/" + folder, &status) == 0, "\(folder) missing")
            #expect(status.st_mode & 0o7777 == 0o755, "\(folder) mode")
        }
        for gitkeep in ["", "/uploads", "/contact-sheets", "/temp"] {
            var status = stat()
            #expect(lstat(tree.base + gitkeep + "/.gitkeep", &status) == 0)
            #expect(status.st_mode & 0o7777 == 0o644)
        }
        let readme = try String(contentsOfFile: tree.base + "/README.md", encoding: .utf8)
        #expect(readme.contains("`contact-sheets/` | `contact_sheets` | 30d"))
        #expect(FileManager.default.fileExists(atPath: tree.base + "/.storekeeper/index.db"))

        // A second init keeps what exists and leaves a README it did not write alone.
        try "mine\n".write(toFile: tree.base + "/README.md", atomically: true, encoding: .utf8)
        tree.writeFile("temp/keep.me")
        let again = try tree.storekeeper(["init"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try String(contentsOfFile: tree.base + "/README.md", encoding: .utf8) == "mine\n")
        #expect(FileManager.default.fileExists(atPath: tree.base + "/temp/keep.me"))
    }

    @Test func commandsOtherThanInitNeedAnIndex() throws {
        let tree = try TemporaryTree()
        for command in ["scan", "verify", "stats"] {
            let result = try tree.storekeeper([command])
            #expect(result.status == 1)
            #expect(result.stderr.contains("run 'storekeeper init' first"), "\(command): \(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: tree.base))
    }

    @Test func verifyListsExactlyWhatChangedAndScanRepairsIt() throws {
        let tree = try TemporaryTree()
        let outside = tree.root + "/outside"
        mkdir(outside, 0o755)
        _ = FileManager.default.createFile(atPath: outside + "/secret", contents: Data("x".utf8))

        let newline = "temp/job 1/line\nbreak".bytes
        let invalid: [UInt8] = "uploads/2026-11-01/bad-".bytes + [0xFF, 0xFE] + ".mp4".bytes
        let long = "frames/v1/".bytes + [UInt8](repeating: 0x6C, count: 255)
        tree.writeFile("temp/job 1/a.part", size: 5)
        tree.writeFile(newline, size: 6)
        tree.writeFile(invalid, size: 7)
        tree.writeFile(long, size: 8)
        tree.writeFile("frames/v1/frame_1.jpg", size: 100)
        tree.writeFile("frames/v2/frame_1.jpg", size: 100)
        tree.writeFile("frames/v2/frame_2.jpg", size: 100)
        tree.writeFile("outputs/o.mp4", size: 3)
        try Self.initAndScan(tree)
        #expect(try Self.differences(tree) == (0, []))

        // Mutate: create, delete, resize, touch -d, rename a file and a folder,
        // symlinks to a file and a folder outside the tree, odd names.
        tree.writeFile("temp/job 2/new file.part", size: 1)
        tree.remove("outputs/o.mp4".bytes)
        tree.writeFile(newline, size: 60)
        tree.setMtime(invalid, 1_000_000_000)
        tree.setMtime(invalid, 1_000_000_000)
        let renamedLong = "frames/v1/".bytes + [UInt8](repeating: 0x6D, count: 255)
        tree.rename(long, renamedLong)
        tree.rename("frames/v2".bytes, "frames/v3".bytes)
        tree.symlink("temp/to-file".bytes, target: outside + "/secret")
        tree.symlink("temp/to-dir".bytes, target: outside)

        let (status, found) = try Self.differences(tree)
        #expect(status == 1)
        let show = PathBytes.display
        #expect(
            found == [
                Difference(kind: "on_disk_only", path: "temp/job 2/new file.part"),
                Difference(kind: "index_only", path: "outputs/o.mp4"),
                Difference(kind: "changed", path: show(newline)),
                Difference(kind: "changed", path: show(invalid)),
                Difference(kind: "index_only", path: show(long)),
                Difference(kind: "on_disk_only", path: show(renamedLong)),
                Difference(kind: "index_only", path: "frames/v2/frame_1.jpg"),
                Difference(kind: "index_only", path: "frames/v2/frame_2.jpg"),
                Difference(kind: "on_disk_only", path: "frames/v3/frame_1.jpg"),
                Difference(kind: "on_disk_only", path: "frames/v3/frame_2.jpg"),
                Difference(kind: "on_disk_only", path: "temp/to-file"),
                Difference(kind: "on_disk_only", path: "temp/to-dir"),
            ])

        let scan = try tree.storekeeper(["scan", "--json"])
        #expect(scan.status == 0, "\(scan.stderr)")
        #expect(try Self.differences(tree) == (0, []))
        // Symlinks are indexed as links: nothing behind them was walked.
        let stats = try tree.storekeeper(["stats", "--json"])
        #expect(!stats.stdout.contains("secret"))
        #expect(FileManager.default.fileExists(atPath: outside + "/secret"))
    }

    @Test func anUnchangedTreeRescanWritesNothing() throws {
        let tree = try TemporaryTree()
        for index in 0..<300 { tree.writeFile("temp/job_\(index % 7)/chunk_\(index).part", size: index) }
        try Self.initAndScan(tree)
        let index = tree.base + "/.storekeeper/index.db"
        let snapshot =
            "SELECT count(*), (SELECT group_concat(path || size || mtime || mtime_ns || inode) FROM files) FROM events"
        let before = try Shell.run(["sqlite3", index, snapshot], in: tree.root).stdout
        let result = try tree.storekeeper(["scan", "--json"])
        #expect(result.status == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(json["files"] as? Int == 300 + 7)  // six .gitkeep files and the README
        #expect(json["added"] as? Int == 0)
        #expect(json["changed"] as? Int == 0)
        #expect(json["removed"] as? Int == 0)
        // Only the scan's own summary event was added; no row was rewritten.
        let after = try Shell.run(["sqlite3", index, snapshot], in: tree.root).stdout
        let count = { (text: String) in Int(text.split(separator: "|")[0])! }
        #expect(count(after) == count(before) + 1)
        #expect(after.split(separator: "|").dropFirst() == before.split(separator: "|").dropFirst())
    }

    @Test(.enabled(if: geteuid() == 0, "runs storekeeper as nobody (chown, setpriv), which needs root"))
    func anUnreadableFolderKeepsItsRowsAndFailsLoudly() throws {
        let tree = try TemporaryTree()
        tree.writeFile("uploads/locked/a.mp4", size: 4)
        tree.writeFile("uploads/open/b.mp4", size: 4)
        try Self.initAndScan(tree)
        // Root reads any folder: run as nobody, with the index handed to nobody.
        #expect(try Shell.run(["chown", "-R", "65534:65534", tree.root], in: "/").status == 0)
        chmod(tree.base + "/uploads/locked", 0)
        tree.writeFile("uploads/open/c.mp4", size: 4)
        #expect(try Shell.run(["chown", "65534:65534", tree.base + "/uploads/open/c.mp4"], in: "/").status == 0)

        let scan = try tree.storekeeper(["scan"], asUser: 65534)
        #expect(scan.status == 1, "\(scan.stdout)\(scan.stderr)")
        #expect(scan.stderr.contains("uploads/locked/: Permission denied"), "\(scan.stderr)")
        chmod(tree.base + "/uploads/locked", 0o755)
        // The locked folder's row survived; the new file was indexed.
        #expect(try Self.differences(tree) == (0, []))
    }

    @Test func aSecondWriterIsRefused() throws {
        let tree = try TemporaryTree()
        try Self.initAndScan(tree)
        let lock = try WriterLockHolder(tree)
        defer { lock.release() }
        let result = try tree.storekeeper(["scan"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("is locked by"), "\(result.stderr)")
    }
}
