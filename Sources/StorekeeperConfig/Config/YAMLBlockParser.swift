/// The block structure: which lines belong to which mapping or sequence,
/// decided by indentation alone.
struct YAMLBlockParser {
    private let lines: [YAMLLine]
    private let file: String
    private var index = 0

    init(lines: [YAMLLine], file: String) {
        self.lines = lines
        self.file = file
    }

    private func error(_ line: YAMLLine, _ message: String) -> YAMLError {
        YAMLError(file: file, line: line.number, message: message)
    }

    mutating func parseDocument() throws(YAMLError) -> YAMLNode {
        if let first = lines.first, first.isDocumentMarker, first.content[0] == "-" {
            var scanner = YAMLLineScanner(line: first, file: file, position: 3)
            guard try scanner.atEndOfContent() else {
                throw scanner.error("content after '---' is not supported; start it on the next line")
            }
            index = 1
        }
        guard index < lines.count else {
            return .mapping([], line: lines.first?.number ?? 1)
        }
        let first = lines[index]
        if first.isSequenceEntry || first.content.first == "[" {
            throw error(first, "the document root must be a mapping, not a sequence")
        }
        let root = try parseMapping(indent: first.indent)
        if index < lines.count {
            throw error(lines[index], "bad indentation: this line is outside the root mapping")
        }
        return root
    }

    private mutating func parseMapping(indent: Int) throws(YAMLError) -> YAMLNode {
        var entries: [YAMLMappingEntry] = []
        var seen: [String: Int] = [:]
        let startLine = lines[index].number
        while index < lines.count {
            let line = lines[index]
            if line.indent < indent { break }
            if line.indent > indent {
                throw error(
                    line, "bad indentation: expected \(indent) spaces like the keys above, found \(line.indent)")
            }
            if line.isDocumentMarker {
                throw error(line, "multiple documents and document markers ('---', '...') are not supported")
            }
            if line.isSequenceEntry {
                throw error(line, "a sequence entry where a 'key: value' line was expected")
            }
            var scanner = YAMLLineScanner(line: line, file: file)
            let key = try scanner.scanKey()
            if let previous = seen[key.text] {
                throw error(line, "duplicate key '\(key.text)' (first defined on line \(previous))")
            }
            seen[key.text] = line.number
            let value: YAMLNode
            if try scanner.atEndOfContent() {
                index += 1
                value = try parseNestedValue(parentIndent: indent, keyLine: line.number)
            } else {
                value = try scanner.scanValue(context: .mappingValue)
                try scanner.expectEnd(after: "the value")
                index += 1
            }
            entries.append(YAMLMappingEntry(key: key.text, keyLine: line.number, value: value))
        }
        return .mapping(entries, line: startLine)
    }

    /// The value of a `key:` with nothing after it: a deeper block, a
    /// sequence at the key's own indentation (as YAML allows), or null.
    private mutating func parseNestedValue(parentIndent: Int, keyLine: Int) throws(YAMLError) -> YAMLNode {
        guard index < lines.count else { return .scalar(.null(line: keyLine)) }
        let next = lines[index]
        if next.indent > parentIndent {
            return next.isSequenceEntry ? try parseSequence(indent: next.indent) : try parseMapping(indent: next.indent)
        }
        if next.indent == parentIndent && next.isSequenceEntry {
            return try parseSequence(indent: parentIndent)
        }
        return .scalar(.null(line: keyLine))
    }

    private mutating func parseSequence(indent: Int) throws(YAMLError) -> YAMLNode {
        var items: [YAMLNode] = []
        let startLine = lines[index].number
        while index < lines.count, lines[index].indent == indent, lines[index].isSequenceEntry {
            let line = lines[index]
            var scanner = YAMLLineScanner(line: line, file: file, position: 1)
            if try scanner.atEndOfContent() {
                items.append(.scalar(.null(line: line.number)))
            } else {
                items.append(try scanner.scanValue(context: .sequenceEntry))
                try scanner.expectEnd(after: "the sequence entry")
            }
            index += 1
            if index < lines.count, lines[index].indent > indent {
                throw error(
                    lines[index],
                    "bad indentation: sequence entries hold one scalar each (multi-line scalars and nested blocks are not supported)"
                )
            }
        }
        return .sequence(items, line: startLine)
    }
}
