import Foundation
import Testing

@testable import StorekeeperConfig
@testable import StorekeeperHTTP

@Suite struct YAMLReaderTests {
    private func parse(_ text: String) throws(YAMLError) -> YAMLNode {
        try YAMLReader.parse(text, file: "test.yaml")
    }

    private func rejection(_ text: String) -> YAMLError? {
        do {
            _ = try parse(text)
            return nil
        } catch {
            return error
        }
    }

    private func entries(_ node: YAMLNode) -> [YAMLMappingEntry] {
        guard case .mapping(let entries, _) = node else { return [] }
        return entries
    }

    private func value(_ text: String) throws -> YAMLValue? {
        guard case .scalar(let scalar)? = entries(try parse("k: \(text)\n")).first?.value else { return nil }
        return scalar.resolved
    }

    // MARK: - Structure

    @Test func nestedMappingsKeepSourceOrderAndLines() throws {
        let node = try parse(
            """
            # header
            b: 1
            a:
              z: x
              y: 'q'
            """)
        let top = entries(node)
        #expect(top.map(\.key) == ["b", "a"])
        #expect(top.map(\.keyLine) == [2, 3])
        let inner = entries(top[1].value)
        #expect(inner.map(\.key) == ["z", "y"])
        #expect(inner[1].value == .scalar(YAMLScalar(text: "q", style: .singleQuoted, line: 5, resolved: .string("q"))))
        #expect(top[1].value.line == 4)
    }

    @Test func emptyDocumentIsAnEmptyMapping() throws {
        #expect(try parse("") == .mapping([], line: 1))
        #expect(entries(try parse("# only a comment\n\n")).isEmpty)
        #expect(entries(try parse("---\n")).isEmpty)
    }

