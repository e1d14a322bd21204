import Foundation
import Glibc
import StorekeeperConfig
import StorekeeperEngine
import StorekeeperMonitoring
import StorekeeperSystem
import TestSupport
import Testing

/// Clients written against the earlier Python design read
/// `/api/v1/storage/stats` and `POST /api/v1/storage/cleanup`: every key of
/// that design's responses is there with its JSON type, beside today's keys.
/// And the storage README `init` writes tells an operator what each folder
/// is for and how to see its use.
@Suite struct PythonClientCompatTests {
    /// The JSON types a Python client sees after `json.loads`, told apart on
    /// the parsed text (Foundation's NSNumber blurs booleans and numbers).
    enum Kind {
        case string, integer, float, bool, object, array, isoOrNull

        func matches(_ value: JSONValue?) -> Bool {
            switch (self, value) {
            case (.string, .string?), (.integer, .int?), (.float, .double?), (.float, .int?), (.bool, .bool?),
                (.object, .object?), (.array, .array?), (.isoOrNull, .null?):
                return true
            case (.isoOrNull, .string(let text)?):
                return ISO8601DateFormatter().date(from: text) != nil
            default:
                return false
            }
        }
    }

    static func parsed(_ response: HTTPClient.Response) throws -> JSONValue {
        try JSONValue.parse(Array(response.body.utf8))
    }

