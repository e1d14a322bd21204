import Foundation
import Testing

/// The shape docs/architecture.md promises, checked on the sources: every
/// import follows the target graph of Package.swift (SwiftPM puts all modules
/// in one folder, so an import of a target that is not a dependency can
/// compile by accident once that target has been built), and no file or
/// function outgrows what a reader can hold in their head.
@Suite struct ArchitectureTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    /// Generated from schema/*.sql by scripts/embed-schema: data, not code.
    static let generated: Set<String> = ["EmbeddedSchema.swift"]
    static let maximumFileLines = 400
    static let maximumFunctionLines = 60

    @Test func everyImportFollowsTheTargetGraph() throws {
        let graph = try Self.targetGraph()
        #expect(graph.count >= 8, "Package.swift names the targets: \(graph.keys.sorted())")
        for (target, files) in try Self.sourceFiles() {
            let allowed = Self.closure(of: target, in: graph)
            for file in files {
                for module in try Self.imports(of: file) where graph[module] != nil && module != target {
                    #expect(
                        allowed.contains(module),
                        "\(Self.relative(file)) imports \(module), which \(target) does not depend on")
                }
            }
        }
    }

    @Test func theGraphHasNoCycle() throws {
        let graph = try Self.targetGraph()
        for target in graph.keys {
            #expect(!Self.closure(of: target, in: graph).contains(target), "\(target) depends on itself")
        }
    }

    @Test func noFileIsOverTheLimit() throws {
        for (_, files) in try Self.sourceFiles() {
            for file in files where !Self.generated.contains(file.lastPathComponent) {
                let lines = try String(contentsOf: file, encoding: .utf8).split(
                    separator: "\n", omittingEmptySubsequences: false)
                #expect(
                    lines.count <= Self.maximumFileLines + 1,
                    "\(Self.relative(file)) has \(lines.count) lines (limit \(Self.maximumFileLines))")
            }
        }
    }

    @Test func noFunctionIsOverTheLimit() throws {
        for (_, files) in try Self.sourceFiles() {
            for file in files where !Self.generated.contains(file.lastPathComponent) {
                let text = try String(contentsOf: file, encoding: .utf8)
                for function in FunctionLengths.measure(text) where function.lines > Self.maximumFunctionLines {
                    Issue.record(
                        "\(Self.relative(file)):\(function.line) \(function.declaration) is \(function.lines) lines (limit \(Self.maximumFunctionLines))"
                    )
                }
            }
        }
    }

    @Test func theMeasureFindsFunctionsAndIgnoresBracesInStrings() {
        let text = """
            struct A {
                func short() {
                    let brace = "{ not a block // not a comment"
                    if true { print(brace) }
                }
                init(value: Int) throws {
                    // } a comment
                }
            }
            """
        let functions = FunctionLengths.measure(text)
        #expect(functions.map(\.lines) == [4, 3])
        #expect(functions.map(\.line) == [2, 6])
    }

    // MARK: - Reading the package

    /// Target name -> the targets it depends on, from Package.swift.
    static func targetGraph() throws -> [String: [String]] {
        let manifest = try String(contentsOf: root.appendingPathComponent("Package.swift"), encoding: .utf8)
        var graph: [String: [String]] = [:]
        let declaration = try Regex(
            #"\.(?:target|executableTarget)\(\s*name:\s*"(\w+)"(?:,\s*dependencies:\s*\[([^\]]*)\])?"#)
        for match in manifest.matches(of: declaration) {
            let name = String(match.output[1].substring ?? "")
            let dependencies =
                match.output[2].substring.map { list in
                    list.split(separator: ",").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " \n\"")) }
                        .filter { !$0.isEmpty }
                } ?? []
            graph[name] = dependencies
        }
        return graph
    }

    static func closure(of target: String, in graph: [String: [String]]) -> Set<String> {
        var seen: Set<String> = []
        var pending = graph[target] ?? []
        while let next = pending.popLast() {
            guard seen.insert(next).inserted else { continue }
            pending += graph[next] ?? []
        }
        return seen
    }

    static func sourceFiles() throws -> [String: [URL]] {
        let sources = root.appendingPathComponent("Sources")
        var result: [String: [URL]] = [:]
        for target in try FileManager.default.contentsOfDirectory(atPath: sources.path) {
            let folder = sources.appendingPathComponent(target)
            guard let walker = FileManager.default.enumerator(atPath: folder.path) else { continue }
            result[target] = walker.compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") }.sorted()
                .map { folder.appendingPathComponent($0) }
        }
        return result
    }

    static func imports(of file: URL) throws -> [String] {
        try String(contentsOf: file, encoding: .utf8).split(separator: "\n").compactMap { line in
            let words = line.split(separator: " ")
            guard let index = words.firstIndex(of: "import"), index + 1 < words.count,
                words[..<index].allSatisfy({ $0.hasPrefix("@") || ["public", "package", "internal"].contains($0) })
            else { return nil }
            return String(words[index + 1])
        }
    }

    static func relative(_ file: URL) -> String {
        String(file.path.dropFirst(root.path.count + 1))
    }
}

