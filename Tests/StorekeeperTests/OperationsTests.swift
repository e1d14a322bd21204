import Foundation
import Glibc
import TestSupport
import Testing

/// Running Storekeeper as a service: the log file and SIGHUP, journald
/// prefixes, sd_notify, the systemd units, logrotate, the cron fallback and
/// the installer — each against the real tool (systemd-analyze, logrotate,
/// bash) and the built binary.
@Suite struct OperationsTests {
    static let repository = Repository.root

    /// An initialized tree whose config logs to `<root>/logs/storekeeper.log`.
    static func tree(logLevel: String = "info") throws -> TemporaryTree {
        let tree = try TemporaryTree()
        try FileManager.default.createDirectory(atPath: tree.root + "/logs", withIntermediateDirectories: false)
        try tree.writeConfig(
            """
            storage:
              base_path: "\(tree.base)"
              monitoring:
                log_level: \(logLevel)
                log_file: "\(tree.root)/logs/storekeeper.log"
            """)
        let result = try tree.storekeeper(["init"])
        precondition(result.status == 0, result.stderr)
        return tree
    }

    static func contents(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

    // MARK: Logs

    @Test func sighupReopensTheLogFileAfterItWasMovedAway() throws {
        let tree = try Self.tree()
        let logFile = tree.root + "/logs/storekeeper.log"
        let daemon = try DaemonProcess(tree)
        try waitFor("the daemon to log to its file") { Self.contents(logFile).contains(" info watching ") }
        #expect(rename(logFile, logFile + ".1") == 0)
        daemon.signal(SIGHUP)
        try waitFor("a new log file with the reopen line") {
            Self.contents(logFile).contains(" info log file reopened ")
        }
        #expect(try daemon.stop() == 0)
        let rotated = Self.contents(logFile + ".1")
        let fresh = Self.contents(logFile)
        #expect(rotated.contains(" info watching "))
        #expect(!rotated.contains("log file reopened"))
        #expect(fresh.contains(" info stopped "), "\(fresh)")
        // stderr keeps every line as well, in the same format.
        #expect(daemon.log.contains(" info log file reopened "))
        var status = stat()
        #expect(stat(logFile, &status) == 0 && status.st_mode & 0o077 == 0o040)
    }

    @Test func aLogFileThatCannotBeOpenedStopsTheDaemonAtStartup() throws {
        let tree = try Self.tree()
        try FileManager.default.removeItem(atPath: tree.root + "/logs")
        // `timeout`: a daemon that wrongly started would otherwise never return.
        let result = try Shell.run(
            ["timeout", "60", StorekeeperBinary.path, "run", "--config", tree.configPath], in: tree.root)
        #expect(result.status == 1)
        #expect(
            result.stderr.contains("cannot open the log file \(tree.root)/logs/storekeeper.log (monitoring.log_file)"))
    }

    @Test func underJournaldStderrLinesCarryPrioritiesAndNoTimestamps() throws {
        let tree = try Self.tree()
        let stderrPath = tree.root + "/journal-stream"
        // As systemd does: stderr is the journal stream, JOURNAL_STREAM names its device:inode.
        let prefix = [
            "bash", "-c", #"exec 2>"$0"; JOURNAL_STREAM="$(stat -c %d:%i "$0")" exec "$@""#, stderrPath,
        ]
        let daemon = try DaemonProcess(tree, prefix: prefix)
        try waitFor("the daemon to log") { Self.contents(stderrPath).contains("<6>info watching ") }
        #expect(try daemon.stop() == 0)
        let lines = Self.contents(stderrPath).split(separator: "\n")
        #expect(!lines.isEmpty)
        #expect(
            lines.allSatisfy {
                $0.range(of: #"^<[3467]>(debug|info|warning|error) [a-z]"#, options: .regularExpression) != nil
            })
        // The file is not the journal: its lines keep their timestamps.
        #expect(Self.contents(tree.root + "/logs/storekeeper.log").contains("Z info watching "))
    }

    // MARK: systemd

    @Test func theDaemonNotifiesSystemdWhenReadyAndWhenStopping() throws {
        let tree = try Self.tree()
        let socketPath = tree.root + "/notify.sock"
        let listener = try DatagramListener(path: socketPath)
        let daemon = try DaemonProcess(tree, environment: ["NOTIFY_SOCKET": socketPath])
        #expect(listener.waitFor("READY=1") != nil)
        #expect(try daemon.stop() == 0)
        #expect(listener.waitFor("STOPPING=1") != nil)
    }

