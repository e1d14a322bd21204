import Foundation
import Glibc
import TestSupport
import Testing

/// The daemon's HTTP server through curl and raw sockets: every endpoint,
/// every kind of bad request, bursts of requests; the daemon stays up and
/// the index stays exact throughout.
@Suite struct HTTPTests {
    /// A tree with an expired and a fresh temp file, an upload, and a daemon.
    /// A tree with an expired and a fresh temp file and an upload, no daemon
    /// yet. Scheduled cleanups are pushed to New Year, so none runs mid-test.
    static func prepared(_ extra: String = "", useTrash: Bool = false) throws -> TemporaryTree {
        let tree = try TemporaryTree()
        try tree.writeConfig(
            """
            storage:
              base_path: "\(tree.base)"
              cleanup:
                use_trash: \(useTrash)
                schedule: "0 0 1 1 *"
                temp_schedule: "0 0 1 1 *"
            \(extra)
            """)
        #expect(try tree.storekeeper(["init"]).status == 0)
        try tree.sh(
            "mkdir -p temp/job uploads/2026-01-01 && head -c 100 /dev/zero > temp/job/old.part && touch -d '2 days ago' temp/job/old.part"
                + " && head -c 30 /dev/zero > temp/job/new.part && head -c 7 /dev/zero > uploads/2026-01-01/a.mp4")
        return tree
    }

    /// `prepared`, with a daemon watching it.
    static func served(_ extra: String = "", environment: [String: String] = [:]) throws -> (
        TemporaryTree, DaemonProcess
    ) {
        let tree = try prepared(extra)
        return (tree, try DaemonProcess(tree, environment: environment))
    }

    static func expectAlive(
        _ tree: TemporaryTree, _ daemon: DaemonProcess, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        #expect(daemon.process.isRunning, "the daemon died:\n\(daemon.log)", sourceLocation: sourceLocation)
        #expect(try HTTPClient.curl([daemon.url + "/health"]).status == 200, sourceLocation: sourceLocation)
        try WatcherScenarioTests.expectMatch(tree, daemon, sourceLocation: sourceLocation)
    }

    @Test func everyEndpointAnswers() throws {
        let (tree, daemon) = try Self.served()
        try Self.expectTheReadingEndpoints(tree, daemon)
        try Self.expectTheCleanupEndpoint(tree, daemon)
    }

