import Foundation
import TestSupport
import Testing

/// The status page in a real browser: Debian's chromium, headless, loads
/// `GET /`, and the numbers it shows are the ones `stats --json` prints;
/// hostile file names show as text. The screenshot is kept in
/// `.build/test-artifacts/status-page.png` for a person to look at.
@Suite(.serialized) struct StatusPageTests {
    static let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }
    static let artifacts = Repository.root + "/.build/test-artifacts"

    /// A served tree whose oldest files have names made to break a page.
    static func hostileTree() throws -> (TemporaryTree, DaemonProcess) {
        let (tree, daemon) = try HTTPTests.served("  monitoring:\n    history_interval: 10s")
        // Each is the oldest file of its category, so the page names it.
        try tree.sh(
            #"mkdir -p temp/x uploads/x && head -c 11 /dev/zero > 'uploads/x/<script>alert(1)<i>".part'"#
                + #" && touch -d '3 days ago' 'uploads/x/<script>alert(1)<i>".part'"#
                + #" && head -c 13 /dev/zero > "$(printf 'temp/x/caf\351<b>.tmp')""#
                + #" && touch -d '4 days ago' "$(printf 'temp/x/caf\351<b>.tmp')""#)
        try WatcherScenarioTests.expectMatch(tree, daemon)
        return (tree, daemon)
    }

    static func stats(_ tree: TemporaryTree) throws -> [String: [String: Any]] {
        let json = try tree.storekeeper(["stats", "--json"]).stdout
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        return (object?["categories"] as? [String: [String: Any]]) ?? [:]
    }

    /// `data-value` of the cell `className` in the row of `category`.
    static func value(in page: String, category: String, className: String) -> Int64? {
        guard let row = page.range(of: "<tr data-category=\"\(category)\"") else { return nil }
        let rest = page[row.upperBound...]
        guard let end = rest.range(of: "</tr>"),
            let cell = rest[..<end.lowerBound].range(of: "class=\"\(className)\" data-value=\"")
        else { return nil }
        return Int64(rest[cell.upperBound...].prefix { $0.isNumber || $0 == "-" })
    }

    @Test func thePageIsServedEscapedAndSelfContained() throws {
        let (_, daemon) = try Self.hostileTree()
        let page = try HTTPClient.curl([daemon.url + "/"])
        #expect(page.status == 200)
        #expect(page.header("Content-Type") == "text/html; charset=utf-8")
        #expect(page.body.hasPrefix("<!DOCTYPE html>"))
        #expect(!page.body.contains("<script"), "no script at all, and the hostile name is escaped")
        #expect(page.body.contains("&lt;script&gt;alert(1)&lt;i&gt;&quot;.part"))
        #expect(page.body.contains(#"caf\xE9&lt;b&gt;.tmp"#), "invalid UTF-8 shows as an escape")
        #expect(
            !page.body.contains("http://") && !page.body.contains("https://") && !page.body.contains("src="),
            "no external asset")
        let head = try HTTPClient.curl(["-I", daemon.url + "/"])
        #expect(head.status == 200 && head.body.isEmpty)
        #expect(try HTTPClient.curl(["-X", "POST", daemon.url + "/"]).status == 405)
    }

    @Test func theHistoryEndpointServesTheSampledSeries() throws {
        let (tree, daemon) = try Self.hostileTree()
        try waitFor("a usage sample with the hostile files", timeout: 60) {
            let count = try tree.sqlite("SELECT count(*) FROM usage_history WHERE category = 'temp' AND files = 3")
            return count != "0"
        }
        let response = try HTTPClient.curl([daemon.url + "/api/v1/storage/history"])
        #expect(response.status == 200)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any])
        let series = try #require(object["categories"] as? [String: [[String: Any]]])
        let temp = try #require(series["temp"])
        #expect(temp.contains { ($0["files"] as? Int) == 3 && ($0["bytes"] as? Int) == 143 }, "\(temp)")
        #expect(temp.allSatisfy { $0["at"] is Int })
    }

    @Test(.enabled(if: chromium != nil, "needs Debian's chromium (scripts/test installs it)"))
    func aRealBrowserShowsTheNumbersStatsPrints() throws {
        let (tree, daemon) = try Self.hostileTree()
        try waitFor("a usage sample", timeout: 60) { try tree.sqlite("SELECT count(*) FROM usage_history") != "0" }
        // A dry run and a real one, so the page lists runs (the expired temp files go).
        #expect(try tree.storekeeper(["clean", "--dry-run"]).status == 0)
        #expect(try tree.storekeeper(["clean"]).status == 0)
        let browser = try #require(Self.chromium)
        let flags = [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--user-data-dir=\(tree.root)/chromium",
        ]
        let dom = try Shell.run([browser] + flags + ["--dump-dom", daemon.url + "/"], in: tree.root)
        #expect(dom.status == 0, "\(dom.stderr)")
        #expect(!dom.stderr.contains("Uncaught") && !dom.stderr.contains("ERR_"), "\(dom.stderr)")
        let stats = try Self.stats(tree)
        #expect(!stats.isEmpty)
        for (category, numbers) in stats {
            #expect(
                Self.value(in: dom.stdout, category: category, className: "files")
                    == (numbers["files"] as? Int).map(Int64.init), "\(category) files")
            #expect(
                Self.value(in: dom.stdout, category: category, className: "bytes")
                    == (numbers["bytes"] as? Int).map(Int64.init), "\(category) bytes")
            #expect(
                Self.value(in: dom.stdout, category: category, className: "allocated")
                    == (numbers["allocated_bytes"] as? Int).map(Int64.init),
                "\(category) allocated")
        }
        // The browser parsed the hostile name as text, not as an element.
        #expect(dom.stdout.contains("&lt;script&gt;alert(1)&lt;i&gt;"))
        #expect(!dom.stdout.contains("<b>.tmp"))
        #expect(dom.stdout.contains("<svg"), "the quota bars and the chart are inline SVG")
        #expect(
            dom.stdout.contains("<table id=\"runs\">") && dom.stdout.contains("manual (dry run)"),
            "both runs are listed")

        try FileManager.default.createDirectory(atPath: Self.artifacts, withIntermediateDirectories: true)
        let screenshot = Self.artifacts + "/status-page.png"
        try? FileManager.default.removeItem(atPath: screenshot)
        let shot = try Shell.run(
            [browser] + flags + [
                "--hide-scrollbars", "--window-size=1280,1500", "--screenshot=\(screenshot)", daemon.url + "/",
            ], in: tree.root)
        #expect(shot.status == 0, "\(shot.stderr)")
        let png = try Data(contentsOf: URL(fileURLWithPath: screenshot))
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]) && png.count > 10_000, "a real PNG at \(screenshot)")
        print("status page screenshot: \(screenshot)")
    }
}
