import Foundation
import Glibc

/// A `storekeeper run` started by a test: waits until it is watching, and
/// stops, pauses or kills it the ways the scenarios need.
package final class DaemonProcess {
    package let tree: TemporaryTree
    package let process = Process()
    package let logPath: String

    /// Starts the daemon (optionally under a command prefix such as `unshare`)
    /// and waits until its health file says it is running.
    package init(_ tree: TemporaryTree, prefix: [String] = [], environment: [String: String] = [:]) throws {
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

    package var pid: Int32 { process.processIdentifier }
    package var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    package var health: [String: Any]? {
        guard let data = FileManager.default.contents(atPath: tree.base + "/.storekeeper/health.json") else {
            return nil
        }
        return try? JSONSerialization.jsonObject(with: data) as? [String: Any]
    }

    package func signal(_ signal: Int32) { kill(pid, signal) }

    /// SIGTERM, then the exit status.
    @discardableResult
    package func stop() throws -> Int32 {
        signal(SIGTERM)
        return try waitForExit()
    }

    package func waitForExit(timeout: Double = 60) throws -> Int32 {
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

    package enum DaemonError: Error, CustomStringConvertible {
        case exited(log: String)
        case timedOut(String)

        package var description: String {
            switch self {
            case .exited(let log): "the daemon exited early:\n\(log)"
            case .timedOut(let what): "timed out waiting for \(what)"
            }
        }
    }
}

/// Polls `condition` until it holds or `timeout` seconds pass: every wait in
/// these tests is for a condition with a deadline, never a bare sleep.
package func waitFor(_ what: String, timeout: Double = 30, _ condition: () throws -> Bool) throws {
    let deadline = Date().addingTimeInterval(timeout)
    while true {
        if try condition() { return }
        if Date() > deadline { throw DaemonProcess.DaemonError.timedOut(what) }
        usleep(20_000)
    }
}
