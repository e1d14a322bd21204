import Foundation
import Glibc
import StorekeeperEngine
import TestSupport
import Testing

/// Adversarial workloads for the daemon: bursts, a paused daemon, overflows,
/// crashes, the watch limit. Each ends with `verify` finding nothing.
@Suite struct WatcherStressTests {
    @Test func aBurstFromFourWritersIsIndexedExactly() throws {
        let (tree, daemon) = try WatcherScenarioTests.watched()
        // 4 writers × 25 folders × 1000 files = 100k files.
        try tree.sh(
            """
            for w in 1 2 3 4; do
              ( for d in $(seq 1 25); do mkdir -p frames/w$w/v$d; cd frames/w$w/v$d; touch $(seq -f 'frame_%g.jpg' 1 1000); cd - >/dev/null; done ) &
            done
            wait
            """)
        try WatcherScenarioTests.expectMatch(tree, daemon)
        // The 100k frames; the folder's .gitkeep is layout, not counted.
        #expect(try tree.sqlite("SELECT files FROM usage WHERE category = 'frames'") == "100000")
        #expect(
            daemon.health?["overflows"] as? Int == 0,
            "one burst of 4 shell writers should not overflow a draining reader")
    }

    @Test func aPausedDaemonCatchesUpWithAShuffle() throws {
        let (tree, daemon) = try WatcherScenarioTests.watched(
            "for d in a b c d e; do mkdir -p temp/$d/sub; for i in 1 2 3 4 5; do echo $i > temp/$d/f$i; echo $i > temp/$d/sub/g$i; done; done"
        )
        try WatcherScenarioTests.expectMatch(tree, daemon)
        daemon.signal(SIGSTOP)
        // A deterministic shuffle of creates, renames, deletes and folder moves.
        var state: UInt64 = 7
        func pick(_ n: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(n))
        }
        var script = ""
        for step in 0..<300 {
            let folder = ["a", "b", "c", "d", "e"][pick(5)]
            switch pick(6) {
            case 0: script += "echo \(step) > temp/\(folder)/n\(step) 2>/dev/null || true\n"
            case 1: script += "mv temp/\(folder)/f\(pick(5) + 1) temp/\(folder)/r\(step) 2>/dev/null || true\n"
            case 2: script += "rm -f temp/\(folder)/sub/g\(pick(5) + 1)\n"
            case 3:
                let other = ["a", "b", "c", "d", "e"][pick(5)]
                script +=
                    "[ -d temp/\(folder)/sub ] && [ ! -e temp/\(other)/moved\(step) ] && mv temp/\(folder)/sub temp/\(other)/moved\(step) && mkdir temp/\(folder)/sub || true\n"
            case 4: script += "mv temp/\(folder) temp/tmp\(step) && mv temp/tmp\(step) temp/\(folder) || true\n"
            default: script += "echo grow >> temp/\(folder)/n\(max(0, step - 3)) 2>/dev/null || true\n"
            }
        }
        try tree.sh(script)
        daemon.signal(SIGCONT)
        try WatcherScenarioTests.expectMatch(tree, daemon)
    }

    @Test func aForcedOverflowIsLoggedCountedAndRepaired() throws {
        let limit = Inotify.maxQueuedEvents ?? 16_384
        // Each touch of a new file in a watched folder queues at least two events
        // (CREATE, then ATTRIB or CLOSE_WRITE): this is well past the kernel's limit.
        let folders = (limit / 2 + 5000 + 999) / 1000
        let (tree, daemon) = try WatcherScenarioTests.watched(
            "mkdir -p temp/old && (cd temp/old && touch $(seq -f 'o%g' 1 3000)) && for d in $(seq 1 \(folders)); do mkdir temp/new$d; done"
        )
        try WatcherScenarioTests.expectMatch(tree, daemon)
        daemon.signal(SIGSTOP)
        try tree.sh(
            """
            for d in $(seq 1 \(folders)); do (cd temp/new$d && touch $(seq -f 'n%g' 1 1000)); done
            rm -rf temp/old
            """)
        daemon.signal(SIGCONT)
        try WatcherScenarioTests.expectMatch(tree, daemon)
        try waitFor("the overflow to be counted") { (daemon.health?["overflows"] as? Int ?? 0) >= 1 }
        #expect(daemon.log.contains("inotify queue overflowed"), "\(daemon.log)")
        #expect(try tree.sqlite("SELECT count(*) FROM files WHERE path LIKE 'temp/old/%'") == "0")
    }

    @Test func aCrashMidBurstIsRepairedByTheNextStart() throws {
        let (tree, daemon) = try WatcherScenarioTests.watched()
        let writer = Process()
        writer.executableURL = URL(fileURLWithPath: "/bin/bash")
        writer.arguments = [
            "-c",
            "for d in $(seq 1 30); do mkdir -p uploads/b$d; (cd uploads/b$d && touch $(seq -f 'u%g' 1 500)); done",
        ]
        writer.currentDirectoryURL = URL(fileURLWithPath: tree.base)
        try writer.run()
        try waitFor("the burst to be under way") {
            Int(try tree.sqlite("SELECT files FROM usage WHERE category = 'uploads'")) ?? 0 > 1000
        }
        daemon.signal(SIGKILL)
        writer.waitUntilExit()
        _ = try daemon.waitForExit()
        let restarted = try DaemonProcess(tree)
        try WatcherScenarioTests.expectMatch(tree, restarted)
        #expect(
            try tree.sqlite("SELECT files FROM usage WHERE category = 'uploads'") == "15000",
            "the .gitkeep is not counted")
    }

    @Test func theWatchLimitIsLoudAndTheIndexStaysExact() throws {
        let tree = try TemporaryTree()
        #expect(try tree.storekeeper(["init"]).status == 0)
        try tree.sh("for d in $(seq 1 20); do mkdir -p frames/v$d; echo $d > frames/v$d/f; done")
        // A user namespace has its own inotify watch limit: lower it for this daemon only.
        let script = "echo 10 > /proc/sys/user/max_inotify_watches && exec \"$@\""
        let daemon = try DaemonProcess(
            tree, prefix: ["unshare", "--user", "--map-root-user", "sh", "-c", script, "sh"],
            environment: ["STOREKEEPER_DEGRADED_RECONCILE_SECONDS": "0.5"])
        #expect(daemon.health?["degraded"] as? Bool == true)
        #expect(daemon.log.contains("inotify watch limit reached"), "\(daemon.log)")
        #expect(daemon.log.contains("sysctl fs.inotify.max_user_watches="))
        let stats = try tree.storekeeper(["stats"])
        #expect(stats.stdout.contains("DEGRADED"), "\(stats.stdout)")
        // Changes in unwatched folders are still found, by the periodic reconcile.
        try tree.sh("echo late > frames/v20/late && rm frames/v19/f")
        try WatcherScenarioTests.expectMatch(tree, daemon)
        // Raise the limit: the next periodic reconcile watches everything again.
        let raise = try Shell.run(
            [
                "nsenter", "--user", "--target", String(daemon.pid), "sh", "-c",
                "echo 100000 > /proc/sys/user/max_inotify_watches",
            ],
            in: "/")
        #expect(raise.status == 0, "\(raise.stderr)")
        try waitFor("the daemon to leave the degraded state") { daemon.health?["degraded"] as? Bool == false }
        #expect(daemon.log.contains("every directory is watched again"))
    }
}
