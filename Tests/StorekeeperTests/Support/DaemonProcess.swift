import Foundation
import Glibc

/// A `storekeeper run` started by a test: waits until it is watching, and
/// stops, pauses or kills it the ways the scenarios need.
final class DaemonProcess {
    let tree: TemporaryTree
    let process = Process()
    let logPath: String

    /// Starts the daemon (optionally under a command prefix such as `unshare`)
    /// and waits until its health file says it is running.
    init(_ tree: TemporaryTree, prefix: [String] = [], environment: [String: String] = [:]) throws {
        self.tree = tree
        logPath = tree.root + "/daemon-\(UUID().uuidString.prefix(8)).log"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let command = prefix + [StorekeeperBinary.path, "run", "--config", tree.configPath]
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = command
        process.currentDirectoryURL = URL(fileURLWithPath: tree.root)
        var merged = ProcessInfo.processInfo.environment
        // Daemons of parallel tests each take a free port (the health file
        // says which); a test passes "" to use the configured metrics_listen.
        merged["STOREKEEPER_METRICS_LISTEN"] = "127.0.0.1:0"
        merged.merge(environment) { $1 }
        process.environment = merged
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardError = log
        process.standardOutput = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try waitFor("the daemon to start watching", timeout: 60) {
            guard process.isRunning else { throw DaemonError.exited(log: self.log) }
            return health?["state"] as? String == "running"
        }
    }

    var pid: Int32 { process.processIdentifier }
    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    var health: [String: Any]? {
        guard let data = FileManager.default.contents(atPath: tree.base + "/.storekeeper/health.json") else { return nil }
        return try? JSONSerialization.jsonObject(with: data) as? [String: Any]
    }

    func signal(_ signal: Int32) { kill(pid, signal) }

    /// SIGTERM, then the exit status.
    @discardableResult
    func stop() throws -> Int32 {
        signal(SIGTERM)
        return try waitForExit()
    }

    func waitForExit(timeout: Double = 60) throws -> Int32 {
        try waitFor("the daemon to exit", timeout: timeout) { !process.isRunning }
        return process.terminationStatus
    }

    deinit {
        if process.isRunning {
            kill(pid, SIGCONT)
            kill(pid, SIGKILL)
            process.waitUntilExit()
        }
    }

    enum DaemonError: Error, CustomStringConvertible {
        case exited(log: String)
        case timedOut(String)

        var description: String {
            switch self {
            case .exited(let log): "the daemon exited early:\n\(log)"
            case .timedOut(let what): "timed out waiting for \(what)"
            }
        }
    }
}

/// Polls `condition` until it holds or `timeout` seconds pass: every wait in
/// these tests is for a condition with a deadline, never a bare sleep.
func waitFor(_ what: String, timeout: Double = 30, _ condition: () throws -> Bool) throws {
    let deadline = Date().addingTimeInterval(timeout)
    while true {
        if try condition() { return }
        if Date() > deadline { throw DaemonProcess.DaemonError.timedOut(what) }
        usleep(20_000)
    }
}

extension TemporaryTree {
    /// Runs a bash script inside the base (the scenario's file operations).
    @discardableResult
    func sh(_ script: String) throws -> StorekeeperBinary.Result {
        let result = try Shell.run(["bash", "-c", "set -e\n" + script], in: base)
        precondition(result.status == 0, "script failed: \(script)\n\(result.stderr)")
        return result
    }

    /// Waits until `verify` finds the index equal to the disk; on timeout
    /// returns the last listing so the failure says what differed.
    func waitUntilIndexMatches(timeout: Double = 60) throws -> String? {
        var last = ""
        do {
            try waitFor("the index to match the disk", timeout: timeout) {
                let result = try storekeeper(["verify"])
                last = result.stdout + result.stderr
                return result.status == 0
            }
            return nil
        } catch {
            return last
        }
    }

    func sqlite(_ query: String) throws -> String {
        try Shell.run(["sqlite3", base + "/.storekeeper/index.db", query], in: root).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
