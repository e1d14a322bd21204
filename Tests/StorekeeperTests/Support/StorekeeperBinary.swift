import Foundation
import Glibc

/// Runs the built `storekeeper` executable, as a user would, and captures what
/// it printed. The test bundle sits beside it in the build folder.
struct StorekeeperBinary {
    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
        var lines: [String] { stdout.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) }
    }

    static var path: String {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var directory = URL(fileURLWithPath: executable).deletingLastPathComponent()
        // Inside an .xctest bundle directory on some layouts.
        while directory.path != "/" && !FileManager.default.fileExists(atPath: directory.appendingPathComponent("storekeeper").path) {
            directory = directory.deletingLastPathComponent()
        }
        return directory.appendingPathComponent("storekeeper").path
    }

    /// Runs `storekeeper args…` in `directory` with `environment` added to a clean one.
    static func run(
        _ arguments: [String], in directory: String, environment: [String: String] = [:], asUser uid: Int? = nil
    ) throws -> Result {
        var command = [path] + arguments
        if let uid {
            command = ["setpriv", "--reuid=\(uid)", "--regid=\(uid)", "--clear-groups"] + command
        }
        return try Shell.run(command, in: directory, environment: environment)
    }
}

enum Shell {
    /// Runs a command to completion (no shell involved) and captures its output.
    @discardableResult
    static func run(_ command: [String], in directory: String, environment: [String: String] = [:], input: String? = nil)
        throws -> StorekeeperBinary.Result
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0].hasPrefix("/") ? command[0] : "/usr/bin/env")
        process.arguments = command[0].hasPrefix("/") ? Array(command.dropFirst()) : command
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        var merged = ["PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"]
        merged.merge(environment) { $1 }
        process.environment = merged
        let stdout = Pipe()
        let stderr = Pipe()
        let stdin = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = stdin
        try process.run()
        if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
        try stdin.fileHandleForWriting.close()
        // Read both pipes concurrently so a chatty child never blocks on a full pipe.
        let errorData = ErrorCollector(stderr.fileHandleForReading)
        let outData = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return StorekeeperBinary.Result(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errorData.wait(), as: UTF8.self))
    }
}

/// Drains a pipe on its own thread.
final class ErrorCollector: @unchecked Sendable {
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }
    }

    func wait() -> Data {
        done.wait()
        return data
    }
}
