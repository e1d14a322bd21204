import Foundation
import Glibc

/// A temporary working directory holding a config file and a storage base,
/// removed when the test ends. Names are written as bytes so tests can use
/// newlines, invalid UTF-8 and 255-byte names.
package final class TemporaryTree {
    private let directory: TemporaryDirectory
    package var root: String { directory.path }
    package var base: String { root + "/storage" }
    package var configPath: String { root + "/storekeeper.yaml" }

    package init(under parent: String = NSTemporaryDirectory()) throws {
        directory = try TemporaryDirectory(under: parent)
        // Open to every user: some tests run the binary as nobody.
        chmod(directory.path, 0o755)
        try writeConfig("storage:\n  base_path: \"\(base)\"\n")
    }

    package func writeConfig(_ text: String) throws {
        try text.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    /// Runs storekeeper with this tree's config.
    package func storekeeper(_ arguments: [String], environment: [String: String] = [:], asUser uid: Int? = nil) throws
        -> Shell.Result
    {
        try StorekeeperBinary.run(
            arguments + ["--config", configPath], in: root, environment: environment, asUser: uid)
    }

    /// Runs a bash script inside the base (the scenario's file operations).
    @discardableResult
    package func sh(_ script: String) throws -> Shell.Result {
        let result = try Shell.run(["bash", "-c", "set -e\n" + script], in: base)
        precondition(result.status == 0, "script failed: \(script)\n\(result.stderr)")
        return result
    }

    /// The `sqlite3` shell's answer to `query` on this tree's index, trimmed.
    package func sqlite(_ query: String) throws -> String {
        try Shell.run(["sqlite3", base + "/.storekeeper/index.db", query], in: root).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Waits until `verify` finds the index equal to the disk; on timeout
    /// returns the last listing so the failure says what differed.
    package func waitUntilIndexMatches(timeout: Double = 60) throws -> String? {
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

    /// Whether `relative` exists under the base (a dangling symlink does).
    package func exists(_ relative: String) -> Bool {
        var status = stat()
        return lstat(base + "/" + relative, &status) == 0
    }
}

/// Files by their bytes, for names no `String` can hold.
extension TemporaryTree {
    /// The absolute path of `relative` (bytes) under the base, NUL-free.
    package func absolute(_ relative: [UInt8]) -> [UInt8] { Array(base.utf8) + [0x2F] + relative }

    package func makeDirectory(_ relative: [UInt8]) {
        var path: [UInt8] = Array(base.utf8)
        _ = withCString(path) { mkdir($0, 0o755) }
        for component in relative.split(separator: 0x2F) {
            path += [0x2F] + component
            _ = withCString(path) { mkdir($0, 0o755) }
        }
    }

    /// Creates (or overwrites) a file with `size` bytes, making parent folders.
    package func writeFile(_ relative: [UInt8], size: Int = 10) {
        if let slash = relative.lastIndex(of: 0x2F) { makeDirectory(Array(relative[..<slash])) }
        let fd = withCString(absolute(relative)) { open($0, O_WRONLY | O_CREAT | O_TRUNC, 0o644) }
        precondition(fd >= 0, "cannot create \(String(decoding: relative, as: UTF8.self)): \(errno)")
        let bytes = [UInt8](repeating: 0x61, count: size)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, size) }
        close(fd)
    }

    package func writeFile(_ relative: String, size: Int = 10) { writeFile(Array(relative.utf8), size: size) }

    package func remove(_ relative: [UInt8]) {
        _ = withCString(absolute(relative)) { unlink($0) }
    }

    package func rename(_ from: [UInt8], _ to: [UInt8]) {
        let result = withCString(absolute(from)) { source in withCString(absolute(to)) { Glibc.rename(source, $0) } }
        precondition(result == 0, "rename failed: \(errno)")
    }

    package func symlink(_ relative: [UInt8], target: String) {
        _ = withCString(absolute(relative)) { Glibc.symlink(target, $0) }
    }

    /// Sets the mtime (seconds since the epoch), like `touch -d`.
    package func setMtime(_ relative: [UInt8], _ seconds: Int) {
        var times = [timespec(tv_sec: seconds, tv_nsec: 0), timespec(tv_sec: seconds, tv_nsec: 0)]
        _ = withCString(absolute(relative)) { utimensat(AT_FDCWD, $0, &times, AT_SYMLINK_NOFOLLOW) }
    }

    private func withCString<R>(_ bytes: [UInt8], _ body: (UnsafePointer<CChar>) -> R) -> R {
        (bytes + [0]).withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count, body)
        }
    }
}

extension String {
    package var bytes: [UInt8] { Array(utf8) }
}