    /// The units with their installed paths pointed at this build, so
    /// systemd-analyze can check that the commands exist.
    static func unitsForVerification(in directory: String) throws -> [String] {
        try ["storekeeper.service", "storekeeper-clean.service", "storekeeper-clean.timer"].map { name in
            let text = try String(contentsOfFile: repository + "/config/systemd/" + name, encoding: .utf8)
                .replacingOccurrences(of: "/usr/local/bin/storekeeper", with: StorekeeperBinary.path)
                .replacingOccurrences(
                    of: "/usr/local/lib/storekeeper/cleanup.sh", with: repository + "/scripts/cleanup.sh")
            try text.write(toFile: directory + "/" + name, atomically: true, encoding: .utf8)
            return directory + "/" + name
        }
    }

    @Test func theSystemdUnitsPassSystemdAnalyzeVerify() throws {
        let analyze = try Shell.require("systemd-analyze", installedBy: "apt-get install systemd (scripts/test does)")
        let tree = try TemporaryTree()
        let units = try Self.unitsForVerification(in: tree.root)
        let result = try Shell.run([analyze, "verify", "--man=no", "--generators=no"] + units, in: tree.root)
        // verify exits 0 on unknown keys and bad values too: any output is a failure.
        #expect(
            result.status == 0 && result.stdout.isEmpty && result.stderr.isEmpty, "\(result.stdout)\(result.stderr)")

