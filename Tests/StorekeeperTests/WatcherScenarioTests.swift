import Foundation
import Glibc
import TestSupport
import Testing

/// The cases an inotify watcher gets wrong (long-lived writers, atomic saves,
/// folders filled before their watch, folders moved in, out and renamed,
/// swaps, hard links, symlinks, mounts, hostile names), each one
/// driven through the real daemon on a temp tree and judged by `verify`.
@Suite struct WatcherScenarioTests {
    /// A tree with the layout made and the daemon watching it.
    static func watched(_ setup: String = "") throws -> (TemporaryTree, DaemonProcess) {
        let tree = try TemporaryTree()
        let initResult = try tree.storekeeper(["init"])
        precondition(initResult.status == 0, initResult.stderr)
        if !setup.isEmpty { try tree.sh(setup) }
        return (tree, try DaemonProcess(tree))
    }

    static func expectMatch(
        _ tree: TemporaryTree, _ daemon: DaemonProcess, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let listing = try tree.waitUntilIndexMatches()
        #expect(
            listing == nil, "index differs from disk:\n\(listing ?? "")\n\(daemon.log)", sourceLocation: sourceLocation)
    }

    // 1
    @Test func createWriteClose() throws {
        let (tree, daemon) = try Self.watched()
        try tree.sh(
            "exec 3>temp/a; head -c 524288 /dev/zero >&3; head -c 262144 /dev/zero >&3; head -c 262144 /dev/zero >&3; exec 3>&-"
        )
        try Self.expectMatch(tree, daemon)
        #expect(try tree.sqlite("SELECT size FROM files WHERE path = 'temp/a'") == "1048576")
    }

    // 2
    @Test func aLongLivedWriterIsFollowedWithoutClose() throws {
        let (tree, daemon) = try Self.watched()
        let handle = try #require(
            FileHandle(
                forWritingAtPath: {
                    _ = FileManager.default.createFile(atPath: tree.base + "/uploads/live", contents: nil);
                    return tree.base + "/uploads/live"
                }()))
        for round in 1...5 {
            handle.write(Data(repeating: 0x41, count: 1000))
            try waitFor("size \(round * 1000) while the writer keeps the file open") {
                try tree.sqlite("SELECT size FROM files WHERE path = 'uploads/live'") == String(round * 1000)
            }
        }
        try handle.close()
        try Self.expectMatch(tree, daemon)
    }

    // 3
    @Test func touchAndTruncateAreSeen() throws {
        let (tree, daemon) = try Self.watched("echo hello > frames/a; echo hello > frames/b")
        try Self.expectMatch(tree, daemon)
        try tree.sh("touch -d 2001-01-01T00:00:00Z frames/a; truncate -s 0 frames/b")
        try Self.expectMatch(tree, daemon)
        #expect(try tree.sqlite("SELECT mtime FROM files WHERE path = 'frames/a'") == "978307200")
        #expect(try tree.sqlite("SELECT size FROM files WHERE path = 'frames/b'") == "0")
    }

    // 4
    @Test func atomicSaveReplacesTheRow() throws {
        let (tree, daemon) = try Self.watched("echo old > outputs/a")
        try tree.sh("echo newer-content > outputs/a.tmp && mv outputs/a.tmp outputs/a")
        try Self.expectMatch(tree, daemon)
        #expect(try tree.sqlite("SELECT count(*) FROM files WHERE path LIKE 'outputs/a%'") == "1")
        #expect(try tree.sqlite("SELECT size FROM files WHERE path = 'outputs/a'") == "14")
        #expect(try tree.sqlite("SELECT count(*) FROM events WHERE action = 'move' AND new_path = 'outputs/a'") == "1")
    }

    // 5 and 11
    @Test func removedAndMovedOutFilesLeave() throws {
        let outsideDirectory = try TemporaryDirectory(prefix: "out")
        defer { withExtendedLifetime(outsideDirectory) {} }
        let outside = outsideDirectory.path
        let (tree, daemon) = try Self.watched("echo a > temp/a; echo b > temp/b")
        try Self.expectMatch(tree, daemon)
        try tree.sh("rm temp/a; mv temp/b '\(outside)/'")
        try Self.expectMatch(tree, daemon)
        #expect(try tree.sqlite("SELECT count(*) FROM events WHERE action = 'delete' AND path = 'temp/a'") == "1")
        #expect(try tree.sqlite("SELECT count(*) FROM files WHERE path IN ('temp/a', 'temp/b')") == "0")
    }

    // 6
    @Test func aDeepMkdirBurstIsWatchedAndIndexed() throws {
        let (tree, daemon) = try Self.watched()
        let watchesBefore = daemon.health?["watches"] as? Int ?? 0
        try tree.sh("mkdir -p temp/d1/d2/d3 && echo x > temp/d1/d2/d3/f")
        try Self.expectMatch(tree, daemon)
        #expect(try tree.sqlite("SELECT size FROM files WHERE path = 'temp/d1/d2/d3/f'") == "2")
        try waitFor("three new watches") { (daemon.health?["watches"] as? Int ?? 0) == watchesBefore + 3 }
        // The new folders are watched: a later write inside is seen.
        try tree.sh("echo more >> temp/d1/d2/d3/f")
        try Self.expectMatch(tree, daemon)
    }

    // 7
    @Test func aPopulatedTreeMovedInIsIndexed() throws {
        let outsideDirectory = try TemporaryDirectory(prefix: "in")
        defer { withExtendedLifetime(outsideDirectory) {} }
        let outside = outsideDirectory.path
        try Shell.run(
            [
                "bash", "-c",
                "mkdir -p '\(outside)'/a/b/c/d/e && for d in a a/b a/b/c a/b/c/d a/b/c/d/e; do for i in $(seq 1 200); do echo $i > '\(outside)'/$d/f$i; done; done",
            ],
            in: "/")
        let (tree, daemon) = try Self.watched()
        try tree.sh("mv '\(outside)/a' frames/video_1")
        try Self.expectMatch(tree, daemon)
        #expect(
            try tree.sqlite("SELECT count(*) FROM files WHERE path > 'frames/video_1/' AND path < 'frames/video_10'")
                == "1000")
        try tree.sh("echo new > frames/video_1/b/c/d/e/late")
        try Self.expectMatch(tree, daemon)
    }

    // 8 and 9
    @Test func renamedFoldersKeepTheirWatches() throws {
        let (tree, daemon) = try Self.watched(
            "mkdir -p temp/d1/inner && echo old > temp/d1/old && echo i > temp/d1/inner/i")
        try Self.expectMatch(tree, daemon)
        try tree.sh(
            "mv temp/d1 temp/d2 && echo new > temp/d2/new && echo changed >> temp/d2/old && echo x >> temp/d2/inner/i")
        try Self.expectMatch(tree, daemon)
        #expect(try tree.sqlite("SELECT count(*) FROM files WHERE path LIKE 'temp/d1/%'") == "0")
        try tree.sh("mv temp/d2 temp/d3 && mv temp/d3 frames/d4 && echo y > frames/d4/inner/y")
        try Self.expectMatch(tree, daemon)
        #expect(try tree.sqlite("SELECT DISTINCT category FROM files WHERE path LIKE 'frames/d4/%'") == "frames")
        #expect(
            try tree.sqlite("SELECT count(*) FROM events WHERE action = 'move' AND detail LIKE 'directory%'") != "0")
    }

    // 10
    @Test func aFolderMovedOutLeavesNoRowsAndNoWatches() throws {
        let outsideDirectory = try TemporaryDirectory(prefix: "gone")
        defer { withExtendedLifetime(outsideDirectory) {} }
        let outside = outsideDirectory.path
        let (tree, daemon) = try Self.watched(
            "mkdir -p uploads/day/sub && echo 1 > uploads/day/a && echo 2 > uploads/day/sub/b")
        try Self.expectMatch(tree, daemon)
        let watches = daemon.health?["watches"] as? Int ?? 0
        try tree.sh("mv uploads/day '\(outside)/'")
        try Self.expectMatch(tree, daemon)
        try waitFor("the moved-out watches to go") { (daemon.health?["watches"] as? Int ?? 0) == watches - 2 }
        try Shell.run(["bash", "-c", "echo later > '\(outside)/day/c'"], in: "/")
        try Self.expectMatch(tree, daemon)
        #expect(try tree.sqlite("SELECT count(*) FROM files WHERE path LIKE 'uploads/day%'") == "0")
    }

    // 12
    @Test func swappedNamesSwapTheirRows() throws {
        let (tree, daemon) = try Self.watched("echo aaaa > outputs/a; echo bb > outputs/b")
        try Self.expectMatch(tree, daemon)
        try tree.sh("mv outputs/a outputs/t; mv outputs/b outputs/a; mv outputs/t outputs/b")
        try Self.expectMatch(tree, daemon)
        #expect(try tree.sqlite("SELECT size FROM files WHERE path = 'outputs/a'") == "3")
        #expect(try tree.sqlite("SELECT size FROM files WHERE path = 'outputs/b'") == "5")
    }

    // 13
    @Test func removingATenThousandFileSubtree() throws {
        let (tree, daemon) = try Self.watched(
            "for d in $(seq 1 100); do mkdir -p frames/big/v$d; (cd frames/big/v$d && touch $(seq -f 'f%g' 1 100)); done"
        )
        try Self.expectMatch(tree, daemon)
        #expect(try tree.sqlite("SELECT count(*) FROM files WHERE category = 'frames'") == "10001")
        let watches = daemon.health?["watches"] as? Int ?? 0
        try tree.sh("rm -rf frames/big")
        try Self.expectMatch(tree, daemon)
        try waitFor("the subtree's 101 watches to go") { (daemon.health?["watches"] as? Int ?? 0) == watches - 101 }
        #expect(daemon.health?["full_reconciles"] as? Int == 1, "no recrawl storm: only the startup reconcile")
    }

    // 14
    @Test func deleteAndRecreateTheSameName() throws {
        let (tree, daemon) = try Self.watched("mkdir -p temp/d && echo 1 > temp/d/old")
        try Self.expectMatch(tree, daemon)
        try tree.sh("rm -rf temp/d && mkdir temp/d && touch temp/d/x")
        try Self.expectMatch(tree, daemon)
        #expect(try tree.sqlite("SELECT path FROM files WHERE path LIKE 'temp/d/%'") == "temp/d/x")
    }

    // 16
    @Test func offlineDriftIsRepairedAtStartup() throws {
        let (tree, daemon) = try Self.watched("mkdir -p temp/j && echo 1 > temp/j/a && echo 2 > temp/j/b")
        try Self.expectMatch(tree, daemon)
        #expect(try daemon.stop() == 0)
        try tree.sh("echo 3 > temp/j/c; rm temp/j/a; echo 22 >> temp/j/b; mv temp/j temp/k")
        #expect(try tree.storekeeper(["verify"]).status == 1)
        let restarted = try DaemonProcess(tree)
        try Self.expectMatch(tree, restarted)
    }

    // 18
    @Test func hardLinksAreTwoRowsWithOneInode() throws {
        let (tree, daemon) = try Self.watched("echo data > outputs/a")
        try tree.sh("ln outputs/a outputs/b")
        try Self.expectMatch(tree, daemon)
        #expect(
            try tree.sqlite(
                "SELECT count(DISTINCT inode) || ',' || count(*) FROM files WHERE path IN ('outputs/a', 'outputs/b')")
                == "1,2")
    }

    // 20
    @Test func symlinksAreIndexedAsLinksAndNeverFollowed() throws {
        let outsideDirectory = try TemporaryDirectory(prefix: "target")
        defer { withExtendedLifetime(outsideDirectory) {} }
        let outside = outsideDirectory.path
        let (tree, daemon) = try Self.watched()
        let watches = daemon.health?["watches"] as? Int ?? 0
        try tree.sh("ln -s '\(outside)' temp/dirlink && ln -s /etc/hostname temp/filelink")
        try Self.expectMatch(tree, daemon)
        try Shell.run(["bash", "-c", "echo x > '\(outside)/inside'"], in: "/")
        try Self.expectMatch(tree, daemon)
        #expect(
            try tree.sqlite("SELECT group_concat(kind) FROM files WHERE path IN ('temp/dirlink', 'temp/filelink')")
                == "symlink,symlink")
        #expect(try tree.sqlite("SELECT count(*) FROM files WHERE path LIKE 'temp/dirlink/%'") == "0")
        #expect(daemon.health?["watches"] as? Int == watches)
    }

    // 21
    @Test(.enabled(if: geteuid() == 0, "mounts a tmpfs, which needs root"))
    func anotherMountInsideIsNotCrossed() throws {
        let (tree, daemon) = try Self.watched("mkdir -p temp/m && echo before > temp/m/under")
        try Self.expectMatch(tree, daemon)
        let mount = try Shell.run(["mount", "-t", "tmpfs", "tmpfs", tree.base + "/temp/m"], in: "/")
        try #require(mount.status == 0, "mount needs root: \(mount.stderr)")
        defer { _ = try? Shell.run(["umount", "-l", tree.base + "/temp/m"], in: "/") }
        try tree.sh("echo on-tmpfs > temp/m/over && echo x > temp/after")
        // The next reconcile (a restart) sees the mount point and does not cross it.
        #expect(try daemon.stop() == 0)
        let restarted = try DaemonProcess(tree)
        try Self.expectMatch(tree, restarted)
        #expect(try tree.sqlite("SELECT count(*) FROM files WHERE path LIKE 'temp/m/%'") == "0")
        _ = try Shell.run(["umount", tree.base + "/temp/m"], in: "/")
        try restarted.stop()
        let again = try DaemonProcess(tree)
        try Self.expectMatch(tree, again)
        #expect(try tree.sqlite("SELECT count(*) FROM files WHERE path = 'temp/m/under'") == "1")
    }

    // 22
    @Test func theBaseRemovedStopsTheDaemonLoudly() throws {
        let (tree, daemon) = try Self.watched()
        try Shell.run(["mv", tree.base, tree.root + "/moved"], in: "/")
        let status = try daemon.waitForExit()
        #expect(status == 1)
        #expect(daemon.log.contains("the storage base was moved"), "\(daemon.log)")
    }

    // 23
    @Test func hostileNamesRoundTrip() throws {
        let (tree, daemon) = try Self.watched()
        let newline = "temp/line\nbreak".bytes
        let invalid = "temp/bad".bytes + [0xFF, 0xC3, 0x28]
        let long = "temp/".bytes + [UInt8](repeating: 0x7A, count: 255)
        let dash = "temp/-rf".bytes
        let spaced = "temp/with  spaces ".bytes
        for name in [newline, invalid, long, dash, spaced] { tree.writeFile(name, size: 3) }
        try Self.expectMatch(tree, daemon)
        let renamed = "temp/".bytes + [UInt8](repeating: 0x79, count: 255)
        tree.rename(long, renamed)
        tree.rename(invalid, "temp/moved\n".bytes + [0xFE])
        tree.remove(newline)
        try Self.expectMatch(tree, daemon)
        #expect(try tree.sqlite("SELECT count(*) FROM files WHERE category = 'temp'") == "5")
    }

    // 24
    @Test(.enabled(if: geteuid() == 0, "runs storekeeper as nobody (chown, setpriv), which needs root"))
    func aFolderTheDaemonCannotReadKeepsItsRows() throws {
        let tree = try TemporaryTree()
        #expect(try tree.storekeeper(["init"]).status == 0)
        try tree.sh("mkdir -p uploads/locked && echo a > uploads/locked/a")
        #expect(try Shell.run(["chown", "-R", "65534:65534", tree.root], in: "/").status == 0)
        // Root reads everything: run the daemon as nobody.
        let daemon = try DaemonProcess(tree, prefix: ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"])
        try Self.expectMatch(tree, daemon)
        try tree.sh(
            "chmod 000 uploads/locked && echo b > uploads/locked/b && echo c > uploads/c && chown 65534 uploads/c")
        try waitFor("uploads/c to be indexed") {
            try tree.sqlite("SELECT count(*) FROM files WHERE path = 'uploads/c'") == "1"
        }
        #expect(try tree.sqlite("SELECT count(*) FROM files WHERE path = 'uploads/locked/a'") == "1")
        try tree.sh("chmod 755 uploads/locked")
        try daemon.stop()
        let restarted = try DaemonProcess(
            tree, prefix: ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"])
        try Self.expectMatch(tree, restarted)
    }
}