/// Line counts of functions, initializers, computed properties and
/// subscripts: from the declaration's first line to its closing brace.
/// Strings and comments are blanked first, so braces inside them do not count.
enum FunctionLengths {
    struct Function: Equatable {
        let line: Int
        let lines: Int
        let declaration: String
    }

    static func measure(_ text: String) -> [Function] {
        let lines = blankingStringsAndComments(text).split(separator: "\n", omittingEmptySubsequences: false)
        let original = text.split(separator: "\n", omittingEmptySubsequences: false)
        var result: [Function] = []
        for (index, line) in lines.enumerated() where isDeclaration(line) {
            var depth = 0
            var opened = false
            var end = index
            scan: while end < lines.count {
                for character in lines[end] {
                    if character == "{" {
                        depth += 1
                        opened = true
                    } else if character == "}" {
                        depth -= 1
                        if opened && depth == 0 { break scan }
                    }
                }
                // A protocol requirement has no body: stop at the next declaration.
                if !opened && end > index && (lines[end].contains("func ") || lines[end].contains("}")) { break }
                end += 1
            }
            guard opened, end < lines.count else { continue }
            let declaration = original[index].trimmingCharacters(in: .whitespaces)
            result.append(
                Function(line: index + 1, lines: end - index + 1, declaration: String(declaration.prefix(80))))
        }
        return result
    }

    private static func isDeclaration(_ line: Substring) -> Bool {
        var words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })[...]
        let modifiers: Set<Substring> = [
            "public", "package", "internal", "private", "fileprivate", "static", "class", "final", "override",
            "mutating", "nonmutating", "nonisolated", "convenience", "required", "@discardableResult",
            "@inline(__always)",
            "@Sendable", "@inlinable",
        ]
        while let first = words.first, modifiers.contains(first) || first.hasPrefix("private(") || first.hasPrefix("@")
        {
            words = words.dropFirst()
        }
        guard let keyword = words.first else { return false }
        if keyword == "func" || keyword == "subscript" || keyword == "deinit" { return true }
        if keyword.hasPrefix("init(") || keyword.hasPrefix("init?(") || keyword.hasPrefix("init<") { return true }
        // A computed property: `var name: Type {` on one line.
        return keyword == "var" && line.contains(":") && line.hasSuffix("{") && !line.contains("=")
    }

    /// The text with string literals and comments replaced by spaces (lines kept).
    static func blankingStringsAndComments(_ text: String) -> String {
        var output = ""
        var characters = Array(text)[...]
        var inBlockComment = 0
        while let character = characters.first {
            if inBlockComment > 0 {
                if characters.starts(with: "*/") {
                    inBlockComment -= 1; characters = characters.dropFirst(2); output += "  "; continue
                }
                if characters.starts(with: "/*") {
                    inBlockComment += 1; characters = characters.dropFirst(2); output += "  "; continue
                }
                output.append(character == "\n" ? "\n" : " ")
                characters = characters.dropFirst()
            } else if characters.starts(with: "//") {
                while let next = characters.first, next != "\n" { characters = characters.dropFirst(); output += " " }
            } else if characters.starts(with: "/*") {
                inBlockComment = 1
                characters = characters.dropFirst(2)
                output += "  "
            } else if characters.starts(with: "\"\"\"") {
                characters = characters.dropFirst(3)
                output += "\"\"\""
                while !characters.isEmpty && !characters.starts(with: "\"\"\"") {
                    if characters.first == "\\" { characters = characters.dropFirst(); output += " " }
                    if let next = characters.first {
                        output.append(next == "\n" ? "\n" : " "); characters = characters.dropFirst()
                    }
                }
                characters = characters.dropFirst(3)
                output += "\"\"\""
            } else if character == "\"" {
                characters = characters.dropFirst()
                output += "\""
                while let next = characters.first, next != "\"", next != "\n" {
                    if next == "\\" { characters = characters.dropFirst(); output += " " }
                    if characters.first != nil { characters = characters.dropFirst(); output += " " }
                }
                if characters.first == "\"" { characters = characters.dropFirst(); output += "\"" }
            } else {
                output.append(character)
                characters = characters.dropFirst()
            }
        }
        return output
    }
}
