import Foundation
import Glibc
import TestSupport

@testable import StorekeeperConfig
@testable import StorekeeperEngine
@testable import StorekeeperIndex
@testable import StorekeeperSystem

/// A storage base with an index and a trash, in a temporary directory that
/// lives as long as the fixture. Paths are bytes, so tests can use newlines,
/// invalid UTF-8 and 255-byte names.
final class TrashFixture {
    let directory: TemporaryDirectory
    let base: String
    let layout: StorageLayout
    let store: IndexStore
    var clock: Int64 = 1_800_000_000
    private(set) var trash: Trash!

    init() throws {
        directory = try TemporaryDirectory(prefix: "storekeeper-trash")
        base = directory.path("storage")
        try FileSystemPaths.makeDirectories(base + "/.storekeeper")
        let configuration = Configuration(
            sourceFile: "test.yaml", basePath: base, indexPath: base + "/.storekeeper/index.db",
            categories: CategoryPolicy.builtIns,
            cleanup: CleanupSettings(), monitoring: MonitoringSettings())
        layout = StorageLayout(configuration)
        store = try IndexStore.create(path: layout.indexPath)
        try reopen()
    }

    deinit {
        _ = try? Shell.run(["chattr", "-R", "-i", directory.path])
    }

    /// A new `Trash` over the same folders, as the next cleanup run would open.
    func reopen() throws {
        trash = try Trash(layout: layout, store: store, now: { [unowned self] in clock })
    }

    func absolute(_ relative: [UInt8]) -> [UInt8] { Array(base.utf8) + [0x2F] + relative }
    var trashFiles: [UInt8] { Array((base + "/.trash/files").utf8) }
    var trashInfo: [UInt8] { Array((base + "/.trash/info").utf8) }

    /// Creates a file of `size` bytes (content `fill`), making its folders.
    func writeFile(_ relative: [UInt8], size: Int = 10, fill: UInt8 = 0x61) {
        writeAbsolute(absolute(relative), bytes: [UInt8](repeating: fill, count: size))
    }

    func writeFile(_ relative: String, size: Int = 10, fill: UInt8 = 0x61) {
        writeFile(Array(relative.utf8), size: size, fill: fill)
    }

    func writeAbsolute(_ path: [UInt8], bytes: [UInt8]) {
        if let slash = path.lastIndex(of: 0x2F) { makeDirectories(Array(path[..<slash])) }
        let fd = Self.withCString(path) { open($0, O_WRONLY | O_CREAT | O_TRUNC, 0o644) }
        precondition(fd >= 0, "cannot create \(PathBytes.display(path)): \(errno)")
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, bytes.count) }
        close(fd)
    }

    func makeDirectories(_ path: [UInt8]) {
        var current: [UInt8] = []
        for component in path.split(separator: 0x2F) {
            current += [0x2F] + component
            _ = Self.withCString(current) { mkdir($0, 0o755) }
        }
    }

    func read(_ path: [UInt8]) -> [UInt8]? {
        let fd = Self.withCString(path) { open($0, O_RDONLY) }
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var contents: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = Glibc.read(fd, &buffer, buffer.count)
            if count <= 0 { return contents }
            contents += buffer[0..<count]
        }
    }

    func exists(_ path: [UInt8]) -> Bool {
        var status = stat()
        return Self.withCString(path) { lstat($0, &status) } == 0
    }

    func mode(_ path: [UInt8]) -> mode_t {
        var status = stat()
        _ = Self.withCString(path) { lstat($0, &status) }
        return status.st_mode & 0o7777
    }

    func names(in path: [UInt8]) -> Set<[UInt8]> {
        guard let descriptor = try? FileDescriptor.openDirectory(path), let entries = try? descriptor.readEntries()
        else {
            return []
        }
        return Set(entries.map(\.name))
    }

    func infoFile(_ trashName: [UInt8]) -> [UInt8] { trashInfo + [0x2F] + trashName + Array(".trashinfo".utf8) }

    /// Sets mtime and atime of `path`, like `touch -d`.
    func setMtime(_ path: [UInt8], _ seconds: Int64) {
        var times = [timespec(tv_sec: Int(seconds), tv_nsec: 0), timespec(tv_sec: Int(seconds), tv_nsec: 0)]
        _ = Self.withCString(path) { utimensat(AT_FDCWD, $0, &times, AT_SYMLINK_NOFOLLOW) }
    }

    /// Rows of `trash` by name, and `trash_usage` against a count of them.
    func rows() throws -> [[UInt8]: TrashedItem] { try store.trashRows() }

    func usageIsExact() throws -> Bool {
        let counted = try store.database.statement("SELECT count(*), coalesce(sum(size), 0) FROM trash")
            .firstRow { ($0.int64(0), $0.int64(1)) }!
        let usage = try store.trashUsage()
        return usage.files == counted.0 && usage.bytes == counted.1
    }

    func events() throws -> [(action: String, path: [UInt8], newPath: [UInt8], cause: String)] {
        var rows: [(String, [UInt8], [UInt8], String)] = []
        try store.database.statement("SELECT action, path, new_path, cause FROM events ORDER BY id").forEachRow {
            rows.append(($0.string(0), $0.bytes(1), $0.bytes(2), $0.string(3)))
        }
        return rows.map { (action: $0.0, path: $0.1, newPath: $0.2, cause: $0.3) }
    }

    static func withCString<R>(_ bytes: [UInt8], _ body: (UnsafePointer<CChar>) -> R) -> R {
        PathBytes.withCString(bytes, body)
    }
}
