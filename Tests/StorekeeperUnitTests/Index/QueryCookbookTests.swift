import Foundation
import TestSupport
import Testing

@testable import StorekeeperConfig
@testable import StorekeeperEngine
@testable import StorekeeperHTTP
@testable import StorekeeperIndex
@testable import StorekeeperMonitoring
@testable import StorekeeperSystem

/// Runs every ```sql block of docs/queries.md with the real sqlite3 shell, the
/// way an operator would, against an index holding one of everything.
@Suite struct QueryCookbookTests {
    struct Query {
        let heading: String
        let sql: String
    }

    static let cookbookPath = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/queries.md").path

    /// Every ```sql block with the `## ` heading it sits under.
    static func queries(in markdown: String) -> [Query] {
        var queries: [Query] = []
        var heading = ""
        var block: [Substring]?
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            if var lines = block {
                if line == "```" {
                    queries.append(Query(heading: heading, sql: lines.joined(separator: "\n") + "\n"))
                    block = nil
                } else {
                    lines.append(line)
                    block = lines
                }
            } else if line.hasPrefix("## ") {
                heading = String(line.dropFirst(3))
            } else if line == "```sql" {
                block = []
            }
        }
        return queries
    }

    let directory: TemporaryDirectory
    let store: IndexStore
    let now = Int64(Date().timeIntervalSince1970)
    let markdown: String
    let queries: [Query]

    init() throws {
        directory = try TemporaryDirectory()
        store = try IndexStore.create(path: directory.path("index.db"))
        markdown = try String(contentsOfFile: Self.cookbookPath, encoding: .utf8)
        queries = Self.queries(in: markdown)
        try populate()
    }

    func populate() throws {
        let day: Int64 = 86_400
        try store.recordPolicy([
            CategoryPolicy(
                key: "temp", directories: ["temp"], retentionSeconds: day, quotaBytes: 1_000, onQuota: .evict,
                ageBy: .mtime),
            CategoryPolicy(
                key: "frames", directories: ["frames"], retentionSeconds: 30 * day, quotaBytes: 1 << 30,
                onQuota: .evict, ageBy: .mtime),
            CategoryPolicy(
                key: "uploads", directories: ["uploads"], retentionSeconds: 7 * day, quotaBytes: nil,
                onQuota: .alert, ageBy: .pathDate),
            CategoryPolicy(
                key: "outputs", directories: ["outputs"], retentionSeconds: nil, quotaBytes: nil, onQuota: .alert,
                ageBy: .mtime),
        ])
        let files: [(path: [UInt8], category: String, kind: FileStatus.Kind, size: Int64, age: Int64)] = [
            (Array("temp/job_1/render.part".utf8), "temp", .file, 600, 2 * day),
            (Array("temp/job_1/sub/frame.tmp".utf8), "temp", .file, 500, 60),
            (Array("temp/job_10/other.tmp".utf8), "temp", .file, 50, day - 3_600),
            (Array("temp/job_1x".utf8), "temp", .file, 5, 120),
            (Array("temp/caf".utf8) + [0xE9] + Array(".tmp".utf8), "temp", .file, 7, 30),
            (Array("frames/2024/a.jpg".utf8), "frames", .file, 3_000, 40 * day),
            (Array("frames/2024/b.jpg".utf8), "frames", .file, 2_000, day),
            (Array("frames/2024/caf\u{E9}.jpg".utf8), "frames", .file, 1_000, day),
            (Array("uploads/2020-01-01/clip.mov".utf8), "uploads", .file, 9_000, 60),
            (Array("outputs/final.mp4".utf8), "outputs", .file, 100_000, 400 * day),
            (Array("outputs/latest".utf8), "outputs", .symlink, 9, 400 * day),
            (Array("README".utf8), "/", .file, 1, 10 * day),
        ]
        for (offset, file) in files.enumerated() {
            try store.insert(
                IndexedFile(
                    path: file.path, category: file.category, kind: file.kind, size: file.size,
                    mtime: now - file.age, mtimeNanoseconds: 0, inode: UInt64(offset + 100),
                    pathDate: PathDate.timestamp(in: file.path)),
                now: now - file.age)
        }
        let part = Array("temp/job_1/render.part".utf8)
        let events = [
            IndexEvent(time: now - 7_200, action: .create, path: part, category: "temp", size: 600, cause: "watcher"),
            IndexEvent(
                time: now - 3_600, action: .move, path: Array("temp/job_1/x".utf8), newPath: part, cause: "watcher"),
            IndexEvent(
                time: now - 600, action: .evict, path: Array("frames/old.jpg".utf8), category: "frames", size: 70,
                cause: "quota"),
            IndexEvent(
                time: now - 500, action: .trash, path: Array("temp/gone.tmp".utf8), newPath: Array("gone.tmp".utf8),
                category: "temp", size: 80, cause: "expired"),
        ]
        for event in events { try store.record(event) }
        try store.database.execute(
            """
            INSERT INTO cleanup_runs (started_at, finished_at, trigger, dry_run, status, files_removed, bytes_freed,
                                      files_skipped, errors, detail)
            VALUES (\(now - 300), \(now - 290), 'schedule', 0, 'ok', 3, 4096, 1, 0, 'nightly');
            INSERT INTO jobs (name, schedule, last_started_at, last_finished_at, last_status, next_run_at, runs)
            VALUES ('cleanup', '0 2 * * *', \(now - 3_600), \(now - 3_590), 'ok', \(now + 82_800), 5);
            """)
        // Two samples in the last day and one too old for "Usage over time".
        try store.recordUsageSample(at: now - 2 * day)
        try store.recordUsageSample(at: now - 600)
        try store.recordUsageSample(at: now - 300)
    }

    /// Runs `sql` as `sqlite3 -readonly -bail index.db < query` while the store holds the index open.
    func run(_ sql: String) throws -> Shell.Result {
        let program = try Shell.require("sqlite3", installedBy: "scripts/test installs it (apt-get install sqlite3)")
        return try Shell.run([program, "-init", "/dev/null", "-readonly", "-bail", store.database.path], input: sql)
    }

    /// The output of the query under `heading`, after checking it ran cleanly.
    func output(of heading: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String] {
        let query = try #require(
            queries.first { $0.heading == heading }, "no ```sql block under '## \(heading)'",
            sourceLocation: sourceLocation)
        let result = try run(query.sql)
        #expect(result.status == 0, "\(heading): \(result.stderr)", sourceLocation: sourceLocation)
        return result.lines
    }

    /// Enough to answer an operator's common questions, few enough to read
    /// through; one more than twenty since the usage history came.
    @Test func theCookbookOpensTheIndexReadOnlyAndHasTwelveToTwentyOneQueries() {
        #expect(markdown.contains("sqlite3 -readonly storage/.storekeeper/index.db"))
        #expect((12...21).contains(queries.count), "\(queries.count) queries")
        #expect(queries.allSatisfy { !$0.heading.isEmpty })
    }

    @Test func everyQueryRunsInTheSqlite3Shell() throws {
        for query in queries {
            let result = try run(query.sql)
            #expect(result.status == 0, "\(query.heading): exit \(result.status)")
            #expect(!result.stderr.contains("Error"), "\(query.heading): \(result.stderr)")
        }
    }

    @Test func usageAndQuotaShowTheCounts() throws {
        #expect(try output(of: "Usage per category").contains { $0.hasPrefix("temp|5|1162|") })
        #expect(try output(of: "Quota status").contains("temp|5|1162|1000|116.2|over|1162"))
        #expect(try output(of: "Policy in force").first == "temp|temp|1.0|1000|evict|mtime|0")
        #expect(try output(of: "Check usage against a recount") == [])
        let history = try output(of: "Usage over time").filter { $0.hasPrefix("temp|") }
        #expect(history.count == 2, "the two samples of the last day: \(history)")
        #expect(history.allSatisfy { $0.split(separator: "|").dropFirst(2).prefix(2) == ["5", "1162"] }, "\(history)")
    }

    @Test func expiryQueriesFindWhatIsPastAndNearRetention() throws {
        let expired = try output(of: "Expired files").map { $0.prefix { $0 != "|" } }
        #expect(Set(expired) == ["temp/job_1/render.part", "frames/2024/a.jpg", "uploads/2020-01-01/clip.mov"])
        #expect(try output(of: "Expired files per category").contains("uploads|1|9000"))
        #expect(try output(of: "What expires in the next day") == ["temp|4|562"])
    }

    @Test func pathQueriesUseExactBytes() throws {
        #expect(
            try output(of: "Files in one folder").map { $0.prefix { $0 != "|" } }
                == ["temp/job_1/render.part", "temp/job_1/sub/frame.tmp"])
        let invalid = try output(of: "Names that are not UTF-8")
        #expect(invalid.count == 1)
        #expect(invalid.first?.contains("|74656D702F636166E92E746D70|temp|7") == true)
        #expect(try output(of: "Symlinks") == ["outputs/latest|outputs|9"])
        #expect(try output(of: "Largest directories").first?.hasPrefix("outputs/|2|100009") == true)
    }

    @Test func historyQueriesShowEventsRunsAndJobs() throws {
        let history = try output(of: "History of one file")
        #expect(history.map { $0.split(separator: "|", omittingEmptySubsequences: false)[1] } == ["create", "move"])
        #expect(try output(of: "Recent deletions").map { $0.split(separator: "|")[1] } == ["trash", "evict"])
        #expect(try output(of: "Last cleanup runs").first?.hasSuffix("|10|schedule|0|ok|3|4096|1|0|nightly") == true)
        #expect(try output(of: "Scheduled jobs").first?.hasPrefix("cleanup|0 2 * * *|ok|") == true)
    }
}
