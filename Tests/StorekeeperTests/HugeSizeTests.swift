import Foundation
import Glibc
import TestSupport
import Testing

/// Anyone who can write into the tree chooses the sizes `lstat` reports: two
/// sparse files of 1.5·2^62 bytes sum past Int64.max. No command and no
/// daemon may trap on that; byte totals saturate at 2^63-1 instead.
@Suite struct HugeSizeTests {
    /// 1.5·2^62 bytes: one fits Int64, two do not.
    static let huge = "6917529027641081856"

    /// A small tmpfs holding the whole tree (tmpfs takes sparse files of any
    /// size), unmounted when `body` returns or throws.
    static func withTmpfs(_ body: (String) throws -> Void) throws {
        let mountPoint = FileManager.default.temporaryDirectory.appendingPathComponent("huge-\(UUID().uuidString)").path
        let disk = try SmallFilesystem(at: mountPoint, size: "64m")
        try withExtendedLifetime(disk) { try body(disk.path) }
    }

    static func tree(under mountPoint: String) throws -> TemporaryTree {
        let tree = try TemporaryTree(under: mountPoint)
        let result = try tree.storekeeper(["init"])
        try #require(result.status == 0, "\(result.stderr)")
        return tree
    }

    /// Two huge sparse files in each of `folders` (those in temp/ expired).
    static func makeHugeFiles(_ tree: TemporaryTree, in folders: [String], prefix: String = "big") throws {
        for folder in folders {
            try tree.sh("truncate -s \(huge) \(folder)/\(prefix)1 \(folder)/\(prefix)2")
            if folder == "temp" { try tree.sh("touch -d '3 days ago' temp/\(prefix)1 temp/\(prefix)2") }
        }
    }

