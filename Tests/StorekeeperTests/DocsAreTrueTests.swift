import Foundation
import TestSupport
import Testing

/// What README.md and docs/*.md name is real: the flags they give a command
/// are in its `--help`, the repository paths they name exist, and the
/// metrics they name are served by a real daemon's `/metrics`.
@Suite struct DocsAreTrueTests {
    static let repository = Repository.root

    /// (file, line number, line) for every line of the documentation.
    static func documentation() throws -> [(file: String, number: Int, line: String)] {
        let docs = try FileManager.default.contentsOfDirectory(atPath: repository + "/docs")
            .filter { $0.hasSuffix(".md") }.sorted().map { "docs/" + $0 }
        #expect(!docs.isEmpty, "no docs/*.md found under \(repository)")
        return try (["README.md"] + docs).flatMap { file in
            try String(contentsOfFile: repository + "/" + file, encoding: .utf8)
                .components(separatedBy: "\n").enumerated().map { (file, $0.offset + 1, $0.element) }
        }
    }

    static func matches(_ pattern: String, in text: String, group: Int = 0) -> [(String, Range<String.Index>)] {
        let regex = try! NSRegularExpression(pattern: pattern)
        return regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap { match in
            guard let range = Range(match.range(at: group), in: text) else { return nil }
            return (String(text[range]), range)
        }
    }

    @Test func everyDocumentedFlagIsInItsCommandsHelp() throws {
        let overview = try StorekeeperBinary.run(["--help"], in: "/").stdout
        let commands = Set(Self.matches(#"(?m)^  ([a-z]+) {2,}"#, in: overview, group: 1).map(\.0))
        #expect(commands.contains("clean") && commands.contains("trash"), "subcommands not found in:\n\(overview)")
        var helps: [String: String] = [:]
        var checked = 0
        for (file, number, line) in try Self.documentation() {
            for (command, range) in Self.matches(#"storekeeper ([a-z]+)"#, in: line, group: 1)
            where commands.contains(command) {
                // The invocation ends where its code span, cell or shell command does.
                let rest = String(line[range.upperBound...])
                let invocation =
                    rest.components(separatedBy: "`").first?
                    .components(separatedBy: " | ").first?.components(separatedBy: ";").first?
                    .components(separatedBy: "&&").first?.components(separatedBy: " #").first ?? rest
                for (flag, _) in Self.matches(#"(?<![\w-])--[a-z][a-z-]*"#, in: invocation) {
                    if helps[command] == nil {
                        helps[command] = try StorekeeperBinary.run([command, "--help"], in: "/").stdout
                    }
                    let help = helps[command] ?? ""
                    checked += 1
                    #expect(
                        Self.matches(#"(?<![\w-])\#(flag)(?![\w-])"#, in: help).count > 0,
                        "\(file):\(number): 'storekeeper \(command) \(flag)' is not in 'storekeeper \(command) --help'")
                }
            }
        }
        #expect(checked > 10, "found only \(checked) documented flags: the pattern no longer matches the docs")
    }

    @Test func everyDocumentedRepositoryPathExists() throws {
        var checked = 0
        for (file, number, line) in try Self.documentation() {
            // Not after a '/', '.' or word: `./config/…` or `/etc/storekeeper/config` are not repository paths.
            for (named, _) in Self.matches(
                #"(?<![\w./-])(?:scripts|config|schema|Sources|Tests|docs)/[A-Za-z0-9_./+*-]*"#, in: line)
            {
                var path = named
                while let last = path.last, ".,:)".contains(last) { path.removeLast() }
                checked += 1
                let full = Self.repository + "/" + path
                if path.contains("*") {
                    let result = try Shell.run(["bash", "-c", "compgen -G \"$0\" >/dev/null", full], in: "/")
                    #expect(result.status == 0, "\(file):\(number): nothing matches \(path)")
                } else {
                    #expect(FileManager.default.fileExists(atPath: full), "\(file):\(number): \(path) does not exist")
                }
            }
        }
        #expect(checked > 10, "found only \(checked) documented paths: the pattern no longer matches the docs")
    }

    @Test func everyDocumentedMetricIsServed() throws {
        var documented: [String: String] = [:]
        for (file, number, line) in try Self.documentation() {
            for (name, _) in Self.matches(#"storekeeper_[a-z0-9_]+"#, in: line) where documented[name] == nil {
                documented[name] = "\(file):\(number)"
            }
        }
        #expect(documented.count > 10, "found only \(documented.count) documented metrics")
        let (_, daemon) = try HTTPTests.served()
        defer { _ = try? daemon.stop() }
        let metrics = try HTTPClient.curl([daemon.url + "/metrics"])
        #expect(metrics.status == 200)
        // HELP and TYPE are written for every family, even one with no sample
        // yet (a labelled counter before its first event).
        let served = Set(
            Self.matches(#"(?m)^# (?:HELP|TYPE) (storekeeper_[a-z0-9_]+) "#, in: metrics.body, group: 1).map(\.0))
        #expect(served.count > 10, "no families in:\n\(metrics.body)")
        for (name, place) in documented.sorted(by: { $0.key < $1.key }) {
            let family = ["_bucket", "_sum", "_count"].reduce(name) { name, suffix in
                name.hasSuffix(suffix) && served.contains(String(name.dropLast(suffix.count)))
                    ? String(name.dropLast(suffix.count)) : name
            }
            #expect(served.contains(family), "\(place): \(name) is not served by /metrics")
        }
    }
}
