import Foundation
import Glibc

/// Runs programs to completion (no shell in between) and captures what they
/// printed: the one process runner of both test targets.
package enum Shell {
    package struct Result: Sendable {
        package let status: Int32
        package let stdout: String
        package let stderr: String

        package var lines: [String] { stdout.split(separator: "\n").map(String.init) }
    }

    /// What every command starts from, whatever the developer's shell exports:
    /// the standard `PATH` (with the sbin folders, for `mount` and `chattr`),
    /// messages in English (tests match them), and the test process's `TZ`,
    /// so a time a command prints agrees with the one the test computes.
    /// Nothing else passes: a `STOREKEEPER_*`, `JOURNAL_STREAM` or
    /// `NOTIFY_SOCKET` of the caller's would change what the binary does.
    package static var baseEnvironment: [String: String] {
        var environment = ["PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"]
        environment["TZ"] = ProcessInfo.processInfo.environment["TZ"]
        return environment
    }

    /// The absolute path of `program` on `searchPath`, or nil. Unless given,
    /// that is the test process's `PATH`, then the one commands run with.
    package static func which(_ program: String, searchPath: String? = nil) -> String? {
        let path =
            searchPath
            ?? [ProcessInfo.processInfo.environment["PATH"], baseEnvironment["PATH"]]
            .compactMap { $0 }.joined(separator: ":")
        return path.split(separator: ":").lazy
            .map { "\($0)/\(program)" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The path of a program the tests cannot do without; the error says where it comes from.
    package static func require(_ program: String, installedBy hint: String) throws -> String {
        guard let path = which(program) else { throw ShellError.missing(program, hint: hint) }
        return path
    }

    /// Runs `arguments[0]` (an absolute path, or a name looked up on the
    /// command's `PATH`) in `directory` with `baseEnvironment` plus
    /// `environment`, `input` on its stdin, and waits for it to exit.
    @discardableResult
    package static func run(
        _ arguments: [String], in directory: String? = nil, environment: [String: String] = [:], input: String? = nil
    ) throws -> Result {
        let merged = baseEnvironment.merging(environment) { $1 }
        let name = arguments[0]
        guard let program = name.contains("/") ? name : which(name, searchPath: merged["PATH"]) else {
            throw ShellError.notFound(name)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = Array(arguments.dropFirst())
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        process.environment = merged
        let stdin = Pipe()
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        // Feed stdin and drain stderr on threads of their own while this one
        // drains stdout, so no full pipe can block the child or us.
        let writer = BackgroundWork.writing(Array((input ?? "").utf8), to: stdin.fileHandleForWriting)
        let errors = BackgroundWork(stderr.fileHandleForReading)
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        _ = writer.wait()
        let errorOutput = errors.wait()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus,
            stdout: String(decoding: output, as: UTF8.self),
            stderr: String(decoding: errorOutput, as: UTF8.self))
    }
}

/// Work on a detached thread whose result is collected once.
package final class BackgroundWork: @unchecked Sendable {
    private var result = Data()
    private let done = DispatchSemaphore(value: 0)

    private init(_ work: @escaping @Sendable () -> Data) {
        Thread.detachNewThread { [self] in
            result = work()
            done.signal()
        }
    }

    /// Reads `handle` to its end.
    package convenience init(_ handle: FileHandle) {
        self.init { handle.readDataToEndOfFile() }
    }

    /// Writes `bytes` to `handle` and closes it. SIGPIPE is blocked on the
    /// writing thread: a child that exits without reading its input makes
    /// the write fail with EPIPE instead of killing the test process.
    static func writing(_ bytes: [UInt8], to handle: FileHandle) -> BackgroundWork {
        BackgroundWork {
            var signals = sigset_t()
            sigemptyset(&signals)
            sigaddset(&signals, SIGPIPE)
            pthread_sigmask(SIG_BLOCK, &signals, nil)
            var written = 0
            while written < bytes.count {
                let count = bytes[written...].withUnsafeBytes { write(handle.fileDescriptor, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
                written += count
            }
            try? handle.close()
            return Data()
        }
    }

    package func wait() -> Data {
        done.wait()
        return result
    }
}

package enum ShellError: Error, CustomStringConvertible {
    case notFound(String)
    case missing(String, hint: String)

    package var description: String {
        switch self {
        case .notFound(let program): return "\(program): not found on PATH"
        case .missing(let program, let hint): return "\(program) is not installed (not on PATH): \(hint)"
        }
    }
}
