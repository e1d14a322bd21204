import Foundation

/// Runs programs (no shell in between) and captures what they printed.
enum Shell {
    struct Result: Sendable {
        let status: Int32
        let stdout: String
        let stderr: String

        var lines: [String] { stdout.split(separator: "\n").map(String.init) }
    }

    /// The absolute path of `program` found on `PATH`, or nil.
    static func which(_ program: String) -> String? {
        let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin")
            .split(separator: ":")
        return directories.lazy
            .map { "\($0)/\(program)" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The path of a program the tests cannot do without; the error says where it comes from.
    static func require(_ program: String, installedBy hint: String) throws -> String {
        guard let path = which(program) else { throw ShellError.missing(program, hint: hint) }
        return path
    }

    /// Runs `arguments[0]` (an absolute path, or a name looked up on `PATH`)
    /// to completion with `input` on its stdin.
    static func run(_ arguments: [String], input: String = "", in directory: String? = nil) throws -> Result {
        let program = arguments[0].hasPrefix("/") ? arguments[0] : which(arguments[0])
        guard let program else { throw ShellError.notFound(arguments[0]) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = Array(arguments.dropFirst())
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let stdin = Pipe()
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        // Feed stdin and drain stderr on their own threads while this one drains
        // stdout, so no pipe filling up can block the child or us.
        let inputHandle = stdin.fileHandleForWriting
        let errorHandle = stderr.fileHandleForReading
        let writer = Background {
            inputHandle.write(Data(input.utf8))
            try? inputHandle.close()
            return Data()
        }
        let errors = Background { errorHandle.readDataToEndOfFile() }
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        _ = writer.wait()
        let errorOutput = errors.wait()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus,
            stdout: String(decoding: output, as: UTF8.self),
            stderr: String(decoding: errorOutput, as: UTF8.self))
    }

    /// Work on a detached thread whose result is collected once.
    private final class Background: @unchecked Sendable {
        private var result = Data()
        private let done = DispatchSemaphore(value: 0)

        init(_ work: @escaping @Sendable () -> Data) {
            Thread.detachNewThread { [self] in
                result = work()
                done.signal()
            }
        }

        func wait() -> Data {
            done.wait()
            return result
        }
    }
}

enum ShellError: Error, CustomStringConvertible {
    case notFound(String)
    case missing(String, hint: String)

    var description: String {
        switch self {
        case .notFound(let program): return "\(program): not found on PATH"
        case .missing(let program, let hint): return "\(program) is not installed (not on PATH): \(hint)"
        }
    }
}