    static func expectKeys(
        _ object: JSONValue?, _ keys: [String: Kind], in what: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        for (key, kind) in keys.sorted(by: { $0.key < $1.key }) {
            #expect(
                kind.matches(object?[key]),
                "\(what): '\(key)' should be \(kind), is \(String(describing: object?[key]))",
                sourceLocation: sourceLocation)
        }
    }

    @Test func statsCarriesTheEarlierDesignsKeys() throws {
        let (tree, daemon) = try HTTPTests.served()
        defer { _ = try? daemon.stop() }
        let stats = try HTTPClient.curl([daemon.url + "/api/v1/storage/stats"])
        #expect(stats.status == 200)
        let json = try Self.parsed(stats)

        Self.expectKeys(
            json,
            [
                "base_path": .string, "total_files": .integer, "total_size_bytes": .integer,
                "total_size_human": .string,
                "file_counts": .object, "size_by_category": .object, "quota_status": .object, "oldest_files": .object,
            ], in: "stats (earlier design)")
        Self.expectKeys(
            json,
            [
                "index_path": .string, "categories": .object, "total_bytes": .integer,
                "total_allocated_bytes": .integer,
                "trash": .object, "daemon": .object,
            ], in: "stats (today)")
        #expect(json["base_path"]?.stringValue == tree.base)
        #expect(json["total_size_bytes"]?.intValue == json["total_bytes"]?.intValue)
        #expect(json["total_files"]?.intValue == 4, "the README in /, old.part, new.part, a.mp4")

        for key in ["temp", "uploads", "frames", "contact_sheets", "outputs"] {
            #expect(Kind.integer.matches(json["file_counts"]?[key]), "file_counts[\(key)]")
            #expect(Kind.integer.matches(json["size_by_category"]?[key]), "size_by_category[\(key)]")
            #expect(Kind.isoOrNull.matches(json["oldest_files"]?[key]), "oldest_files[\(key)]")
            Self.expectKeys(
                json["quota_status"]?[key],
                ["used_bytes": .integer, "quota_bytes": .integer, "percent_used": .float, "exceeded": .bool],
                in: "quota_status[\(key)]")
        }
        #expect(json["file_counts"]?["temp"]?.intValue == 2)
        #expect(json["size_by_category"]?["temp"]?.intValue == 130)
        #expect(Kind.string.matches(json["oldest_files"]?["temp"]), "temp holds files")
        #expect(json["oldest_files"]?["frames"] == .null, "frames is empty")
        #expect(json["quota_status"]?["temp"]?["quota_bytes"]?.intValue == 5 << 30)
        #expect(json["quota_status"]?["temp"]?["exceeded"] == .bool(false))
    }

    @Test func cleanupCarriesTheEarlierDesignsSummary() throws {
        let (tree, daemon) = try HTTPTests.served()
        defer { _ = try? daemon.stop() }
        for dryRun in [true, false] {
            let response = try HTTPClient.curl(["-X", "POST", daemon.url + "/api/v1/storage/cleanup?dry_run=\(dryRun)"])
            #expect(response.status == 200, "\(response.body)")
            let json = try Self.parsed(response)
            let what = "cleanup dry_run=\(dryRun)"
            Self.expectKeys(
                json,
                [
                    "status": .string, "start_time": .isoOrNull, "end_time": .isoOrNull, "duration_seconds": .float,
                    "dry_run": .bool, "files_removed": .integer, "bytes_freed": .integer, "categories": .object,
                    "errors": .array,
                ], in: what + " (earlier design)")
            Self.expectKeys(
                json,
                [
                    "run_id": .integer, "trigger": .string, "total_files_removed": .integer,
                    "total_bytes_freed": .integer,
                    "total_skipped": .integer, "total_errors": .integer, "trash": .object, "warnings": .array,
                ], in: what + " (today)")
            #expect(json["status"]?.stringValue == "completed", "\(what): \(response.body)")
            let start = try #require(json["start_time"]?.stringValue, "\(what): a start time, not null")
            let end = try #require(json["end_time"]?.stringValue, "\(what): an end time, not null")
            #expect(start <= end)
            #expect((json["duration_seconds"]?.doubleValue ?? -1) >= 0)
            #expect(json["dry_run"] == .bool(dryRun))
            #expect(json["files_removed"]?.intValue == 1, "\(what): old.part")
            #expect(json["bytes_freed"]?.intValue == json["total_bytes_freed"]?.intValue)
            #expect(json["errors"] == .array([]))
            #expect(json["categories"]?["contact_sheets"] != nil, "keyed by the configuration key")
            let temp = json["categories"]?["temp"]
            Self.expectKeys(temp, ["files_removed": .integer, "bytes_freed": .integer], in: what + " categories.temp")
            #expect(temp?["files_removed"]?.intValue == 1)
        }
        #expect(!FileManager.default.fileExists(atPath: tree.base + "/temp/job/old.part"))
    }

    @Test func storageReadmeSaysWhatEachFolderIsFor() throws {
        let tree = try TemporaryTree()
        try tree.writeConfig(
            """
            storage:
              base_path: "\(tree.base)"
            """)
        #expect(try tree.storekeeper(["init"]).status == 0)
        let readme = try String(contentsOfFile: tree.base + "/README.md", encoding: .utf8)
        let expected: [(folder: String, holds: String, retention: String, quota: String)] = [
            ("temp/", "scratch files", "1d", "5.0 GiB"),
            ("uploads/", "uploaded", "7d", "10 GiB"),
            ("frames/", "frames extracted", "30d", "50 GiB"),
            ("contact-sheets/", "contact sheets", "30d", "20 GiB"),
            ("outputs/", "final analysis results", "kept forever", "100 GiB"),
        ]
        let rows = readme.split(separator: "\n").map(String.init)
        for folder in expected {
            let row = try #require(
                rows.first { $0.hasPrefix("| `\(folder.folder)`") }, "no row for \(folder.folder):\n\(readme)")
            for part in [folder.holds, folder.retention, folder.quota] {
                #expect(row.contains(part), "\(folder.folder) row lacks '\(part)': \(row)")
            }
        }
        for usage in [
            "storekeeper stats", "quota_status", "expired_files", "largest_files", "recent_deletions", "trash_contents",
        ] {
            #expect(readme.contains("`\(usage)"), "the README does not say \(usage):\n\(readme)")
        }
    }
}
