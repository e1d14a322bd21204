import Foundation
import Glibc
import StorekeeperEngine
import Testing

@testable import StorekeeperIndex

/// The scanner merges the walk with the index in path order, so the walk must
/// emit paths in exactly SQLite's BINARY order, whatever bytes the names hold.
@Suite struct TreeWalkerOrderTests {
    /// Names around '/' (0x2F) in byte order: ' ' '!' '-' '.' sort before it, '0' 'A' 'a' 0xFF after.
    static let tricky: [[UInt8]] =
        [
            "a", "a b", "a!", "a-b", "a.b", "a0", "aA", "ab", "b", "\n", " ", "é",
        ].map { Array($0.utf8) } + [[0x61, 0xFF], [0xFF], [0x61, 0x01]]

    @Test(arguments: [UInt64(1), 2, 3, 4, 5])
    func walkOrderIsIndexOrder(seed: UInt64) throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("walk-\(UUID().uuidString)").path
        mkdir(root, 0o755)
        defer { _ = try? FileManager.default.removeItem(atPath: root) }

        // Random trees of tricky names: each name a file or a folder at random.
        var state = seed
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        var created: [[UInt8]] = []
        func populate(_ relative: [UInt8], depth: Int) {
            for name in Self.tricky where next(3) > 0 {
                let path = relative.isEmpty ? name : relative + [0x2F] + name
                let absolute = Array(root.utf8) + [0x2F] + path + [0]
                let isDirectory = depth < 3 && next(2) == 0
                _ = absolute.withUnsafeBufferPointer { buffer in
                    buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { pointer in
                        if isDirectory {
                            mkdir(pointer, 0o755)
                        } else {
                            close(open(pointer, O_WRONLY | O_CREAT, 0o644))
                        }
                    }
                }
                if isDirectory { populate(path, depth: depth + 1) } else { created.append(path) }
            }
        }
        populate([], depth: 0)

        var walked: [[UInt8]] = []
        try TreeWalker(basePath: root).walk(subtree: []) { item in
            if case .entry(let path, _) = item { walked.append(path) }
        }
        #expect(walked.count == created.count)
        #expect(walked == created.sorted(by: PathOrder.less))
        // And SQLite agrees that this is its order.
        #expect(walked == sqliteOrder(walked))
    }

    private func sqliteOrder(_ paths: [[UInt8]]) -> [[UInt8]] {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("order-\(UUID().uuidString).db").path
        defer { unlink(path) }
        guard let database = try? Database(path: path) else { return [] }
        try? database.execute("CREATE TABLE t (p TEXT)")
        for item in paths.shuffled() { try? database.statement("INSERT INTO t VALUES (?1)").execute([.text(item)]) }
        var ordered: [[UInt8]] = []
        try? database.statement("SELECT p FROM t ORDER BY p").forEachRow { ordered.append($0.bytes(0)) }
        return ordered
    }
}
