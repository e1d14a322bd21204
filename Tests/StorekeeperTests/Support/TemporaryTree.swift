import Foundation
import Glibc

/// A temporary working directory holding a config file and a storage base,
/// removed when the test ends. Names are written as bytes so tests can use
/// newlines, invalid UTF-8 and 255-byte names.
final class TemporaryTree {
    let root: String
    var base: String { root + "/storage" }
    var configPath: String { root + "/storekeeper.yaml" }

    init(under parent: String = NSTemporaryDirectory()) throws {
        var template = Array((parent.hasSuffix("/") ? parent : parent + "/").utf8CString.dropLast()) + Array("storekeeper-test-XXXXXX".utf8CString)
        guard mkdtemp(&template) != nil else { throw POSIXError(.init(rawValue: errno)!) }
        root = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        chmod(root, 0o755)
        try writeConfig("storage:\n  base_path: \"\(base)\"\n")
    }

    deinit {
        _ = try? Shell.run(["chattr", "-R", "-i", root], in: "/")
        _ = try? Shell.run(["rm", "-rf", root], in: "/")
    }

    func writeConfig(_ text: String) throws {
        try text.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    /// Runs storekeeper with this tree's config.
    func storekeeper(_ arguments: [String], environment: [String: String] = [:], asUser uid: Int? = nil) throws
        -> StorekeeperBinary.Result
    {
        try StorekeeperBinary.run(arguments + ["--config", configPath], in: root, environment: environment, asUser: uid)
    }

    /// The absolute path of `relative` (bytes) under the base, NUL-free.
    func absolute(_ relative: [UInt8]) -> [UInt8] { Array(base.utf8) + [0x2F] + relative }

    func makeDirectory(_ relative: [UInt8]) {
        var path: [UInt8] = Array(base.utf8)
        _ = withCString(path) { mkdir($0, 0o755) }
        for component in relative.split(separator: 0x2F) {
            path += [0x2F] + component
            _ = withCString(path) { mkdir($0, 0o755) }
        }
    }

    /// Creates (or overwrites) a file with `size` bytes, making parent folders.
    func writeFile(_ relative: [UInt8], size: Int = 10) {
        if let slash = relative.lastIndex(of: 0x2F) { makeDirectory(Array(relative[..<slash])) }
        let fd = withCString(absolute(relative)) { open($0, O_WRONLY | O_CREAT | O_TRUNC, 0o644) }
        precondition(fd >= 0, "cannot create \(String(decoding: relative, as: UTF8.self)): \(errno)")
        let bytes = [UInt8](repeating: 0x61, count: size)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, size) }
        close(fd)
    }

    func writeFile(_ relative: String, size: Int = 10) { writeFile(Array(relative.utf8), size: size) }

    func remove(_ relative: [UInt8]) {
        _ = withCString(absolute(relative)) { unlink($0) }
    }

    func rename(_ from: [UInt8], _ to: [UInt8]) {
        let result = withCString(absolute(from)) { source in withCString(absolute(to)) { Glibc.rename(source, $0) } }
        precondition(result == 0, "rename failed: \(errno)")
    }

    func symlink(_ relative: [UInt8], target: String) {
        _ = withCString(absolute(relative)) { Glibc.symlink(target, $0) }
    }

    /// Sets the mtime (seconds since the epoch), like `touch -d`.
    func setMtime(_ relative: [UInt8], _ seconds: Int) {
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
    var bytes: [UInt8] { Array(utf8) }
}