        // The check can fail: a misspelt key is reported.
        let broken = try String(contentsOfFile: units[0], encoding: .utf8)
            .replacingOccurrences(of: "ProtectSystem=strict", with: "ProtectSystem=strictly")
        try broken.write(toFile: units[0], atomically: true, encoding: .utf8)
        let failing = try Shell.run([analyze, "verify", "--man=no", "--generators=no", units[0]], in: tree.root)
        #expect(failing.stderr.contains("strictly"), "\(failing.stderr)")
    }

    @Test func theUnitsSayWhatTheIssueAsks() throws {
        let service = Self.contents(Self.repository + "/config/systemd/storekeeper.service")
        for line in [
            "Type=notify", "ExecStart=/usr/local/bin/storekeeper run --config /etc/storekeeper/storekeeper.yaml",
            "Restart=on-failure", "User=media", "Group=media", "ProtectSystem=strict",
            "ReadWritePaths=/opt/services/media-analysis/storage", "NoNewPrivileges=yes", "PrivateTmp=yes",
            "ProtectHome=yes", "KillSignal=SIGTERM", "ExecReload=/bin/kill -HUP $MAINPID",
        ] {
            #expect(service.split(separator: "\n").contains(Substring(line)), "missing \(line)")
        }
        let timer = Self.contents(Self.repository + "/config/systemd/storekeeper-clean.timer")
        #expect(timer.contains("OnCalendar=*-*-* 02:00:00 UTC\n") && timer.contains("Persistent=true\n"))
        let clean = Self.contents(Self.repository + "/config/systemd/storekeeper-clean.service")
        #expect(clean.contains("Type=oneshot\n") && clean.contains("ExecStart=/usr/local/lib/storekeeper/cleanup.sh\n"))
    }

    // MARK: logrotate

    /// The shipped rule, aimed at `logs/` and with a postrotate that signals
    /// this test's daemon (systemctl and pkill would reach beyond the test).
    static func logrotateRule(for tree: TemporaryTree, daemonPid: Int32?) throws -> String {
        var text = try String(contentsOfFile: repository + "/config/logrotate.d/storekeeper", encoding: .utf8)
            .replacingOccurrences(of: "/var/log/storekeeper/", with: tree.root + "/logs/")
        if try Shell.run(["id", "-u", "media"], in: "/").status != 0 {
            text = text.replacingOccurrences(of: "su media media", with: "su root root")
        }
        if let daemonPid {
            let start = try #require(text.range(of: "    postrotate\n"))
            let end = try #require(text.range(of: "    endscript\n"))
            text.replaceSubrange(start.upperBound..<end.lowerBound, with: "        kill -HUP \(daemonPid)\n")
        }
        let path = tree.root + "/logrotate.conf"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func theLogrotateRuleParsesAndRotatesWithAReopen() throws {
        let logrotate = try Shell.require("logrotate", installedBy: "apt-get install logrotate (scripts/test does)")
        let tree = try Self.tree()
        chmod(tree.root + "/logs", 0o750)
        let debug = try Shell.run(
            [logrotate, "-d", "-s", tree.root + "/logrotate.state", try Self.logrotateRule(for: tree, daemonPid: nil)],
            in: tree.root)
        #expect(debug.status == 0, "\(debug.stderr)")
        #expect(!debug.stderr.lowercased().contains("error"), "\(debug.stderr)")

        let logFile = tree.root + "/logs/storekeeper.log"
        let daemon = try DaemonProcess(tree)
        try waitFor("the daemon to log to its file") { Self.contents(logFile).contains(" info watching ") }
        let rotate = try Shell.run(
            [
                logrotate, "-f", "-s", tree.root + "/logrotate.state",
                try Self.logrotateRule(for: tree, daemonPid: daemon.pid),
            ],
            in: tree.root)
        #expect(rotate.status == 0, "\(rotate.stderr)")
        try waitFor("the daemon to reopen its log file") { Self.contents(logFile).contains(" info log file reopened ") }
        #expect(Self.contents(logFile + ".1").contains(" info watching "))
        #expect(try daemon.stop() == 0)
    }

    // MARK: The cron fallback

    func runCleanupScript(_ tree: TemporaryTree) throws -> Shell.Result {
        try Shell.run(
            ["bash", Self.repository + "/scripts/cleanup.sh"], in: tree.root,
            environment: ["STOREKEEPER_BIN": StorekeeperBinary.path, "STOREKEEPER_CONFIG": tree.configPath])
    }

    @Test func theCronFallbackDoesNothingWhileTheDaemonIsHealthyAndCleansWhenItIsNot() throws {
        let tree = try Self.tree()
        let manualRuns = "SELECT count(*) FROM cleanup_runs WHERE trigger = 'manual'"
        let daemon = try DaemonProcess(tree)
        tree.writeFile("temp/job/old.bin", size: 100)
        tree.setMtime("temp/job/old.bin".bytes, Int(time(nil)) - 3 * 86_400)

        let healthy = try runCleanupScript(tree)
        #expect(healthy.status == 0, "\(healthy.stderr)")
        #expect(healthy.stdout.isEmpty && healthy.stderr.isEmpty, "cron would mail: \(healthy.stdout)\(healthy.stderr)")
        #expect(try tree.sqlite(manualRuns) == "0")

        #expect(try daemon.stop() == 0)
        tree.writeFile("temp/job/older.bin", size: 100)
        tree.setMtime("temp/job/older.bin".bytes, Int(time(nil)) - 4 * 86_400)
        let cleaned = try runCleanupScript(tree)
        #expect(cleaned.status == 0, "\(cleaned.stderr)")
        #expect(cleaned.stderr.contains("the daemon is not running or not healthy; running storekeeper clean"))
        #expect(try tree.sqlite(manualRuns) == "1")
        #expect(try tree.sqlite("SELECT status FROM cleanup_runs WHERE trigger = 'manual'") == "ok")
        #expect(!FileManager.default.fileExists(atPath: tree.base + "/temp/job/older.bin"))
        #expect(!FileManager.default.fileExists(atPath: tree.base + "/temp/job/old.bin"))
        #expect(try tree.storekeeper(["verify"]).status == 0)
    }

    @Test func theCronFallbackCleansWhenTheHealthFileIsStale() throws {
        let tree = try Self.tree()
        // A health file left by a daemon that was killed: running, but old and its pid gone.
        try #"{"pid": 999999999, "state": "running", "updated_at_seconds": 1}"#
            .write(toFile: tree.base + "/.storekeeper/health.json", atomically: true, encoding: .utf8)
        let result = try runCleanupScript(tree)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try tree.sqlite("SELECT count(*) FROM cleanup_runs WHERE trigger = 'manual'") == "1")
    }

    @Test func theCronFallbackPassesOnAFailure() throws {
        let tree = try Self.tree()
        try tree.writeConfig("storage:\n  base_path: \"\(tree.base)\"\n  no_such_key: 1\n")
        let result = try runCleanupScript(tree)
        #expect(result.status == 78, "\(result.stderr)")
        #expect(result.stderr.contains("storekeeper clean failed with exit status 78"))
    }

    // MARK: The installer

    func install(_ arguments: [String]) throws -> Shell.Result {
        try Shell.run(
            ["bash", Self.repository + "/scripts/install.sh", "--binary", StorekeeperBinary.path] + arguments,
            in: Self.repository)
    }

    /// Every path under `root` with its type, mode and content hash.
    static func snapshot(_ root: String) throws -> String {
        try Shell.run(
            [
                "bash", "-c",
                #"cd "$0" && find . -printf '%y %m %p\n' | sort && find . -type f -print0 | sort -z | xargs -0r sha256sum"#,
                root,
            ],
            in: "/"
        ).stdout
    }

    @Test func aDryRunChangesNothing() throws {
        let tree = try TemporaryTree()
        let watched = [
            "/etc/storekeeper", "/etc/systemd/system/storekeeper.service", "/etc/logrotate.d/storekeeper",
            "/var/log/storekeeper",
        ]
        let before = watched.map { FileManager.default.fileExists(atPath: $0) }
        let userBefore = try Shell.run(["getent", "passwd", "media"], in: "/").status

        let staged = try install(["--dry-run", "--destdir", tree.root + "/stage"])
        #expect(staged.status == 0, "\(staged.stderr)")
        #expect(!FileManager.default.fileExists(atPath: tree.root + "/stage"))
        #expect(staged.stdout.contains("would install: \(tree.root)/stage/usr/local/bin/storekeeper"))
        #expect(staged.stdout.contains("would install: \(tree.root)/stage/etc/systemd/system/storekeeper.service"))

        let system = try install(["--dry-run", "--prefix", tree.root + "/prefix"])
        #expect(system.status == 0, "\(system.stderr)")
        #expect(!FileManager.default.fileExists(atPath: tree.root + "/prefix"))
        #expect(system.stdout.contains("would install: \(tree.root)/prefix/lib/storekeeper/cleanup.sh"))
        #expect(system.stdout.contains("init --config /etc/storekeeper/storekeeper.yaml"))
        #expect(watched.map { FileManager.default.fileExists(atPath: $0) } == before)
        #expect(try Shell.run(["getent", "passwd", "media"], in: "/").status == userBefore)
    }

    @Test func installingTwiceIntoADestdirGivesTheSameTree() throws {
        let tree = try TemporaryTree()
        let stage = tree.root + "/stage"
        let first = try install(["--destdir", stage])
        #expect(first.status == 0, "\(first.stderr)")
        let afterFirst = try Self.snapshot(stage)
        let second = try install(["--destdir", stage])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(try Self.snapshot(stage) == afterFirst)
        #expect(!second.stdout.contains("install: "), "\(second.stdout)")
        #expect(second.stdout.contains("kept existing: \(stage)/etc/storekeeper/storekeeper.yaml"))

        for path in [
            "usr/local/bin/storekeeper", "usr/local/lib/storekeeper/cleanup.sh", "etc/storekeeper/storekeeper.yaml",
            "etc/systemd/system/storekeeper.service", "etc/systemd/system/storekeeper-clean.service",
            "etc/systemd/system/storekeeper-clean.timer", "etc/logrotate.d/storekeeper",
            "usr/local/share/doc/storekeeper/operations.md",
        ] {
            #expect(FileManager.default.fileExists(atPath: stage + "/" + path), "missing \(path)")
        }
        // The installed config is valid and points at the service's base and log file.
        let config = stage + "/etc/storekeeper/storekeeper.yaml"
        let check = try Shell.run([StorekeeperBinary.path, "check", "--config", config], in: tree.root)
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.stdout.contains("  base:  /opt/services/media-analysis/storage\n"))
        #expect(Self.contents(config).contains("    log_file: /var/log/storekeeper/storekeeper.log\n"))

        // A local edit of the config survives a reinstall.
        try "# local\n".appending(Self.contents(config)).write(toFile: config, atomically: true, encoding: .utf8)
        #expect(try install(["--destdir", stage]).status == 0)
        #expect(Self.contents(config).hasPrefix("# local\n"))
    }

    @Test func anotherPrefixIsWrittenIntoTheUnits() throws {
        let tree = try TemporaryTree()
        let stage = tree.root + "/stage"
        #expect(try install(["--destdir", stage, "--prefix", "/opt/storekeeper"]).status == 0)
        let service = Self.contents(stage + "/etc/systemd/system/storekeeper.service")
        #expect(
            service.contains(
                "ExecStart=/opt/storekeeper/bin/storekeeper run --config /etc/storekeeper/storekeeper.yaml\n"))
        #expect(!service.contains("/usr/local/"))
        #expect(
            Self.contents(stage + "/opt/storekeeper/lib/storekeeper/cleanup.sh").contains(
                "/opt/storekeeper/bin/storekeeper"))
        #expect(FileManager.default.fileExists(atPath: stage + "/opt/storekeeper/bin/storekeeper"))
    }
}

/// A bound `AF_UNIX` datagram socket standing in for systemd's notify socket.
final class DatagramListener {
    private let descriptor: Int32

    init(path: String) throws {
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        precondition(bytes.count < MemoryLayout.size(ofValue: address.sun_path), "socket path too long: \(path)")
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }

    deinit { close(descriptor) }

    /// The first message holding the line `assignment` within 30 s (others,
    /// such as `STATUS=…`, are skipped), or nil.
    func waitFor(_ assignment: String, timeout: Double = 30) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            var pollDescriptor = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&pollDescriptor, 1, 100) == 1 else { continue }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { continue }
            let message = String(decoding: buffer[..<count], as: UTF8.self)
            if message.split(separator: "\n").contains(Substring(assignment)) { return message }
        }
        return nil
    }
}
