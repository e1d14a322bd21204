import Foundation
import Glibc
import TestSupport
import Testing

/// A first scan killed half-way leaves an index that is valid as it stands
/// (each batch, with its trigger work, commits whole or not at all), and
/// the next scan completes it.
@Suite struct ScanInterruptedTests {
    static let recount = """
        SELECT category, sum(names), sum(size), sum(allocated) FROM (
            SELECT category, count(*) AS names, max(size) AS size, max(allocated) AS allocated FROM files
            WHERE path != '.gitkeep' AND path NOT GLOB '*/.gitkeep' GROUP BY category, inode)
        GROUP BY category ORDER BY category
        """
    static let usage = "SELECT category, files, bytes, allocated FROM usage WHERE files != 0 ORDER BY category"
    static let insertTriggers =
        "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND sql LIKE '% INSERT ON files%'"

    @Test func aKilledFirstScanIsCompletedByTheNext() throws {
        let tree = try TemporaryTree()
        #expect(try tree.storekeeper(["init"]).status == 0)
        // 60 folders of 1000 files (sizes vary, some hard links), enough for several batches.
        try tree.sh(
            """
            for d in $(seq 60); do
              mkdir -p frames/video_$d
              (cd frames/video_$d && for f in $(seq 1000); do printf '%*s' $((f % 97)) '' > f_$f.jpg; done)
              ln frames/video_$d/f_1.jpg frames/video_$d/link.jpg
            done
            """)
        let triggersBefore = try tree.sqlite(Self.insertTriggers)

        let scan = Process()
        scan.executableURL = URL(fileURLWithPath: StorekeeperBinary.path)
        scan.arguments = ["scan", "--config", tree.configPath]
        scan.standardOutput = FileHandle.nullDevice
        scan.standardError = FileHandle.nullDevice
        try scan.run()
        // Killed once a batch is in, or at the end if the scan outran the poll.
        try waitFor("the first batch of the scan", timeout: 120) {
            guard scan.isRunning else { return true }
            return (Int(try tree.sqlite("SELECT count(*) FROM files")) ?? 0) > 0
        }
        kill(scan.processIdentifier, SIGKILL)
        scan.waitUntilExit()

        // What the killed scan left is consistent: usage adds up, the triggers are all there.
        #expect(try tree.sqlite("PRAGMA integrity_check") == "ok")
        #expect(try tree.sqlite(Self.insertTriggers) == triggersBefore)
        #expect(try tree.sqlite(Self.usage) == tree.sqlite(Self.recount))

        let again = try tree.storekeeper(["scan"])
        #expect(again.status == 0, "\(again.stderr)")
        let verify = try tree.storekeeper(["verify"])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        let onDisk = try tree.sh("find . -path ./.storekeeper -prune -o ! -type d -print | wc -l").stdout
        #expect(try tree.sqlite("SELECT count(*) FROM files") == onDisk.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(try Int(tree.sqlite("SELECT count(*) FROM files WHERE category = 'frames'")) ?? 0 >= 60060)
        #expect(try tree.sqlite(Self.usage) == tree.sqlite(Self.recount))
    }
}