    /// Exit 0, or 1 with an `Error:` line; never a signal, never a Swift trap.
    static func expectNoCrash(_ result: Shell.Result, _ command: [String]) {
        let said = "storekeeper \(command.joined(separator: " ")): status \(result.status)\n\(result.stderr)"
        #expect(result.status == 0 || result.status == 1, "\(said)")
        if result.status == 1 { #expect(result.stderr.contains("Error:"), "\(said)") }
        for trap in ["Fatal error", "arithmetic overflow", "Illegal instruction"] {
            #expect(!result.stderr.contains(trap), "\(said)")
        }
    }

    static func statsJSON(_ tree: TemporaryTree) throws -> [String: Any] {
        let result = try tree.storekeeper(["stats", "--json"])
        expectNoCrash(result, ["stats", "--json"])
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    }

    @Test(.enabled(if: geteuid() == 0, "mounts a tmpfs, which needs root"))
    func everyCommandSurvivesSizesWhoseSumOverflows() throws {
        try Self.withTmpfs { mountPoint in
            let tree = try Self.tree(under: mountPoint)
            try Self.makeHugeFiles(tree, in: ["temp", "outputs", "frames"])
            let commands = [
                ["scan"], ["stats"], ["stats", "--json"], ["stats", "--prometheus"], ["verify"],
                ["clean", "--dry-run"],
                ["clean"], ["stats"], ["trash", "list"], ["trash", "list", "--json"], ["stats", "--prometheus"],
                ["trash", "empty", "--all"], ["jobs"], ["check"],
            ]
            for command in commands {
                Self.expectNoCrash(try tree.storekeeper(command), command)
            }
            let stats = try Self.statsJSON(tree)
            // outputs is never cleaned: its two files still saturate the totals.
            #expect(stats["total_bytes"] as? Int64 == Int64.max)
            let outputs = (stats["categories"] as? [String: Any])?["outputs"] as? [String: Any]
            #expect(outputs?["bytes"] as? Int64 == Int64.max)
            let verify = try tree.storekeeper(["verify"])
            #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        }
    }

    @Test(.enabled(if: geteuid() == 0, "mounts a tmpfs, which needs root"))
    func cleanAndTrashAddUpWhatTheyRemovedWithoutTrapping() throws {
        try Self.withTmpfs { mountPoint in
            let tree = try Self.tree(under: mountPoint)
            try Self.makeHugeFiles(tree, in: ["temp", "frames"])
            Self.expectNoCrash(try tree.storekeeper(["scan"]), ["scan"])

            let clean = try tree.storekeeper(["clean", "--json"])
            Self.expectNoCrash(clean, ["clean", "--json"])
            let report = try #require(try JSONSerialization.jsonObject(with: Data(clean.stdout.utf8)) as? [String: Any])
            // The expired temp files go into the trash. Quotas and "freed" count
            // allocated blocks, which sparse files have none of: frames is not
            // over its quota, and nothing was freed.
            #expect(report["total_files_removed"] as? Int == 2, "\(clean.stdout)")
            #expect(report["total_bytes_freed"] as? Int64 == 0)

            let list = try tree.storekeeper(["trash", "list", "--json"])
            Self.expectNoCrash(list, ["trash", "list", "--json"])
            let trash = try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [String: Any])
            #expect(trash["total_items"] as? Int == 2)
            #expect(trash["total_bytes"] as? Int64 == Int64.max)
            #expect((try Self.statsJSON(tree)["trash"] as? [String: Any])?["bytes"] as? Int64 == Int64.max)

            let empty = try tree.storekeeper(["trash", "empty", "--all"])
            Self.expectNoCrash(empty, ["trash", "empty", "--all"])
            #expect(empty.status == 0)
            // The purge updated its table after deleting: nothing is left in either.
            #expect(try tree.sqlite("SELECT count(*) FROM trash") == "0")
            #expect(try tree.sqlite("SELECT files FROM trash_usage") == "0")
            #expect(
                try tree.sqlite("SELECT bytes FROM cleanup_totals WHERE reason = 'trash_purge' AND category = 'temp'")
                    == "9223372036854775807")
            let verify = try tree.storekeeper(["verify"])
            #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        }
    }

    @Test(.enabled(if: geteuid() == 0, "mounts a tmpfs, which needs root"))
    func theDaemonAndItsEndpointsSurviveSizesWhoseSumOverflows() throws {
        try Self.withTmpfs { mountPoint in
            let tree = try Self.tree(under: mountPoint)
            try Self.makeHugeFiles(tree, in: ["temp", "outputs", "frames"])
            let daemon = try DaemonProcess(tree)
            let started = Int(Date().timeIntervalSince1970)
            // More while it runs: the watcher adds them to totals already past Int64.max.
            try Self.makeHugeFiles(tree, in: ["outputs", "frames", "uploads"], prefix: "more")

            for path in ["/api/v1/storage/stats", "/metrics", "/health"] {
                let response = try HTTPClient.curl([daemon.url + path])
                #expect(
                    response.status == 200 || (path == "/health" && response.status == 503), "\(path): \(response.head)"
                )
            }
            let stats = try #require(try HTTPClient.curl([daemon.url + "/api/v1/storage/stats"]).json)
            #expect(stats["total_bytes"] as? Int64 == Int64.max)
            #expect(try HTTPClient.curl([daemon.url + "/metrics"]).body.contains("storekeeper_category_bytes"))

            // A cleanup through the API moves the expired temp files into the
            // trash, where the trash's bytes pass Int64.max too.
            let cleanup = try HTTPClient.curl(["-X", "POST", daemon.url + "/api/v1/storage/cleanup?dry_run=false"])
            #expect(cleanup.status == 200, "\(cleanup.body)")
            #expect(!FileManager.default.fileExists(atPath: tree.base + "/temp/big1"))
            #expect(daemon.process.isRunning, "\(daemon.log)")
            // A few more seconds of policy checks, health writes and requests.
            try waitFor("a few seconds of the daemon's loop", timeout: 60) {
                guard daemon.process.isRunning else { return true }
                _ = try HTTPClient.curl([daemon.url + "/api/v1/storage/stats"])
                return (daemon.health?["updated_at_seconds"] as? Int ?? 0) >= started + 4
            }
            #expect(daemon.process.isRunning, "the daemon died:\n\(daemon.log)")
            #expect(!daemon.log.contains("Fatal error"), "\(daemon.log)")
            let after = try #require(try HTTPClient.curl([daemon.url + "/api/v1/storage/stats"]).json)
            #expect((after["trash"] as? [String: Any])?["bytes"] as? Int64 == Int64.max)
            #expect(try HTTPClient.curl([daemon.url + "/metrics"]).status == 200)

            #expect(try daemon.stop() == 0, "\(daemon.log)")
            let verify = try tree.storekeeper(["verify"])
            #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        }
    }
}