    @Test func sequencesBlockIndentlessAndFlow() throws {
        let top = entries(
            try parse(
                """
                a:
                  - x
                  -
                b:
                - 'y'
                c: [1, "two", ~]
                """))
        guard case .sequence(let a, let line) = top[0].value,
            case .sequence(let b, _) = top[1].value,
            case .sequence(let c, _) = top[2].value
        else {
            Issue.record("expected three sequences")
            return
        }
        #expect(line == 2)
        #expect(
            a == [
                .scalar(YAMLScalar(text: "x", style: .plain, line: 2, resolved: .string("x"))),
                .scalar(YAMLScalar(text: "", style: .plain, line: 3, resolved: .null)),
            ])
        #expect(b.count == 1)
        #expect(
            c.map { node -> YAMLValue? in
                if case .scalar(let s) = node { return s.resolved }
                return nil
            } == [.int(1), .string("two"), .null])
    }

    @Test func emptyValueIsNullOnTheKeyLine() throws {
        let top = entries(try parse("a:\nb: 1\n"))
        #expect(top[0].value == .scalar(YAMLScalar(text: "", style: .plain, line: 1, resolved: .null)))
    }

    // MARK: - Scalars

    @Test func implicitTypesFollowPyYAML() throws {
        #expect(try value("yes") == .bool(true))
        #expect(try value("Off") == .bool(false))
        #expect(try value("y") == .string("y"))
        #expect(try value("~") == .null)
        #expect(try value("0x1F") == .int(31))
        #expect(try value("-1_000") == .int(-1000))
        #expect(try value("-9223372036854775808") == .int(.min))
        #expect(try value("1.") == .float(1))
        #expect(try value("-.inf") == .float(-.infinity))
        #expect(try value("10GiB") == .string("10GiB"))
        #expect(try value("'123'") == .string("123"))
        #expect(try value("\"true\"") == .string("true"))
        guard case .float(let nan)? = try value(".NaN") else {
            Issue.record(".NaN is not a float")
            return
        }
        #expect(nan.isNaN)
    }

    @Test func escapesInDoubleQuotes() throws {
        #expect(try value(#""a\tb\n\x41\u00e9\U0001F600\\\"""#) == .string("a\tb\nAé😀\\\""))
        #expect(try value("'it''s'") == .string("it's"))
    }

    @Test func commentsNeedASpaceBeforeTheHash() throws {
        #expect(try value("a#b # comment") == .string("a#b"))
        #expect(try value("'x' # comment") == .string("x"))
        #expect(rejection("k: 'x'# comment\n")?.message.hasPrefix("a comment needs a space before '#'") == true)
    }

    // MARK: - Rejections carry the line

    @Test(
        arguments: [
            ("a: 1\n\tb: 2\n", 2, "tab character in indentation"),
            ("a: 1\nb: 2\na: 3\n", 3, "duplicate key 'a' (first defined on line 1)"),
            ("a: &x 1\n", 1, "anchors"),
            ("a: *x\n", 1, "aliases"),
            ("a: !!int 1\n", 1, "tags"),
            ("a: {b: 1}\n", 1, "flow mappings"),
            ("a: |\n  x\n", 1, "block scalars"),
            ("a: 1\n---\nb: 2\n", 2, "multiple documents"),
            ("? a\n: b\n", 1, "complex keys"),
            ("a:\n  - b: 1\n", 2, "mappings inside sequences"),
            ("a:\n  - - b\n", 2, "nested sequences"),
            ("a:\n    b: 1\n  c: 2\n", 3, "bad indentation"),
            ("a: 'x\n", 1, "unterminated quoted string"),
            ("a: [1,\n  2]\n", 1, "unterminated flow sequence"),
            ("a: 2024-01-01\n", 1, "ambiguous scalar"),
            ("a: 010\n", 1, "ambiguous scalar"),
            ("a: 1:20\n", 1, "ambiguous scalar"),
            ("yes: 1\n", 1, "quote it"),
            ("- a\n", 1, "root must be a mapping"),
            ("a: b\n  c\n", 2, "bad indentation"),
            ("a:\n  b\n", 2, "multi-line scalars"),
            ("a: \"\\q\"\n", 1, "unknown escape"),
        ] as [(String, Int, String)])
    func rejectsWithLine(text: String, line: Int, fragment: String) {
        let error = rejection(text)
        #expect(error?.line == line, "\(text.debugDescription): \(String(describing: error))")
        #expect(error?.message.contains(fragment) == true, "\(String(describing: error))")
    }

    @Test func errorDescriptionNamesFileLineAndColumn() {
        let error = rejection("a: 1\nb: x\ty\n")
        #expect(error?.description == "test.yaml:2: tab character outside quotes; use spaces (column 5)")
    }

    // MARK: - PyYAML cross-check

    /// Every corpus file, every config shipped in `config/`, and the Python design's
    /// config: we must either produce exactly PyYAML's `safe_load` value or
    /// refuse the document. Files named `accept-*` (and the configs) must be
    /// accepted, `reject-*` refused.
    @Test func agreesWithPyYAML() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        let packageRoot = root.deletingLastPathComponent().deletingLastPathComponent()
        let corpus = try yamlFiles(in: root.appendingPathComponent("Fixtures/yaml-corpus"))
        let configs =
            try yamlFiles(in: packageRoot.appendingPathComponent("config"))
            + [root.appendingPathComponent("Fixtures/seed-config.yaml").path]
        #expect(corpus.count >= 40)
        #expect(!configs.isEmpty)
        let files = corpus + configs
        let expected = try PyYAML.safeLoad(files)
        for (file, pyyaml) in zip(files, expected) {
            let name = URL(fileURLWithPath: file).lastPathComponent
            let mustAccept = name.hasPrefix("accept-") || configs.contains(file)
            let mustReject = name.hasPrefix("reject-")
            let ours: Result<String, YAMLError>
            do {
                ours = .success(try Self.canonical(parseFile(file)))
            } catch let error as YAMLError {
                ours = .failure(error)
            }
            switch ours {
            case .success(let canonical):
                // An empty document is an empty mapping for us and None for PyYAML.
                let agrees = canonical == pyyaml || (canonical == "{}" && pyyaml == "null")
                #expect(agrees, "\(name): accepted as \(canonical) but PyYAML reads \(pyyaml)")
                #expect(!mustReject, "\(name) should be rejected")
            case .failure(let error):
                #expect(!mustAccept, "\(name) should be accepted: \(error)")
            }
        }
    }

    private func yamlFiles(in directory: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".yaml") }
            .sorted()
            .map { directory.appendingPathComponent($0).path }
    }

    private func parseFile(_ path: String) throws -> YAMLNode {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        guard let text = String(data: data, encoding: .utf8) else {
            throw YAMLError(file: path, line: 1, message: "not UTF-8")
        }
        return try YAMLReader.parse(text, file: path)
    }

    /// The same canonical text `PyYAML.script` prints.
    static func canonical(_ node: YAMLNode) -> String {
        switch node {
        case .scalar(let scalar):
            switch scalar.resolved {
            case .null: return "null"
            case .bool(let bool): return bool ? "true" : "false"
            case .int(let int): return "int:\(int)"
            case .float(let double): return double.isNaN ? "float:nan" : "float:\(double.bitPattern)"
            case .string(let string): return PyYAML.hexString(string)
            }
        case .sequence(let items, _):
            return "[" + items.map(canonical).joined(separator: ",") + "]"
        case .mapping(let entries, _):
            return "{" + entries.map { PyYAML.hexString($0.key) + ":" + canonical($0.value) }.joined(separator: ",")
                + "}"
        }
    }
}
