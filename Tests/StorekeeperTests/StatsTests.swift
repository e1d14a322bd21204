import Foundation
import TestSupport
import Testing

/// `stats` answers from the index alone, and its totals are what `find` and
/// `stat` say of the same tree.
@Suite struct StatsTests {
    /// Per category (top-level folder mapped to its key), files and bytes as find
    /// sees them; `.gitkeep` files are layout, not counted (migration 4).
    static func findTotals(_ tree: TemporaryTree) throws -> [String: (files: Int, bytes: Int)] {
        let listing = try Shell.run(
            [
                "find", tree.base, "-path", tree.base + "/.storekeeper", "-prune", "-o", "(", "-type", "f", "-o",
                "-type", "l",
                ")", "!", "-name", ".gitkeep", "-printf", "%P\\t%s\\n",
            ],
            in: tree.root)
        var totals: [String: (files: Int, bytes: Int)] = [:]
        for line in listing.stdout.split(separator: "\n") {
            let fields = line.split(separator: "\t")
            let path = fields[0]
            let top = path.contains("/") ? String(path.split(separator: "/")[0]) : "/"
            let category = top == "contact-sheets" ? "contact_sheets" : top
            let size = Int(fields[1])!
            totals[category, default: (0, 0)].files += 1
            totals[category, default: (0, 0)].bytes += size
        }
        return totals
    }

    @Test func totalsEqualFindAndStatPerCategory() throws {
        let tree = try TemporaryTree()
        var seed: UInt64 = 42
        for index in 0..<2000 {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let folder = [
                "uploads/2026-11-0\(index % 9 + 1)", "frames/video_\(index % 13)", "contact-sheets/s", "outputs/o",
                "temp/job_\(index % 5)", "misc",
            ][index % 6]
            tree.writeFile("\(folder)/file_\(index)", size: Int(seed >> 52))
        }
        tree.symlink("outputs/link".bytes, target: "/etc/hostname")
        try ScanVerifyTests.initAndScan(tree)

        let result = try tree.storekeeper(["stats", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let categories = try #require(json["categories"] as? [String: [String: Any]])
        let expected = try Self.findTotals(tree)
        for (category, totals) in expected {
            #expect(categories[category]?["files"] as? Int == totals.files, "\(category)")
            #expect(categories[category]?["bytes"] as? Int == totals.bytes, "\(category)")
        }
        #expect(json["total_files"] as? Int == expected.values.reduce(0) { $0 + $1.files })
        #expect(json["total_bytes"] as? Int == expected.values.reduce(0) { $0 + $1.bytes })
        #expect((json["free_bytes"] as? Int ?? 0) > 0)
        let temp = try #require(categories["temp"])
        #expect(temp["retention_seconds"] as? Int == 86_400)
        #expect(temp["quota_bytes"] as? Int == 5 * 1024 * 1024 * 1024)
        #expect(categories["outputs"]?["retention_seconds"] as? Int == -1)
        #expect(categories["misc"]?["managed"] as? Bool == false)
    }

    @Test func prometheusOutputIsValidExposition() throws {
        let tree = try TemporaryTree()
        tree.writeFile("temp/a\"b\\c", size: 3)
        try ScanVerifyTests.initAndScan(tree)
        let result = try tree.storekeeper(["stats", "--prometheus"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("storekeeper_category_bytes{category=\"temp\"} 3"))
        #expect(result.stdout.contains("# TYPE storekeeper_filesystem_free_bytes gauge"))
        if let promtool = ["/usr/bin/promtool", "/usr/local/bin/promtool"].first(where: FileManager.default.fileExists)
        {
            let check = try Shell.run([promtool, "check", "metrics"], in: tree.root, input: result.stdout)
            #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        }
    }

    @Test func statsReadsTheIndexWhileAWriterHoldsIt() throws {
        let tree = try TemporaryTree()
        tree.writeFile("uploads/x", size: 9)
        try ScanVerifyTests.initAndScan(tree)
        let lock = try WriterLockHolder(tree)
        defer { lock.release() }
        let result = try tree.storekeeper(["stats"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("uploads"))
    }
}