    /// /metrics (GET and HEAD), /health, the stats and validate APIs.
    static func expectTheReadingEndpoints(_ tree: TemporaryTree, _ daemon: DaemonProcess) throws {
        #expect(daemon.port > 0, "the health file names the port: \(String(describing: daemon.health))")

        let metrics = try HTTPClient.curl([daemon.url + "/metrics"])
        #expect(metrics.status == 200)
        #expect(metrics.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
        #expect(metrics.header("Connection") == "close")
        #expect(metrics.body.contains("storekeeper_category_bytes{category=\"temp\"} 130\n"))
        let uploads = try tree.sqlite("SELECT files FROM usage WHERE category = 'uploads'")
        #expect(uploads == "1", "a.mp4; the .gitkeep is layout, not counted")
        #expect(metrics.body.contains("storekeeper_category_files{category=\"uploads\"} \(uploads)\n"))
        #expect(metrics.body.contains("storekeeper_daemon_up 1\n"))
        // The newest migration in schema/: they are numbered from 1 without gaps.
        let schema = try FileManager.default.contentsOfDirectory(atPath: Repository.root + "/schema")
            .filter { $0.hasSuffix(".sql") }.count
        #expect(metrics.body.contains("storekeeper_build_info{version=\"0.1.0\",index_schema=\"\(schema)\"} 1\n"))
        #expect(
            metrics.body.contains(
                "storekeeper_cleanup_removed_files_total{category=\"frames\",reason=\"low_disk\"} 0\n"))
        #expect(
            metrics.body.contains(
                "storekeeper_cleanup_skipped_files_total{category=\"uploads\",reason=\"vanished\"} 0\n"))
        #expect(metrics.body.contains("storekeeper_watcher_events_total{kind=\"created\"} 0\n"))

        let head = try HTTPClient.curl(["-I", daemon.url + "/metrics"])
        #expect(head.status == 200 && head.body.isEmpty)
        #expect(Int(head.header("Content-Length") ?? "") == metrics.body.utf8.count)

        let health = try HTTPClient.curl([daemon.url + "/health"])
        #expect(health.status == 200)
        #expect(health.json?["status"] as? String == "ok")
        #expect(health.json?["state"] as? String == "running")
        #expect(health.json?["pid"] as? Int == Int(daemon.pid))

        let stats = try HTTPClient.curl([daemon.url + "/api/v1/storage/stats"])
        #expect(stats.status == 200)
        let cli = try #require(
            try JSONSerialization.jsonObject(with: Data(try tree.storekeeper(["stats", "--json"]).stdout.utf8))
                as? [String: Any])
        #expect(
            NSDictionary(dictionary: stats.json?["categories"] as? [String: Any] ?? [:])
                == NSDictionary(dictionary: cli["categories"] as? [String: Any] ?? ["missing": true]))
        #expect(stats.json?["total_bytes"] as? Int == cli["total_bytes"] as? Int)
        #expect((stats.json?["daemon"] as? [String: Any])?["running"] as? Bool == true)
        // The event log's bounds are those the daemon runs with, as `stats` reads them from the config.
        let apiLog = stats.json?["event_log"] as? [String: Any]
        let cliLog = cli["event_log"] as? [String: Any]
        #expect(cliLog?["max_bytes"] as? Int != nil, "\(cli)")
        #expect(apiLog?["max_bytes"] as? Int == cliLog?["max_bytes"] as? Int, "\(stats.body)")
        #expect(apiLog?["retention_seconds"] as? Int == cliLog?["retention_seconds"] as? Int, "\(stats.body)")

        let validate = try HTTPClient.curl([daemon.url + "/api/v1/storage/validate"])
        #expect(validate.status == 200)
        #expect(validate.json?["valid"] as? Bool == true, "\(validate.body)")
        #expect(validate.json?["messages"] as? [String] == [], "\(validate.body)")
    }

    /// POST /api/v1/storage/cleanup: a dry run unless dry_run=false.
    static func expectTheCleanupEndpoint(_ tree: TemporaryTree, _ daemon: DaemonProcess) throws {
        let dry = try HTTPClient.curl(["-X", "POST", daemon.url + "/api/v1/storage/cleanup"])
        #expect(dry.status == 200, "\(dry.body)")
        #expect(dry.json?["dry_run"] as? Bool == true)
        #expect(dry.json?["total_files_removed"] as? Int == 1)
        #expect(tree.exists("temp/job/old.part"))
        let explicitDry = try HTTPClient.curl(["-X", "POST", daemon.url + "/api/v1/storage/cleanup?dry_run=true"])
        #expect(explicitDry.json?["dry_run"] as? Bool == true)

        let real = try HTTPClient.curl(["-X", "POST", daemon.url + "/api/v1/storage/cleanup?dry_run=false"])
        #expect(real.status == 200, "\(real.body)")
        #expect(real.json?["dry_run"] as? Bool == false)
        #expect(real.json?["trigger"] as? String == "api")
        #expect((real.json ?? [:]).category("temp")["files_removed"] as? Int == 1)
        #expect(!tree.exists("temp/job/old.part"))
        #expect(tree.exists("temp/job/new.part"))
        try Self.expectAlive(tree, daemon)

        let after = try HTTPClient.curl([daemon.url + "/metrics"]).body
        #expect(after.contains("storekeeper_cleanup_removed_files_total{category=\"temp\",reason=\"ttl\"} 1\n"))
        let freed = try HardLinkTests.allocated(forSize: 100)
        #expect(after.contains("storekeeper_cleanup_freed_bytes_total{category=\"temp\",reason=\"ttl\"} \(freed)\n"))
        #expect(after.contains("storekeeper_category_bytes{category=\"temp\"} 30\n"))
        #expect(!after.contains("storekeeper_cleanup_last_success_timestamp_seconds 0\n"))
        #expect(try tree.sqlite("SELECT trigger, dry_run FROM cleanup_runs ORDER BY id") == "api|1\napi|1\napi|0")
    }

    @Test func badRequestsGetTheirStatusAndTheDaemonStaysUp() throws {
        let (tree, daemon) = try Self.served()
        let url = daemon.url
        func status(_ arguments: [String]) throws -> HTTPClient.Response { try HTTPClient.curl(arguments) }

        #expect(try status([url + "/nope"]).status == 404)
        #expect(try status([url + "/metrics/"]).status == 404)
        #expect(try status([url + "/api/v1/storage"]).status == 404)
        #expect(try status([url + "/index.html"]).status == 404, "the status page is at / alone")
        let wrongMethod = try status(["-X", "DELETE", url + "/metrics"])
        #expect(wrongMethod.status == 405)
        #expect(wrongMethod.header("Allow") == "GET, HEAD")
        let postMetrics = try status(["-X", "POST", url + "/health"])
        #expect(postMetrics.status == 405)
        let getCleanup = try status([url + "/api/v1/storage/cleanup?dry_run=false"])
        #expect(getCleanup.status == 405)
        #expect(getCleanup.header("Allow") == "POST")
        #expect(try status(["-X", "POST", url + "/api/v1/storage/cleanup?dry_run=maybe"]).status == 400)
        #expect(try status(["-X", "POST", url + "/api/v1/storage/cleanup?dryrun=false"]).status == 400)
        #expect(try status(["-X", "POST", url + "/api/v1/storage/cleanup?dry_run=false&dry_run=true"]).status == 400)
        #expect(try status([url + "/api/v1/storage/stats?x=%zz"]).status == 400)
        #expect(try status([url + "/metrics?format=json"]).status == 400)
        let oversized = try status(["-H", "X-Big: " + String(repeating: "b", count: 20_000), url + "/metrics"])
        #expect(oversized.status == 431)
        #expect(oversized.header("Connection") == "close")
        #expect(try status([url + "/metrics?" + String(repeating: "q", count: 10_000)]).status == 414)
        #expect(
            try status(["-X", "POST", "-H", "Transfer-Encoding: chunked", "-d", "x", url + "/api/v1/storage/cleanup"])
                .status == 501)
        #expect(
            try status(["-X", "POST", "-d", String(repeating: "x", count: 10_000), url + "/api/v1/storage/cleanup"])
                .status == 413)
        #expect(
            HTTPClient.raw(daemon.port, Array("GET /health HTTP/2.0\r\nHost: x\r\n\r\n".utf8)).hasPrefix(
                "HTTP/1.1 505 "))
        #expect(HTTPClient.raw(daemon.port, Array("GET /health\r\n\r\n".utf8)).hasPrefix("HTTP/1.1 400 "))
        #expect(
            HTTPClient.raw(daemon.port, Array("GET /health HTTP/1.1\r\n\r\n".utf8)).hasPrefix("HTTP/1.1 400 "),
            "no Host")
        #expect(HTTPClient.raw(daemon.port, [0, 1, 2, 0xFF, 10, 13, 10, 10]).hasPrefix("HTTP/1.1 400 "))
        #expect(HTTPClient.raw(daemon.port, Array("GET /health HTTP/1.0\r\n\r\n".utf8)).hasPrefix("HTTP/1.1 200 "))
        #expect(try tree.sqlite("SELECT count(*) FROM cleanup_runs") == "0", "no bad request started a cleanup")

        // A slow client: half a request, then nothing. Others are served meanwhile; it gets a 408.
        let slow = HTTPClient.connectSocket(daemon.port)
        try #require(slow >= 0)
        defer { close(slow) }
        let half = Array("GET /metrics HTTP/1.1\r\nHost: x\r\n".utf8)
        _ = half.withUnsafeBytes { send(slow, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        let started = Date()
        #expect(try status([url + "/health"]).status == 200)
        #expect(Date().timeIntervalSince(started) < 2, "the slow client does not hold up others")
        let answer = HTTPClient.readAll(slow, timeout: 30)
        #expect(answer.hasPrefix("HTTP/1.1 408 "), "\(answer)")
        #expect(Date().timeIntervalSince(started) >= 4, "the read timeout is 5 s")

        try Self.expectAlive(tree, daemon)
    }

    @Test func aThousandSequentialAndFiftyConcurrentRequestsWhileFilesChange() throws {
        let (tree, daemon) = try Self.served()
        let paths = ["/metrics", "/health", "/api/v1/storage/stats", "/api/v1/storage/validate"]
        func configFile(_ count: Int) throws -> String {
            let path = tree.root + "/curl-\(count).conf"
            let lines = (0..<count).map {
                "url = \"\(daemon.url)\(paths[$0 % paths.count])\"\noutput = \"/dev/null\"\n"
            }
            try lines.joined().write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        // Files change all along: the requests must not disturb the watcher.
        let writer = Process()
        writer.executableURL = URL(fileURLWithPath: "/bin/bash")
        writer.arguments = ["-c", "mkdir -p temp/burst && for i in $(seq 1 400); do echo $i > temp/burst/f$i; done"]
        writer.currentDirectoryURL = URL(fileURLWithPath: tree.base)
        try writer.run()

        let sequential = try Shell.run(
            ["curl", "-s", "-w", "%{http_code}\n", "--max-time", "30", "--config", try configFile(1000)], in: "/")
        #expect(sequential.lines.count == 1000)
        #expect(
            sequential.lines.allSatisfy { $0 == "200" },
            "\(Dictionary(grouping: sequential.lines) { $0 }.mapValues(\.count))")

        let concurrent = try Shell.run(
            [
                "curl", "-s", "-w", "%{http_code}\n", "--max-time", "30", "--parallel", "--parallel-immediate",
                "--parallel-max", "50", "--config", try configFile(50),
            ], in: "/")
        #expect(concurrent.lines.count == 50)
        #expect(
            concurrent.lines.allSatisfy { $0 == "200" },
            "\(Dictionary(grouping: concurrent.lines) { $0 }.mapValues(\.count))")

        writer.waitUntilExit()
        try Self.expectAlive(tree, daemon)
        let metrics = try HTTPClient.curl([daemon.url + "/metrics"]).body
        let indexed = try tree.sqlite("SELECT files FROM usage WHERE category = 'temp'")
        #expect(indexed == "402", "the burst and two files; the .gitkeep is layout, not counted")
        #expect(metrics.contains("storekeeper_category_files{category=\"temp\"} \(indexed)\n"))
    }

    @Test func connectionsAreBoundedAndFreedAgain() throws {
        let (tree, daemon) = try Self.served()
        let listening = daemon.openSockets
        // 64 idle connections take every slot; a 65th is served, and the
        // oldest idle one is shed (503) to make room for it.
        let idle = (0..<64).map { _ in HTTPClient.connectSocket(daemon.port) }
        defer { for descriptor in idle { close(descriptor) } }
        #expect(idle.allSatisfy { $0 >= 0 })
        // Connected is not yet accepted: the 65th must come after all 64 hold a slot.
        try waitFor("the daemon to accept the 64 idle connections") { daemon.openSockets >= listening + 64 }
        let served = HTTPClient.raw(daemon.port, Array("GET /health HTTP/1.1\r\nHost: x\r\n\r\n".utf8), timeout: 3)
        #expect(served.hasPrefix("HTTP/1.1 200 "), "\(served)")
        let shed = HTTPClient.readAll(idle[0], timeout: 3)
        #expect(shed.hasPrefix("HTTP/1.1 503 "), "\(shed)")
        // The other idle connections time out (408) and free their slots.
        let timedOut = HTTPClient.readAll(idle[1], timeout: 20)
        #expect(timedOut.hasPrefix("HTTP/1.1 408 "), "\(timedOut)")
        try Self.expectAlive(tree, daemon)
    }

    @Test func aPortInUseStopsTheSecondDaemonAtStartup() throws {
        let (_, first) = try Self.served()
        let tree = try TemporaryTree.initialized("  monitoring:\n    metrics_listen: \"127.0.0.1:\(first.port)\"\n")
        let result = try Shell.run(
            ["timeout", "60", StorekeeperBinary.path, "run", "--config", tree.configPath], in: tree.root)
        #expect(result.status == 1, "\(result.stderr)")
        #expect(
            result.stderr.contains(
                "Error: cannot listen on 127.0.0.1:\(first.port) (monitoring.metrics_listen): Address already in use"),
            "\(result.stderr)")
        #expect(first.process.isRunning)
    }

    @Test func aRemoteAddressNeedsAllowRemoteAndIsLoggedLoudly() throws {
        let tree = try TemporaryTree.initialized()
        let refused = try Shell.run(
            ["timeout", "60", StorekeeperBinary.path, "run", "--config", tree.configPath], in: tree.root,
            environment: ["STOREKEEPER_METRICS_LISTEN": "0.0.0.0:0"])
        #expect(refused.status == 78, "\(refused.stderr)")
        #expect(refused.stderr.contains("set monitoring.allow_remote: true"), "\(refused.stderr)")

        let allowed = try TemporaryTree.initialized("  monitoring:\n    allow_remote: true\n")
        let daemon = try DaemonProcess(allowed, environment: ["STOREKEEPER_METRICS_LISTEN": "0.0.0.0:0"])
        #expect(daemon.log.contains("warning serving metrics and the API beyond this machine"), "\(daemon.log)")
        #expect(try HTTPClient.curl([daemon.url + "/health"]).status == 200)
    }

    @Test func metricsDisabledMeansNoListener() throws {
        let tree = try TemporaryTree.initialized("  monitoring:\n    metrics_enabled: false\n")
        let daemon = try DaemonProcess(tree)
        #expect(daemon.health?["listen"] is NSNull)
        #expect(daemon.log.contains("HTTP server off"), "\(daemon.log)")
    }
}
