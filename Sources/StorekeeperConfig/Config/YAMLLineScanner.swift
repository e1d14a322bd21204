/// Reads the tokens of one content line: keys, quoted and plain scalars,
/// one-line flow sequences, and the trailing comment.
///
/// Every construct outside the subset is refused here with a message that
/// says what it is, so the block structure in `YAMLReader` only ever sees
/// scalars and `[...]` lists.
struct YAMLLineScanner {
    /// Where a scalar sits; plain scalars end differently in each.
    enum Context {
        case mappingValue
        case sequenceEntry
        case flowEntry
    }

    private let file: String
    private let line: YAMLLine
    private var position: Int

    init(line: YAMLLine, file: String, position: Int = 0) {
        self.file = file
        self.line = line
        self.position = position
    }

    private var content: [Unicode.Scalar] { line.content }
    private var current: Unicode.Scalar? { position < content.count ? content[position] : nil }
    private func peek(_ offset: Int) -> Unicode.Scalar? {
        position + offset < content.count ? content[position + offset] : nil
    }

    func error(_ message: String, at position: Int? = nil) -> YAMLError {
        let column = line.indent + (position ?? self.position) + 1
        return YAMLError(file: file, line: line.number, message: "\(message) (column \(column))")
    }

    private func isBlank(_ scalar: Unicode.Scalar?) -> Bool {
        scalar == nil || scalar == " " || scalar == "\t"
    }

    // MARK: - Spacing and the end of the line

    /// Skips spaces; tabs outside quotes and comments are refused because
    /// PyYAML rejects them in most places and reads them oddly in the rest.
    @discardableResult
    mutating func skipSpaces() throws(YAMLError) -> Int {
        let start = position
        while let scalar = current, scalar == " " || scalar == "\t" {
            if scalar == "\t" {
                throw error("tab character outside quotes; use spaces")
            }
            position += 1
        }
        return position - start
    }

    /// True when only spaces and possibly a comment remain.
    mutating func atEndOfContent() throws(YAMLError) -> Bool {
        let spaces = try skipSpaces()
        return current == nil || (current == "#" && spaces > 0)
    }

    /// Requires the rest of the line to be spaces and an optional comment.
    mutating func expectEnd(after what: String) throws(YAMLError) {
        let spaces = try skipSpaces()
        guard let scalar = current else { return }
        if scalar == "#" {
            if spaces > 0 { return }
            throw error("a comment needs a space before '#'")
        }
        throw error("unexpected text after \(what)")
    }

    // MARK: - Keys

    /// Reads `key:` and returns the key; the scanner is left after the colon.
    mutating func scanKey() throws(YAMLError) -> YAMLScalar {
        let start = position
        let key: YAMLScalar
        switch current {
        case "\"", "'":
            key = try scanQuoted()
            try skipSpaces()
            guard current == ":", isBlank(peek(1)) else {
                throw error("expected ':' after the quoted key")
            }
        default:
            try checkPlainStart(context: .mappingValue, isKey: true)
            var end = position
            while true {
                guard let scalar = current else {
                    throw error("expected 'key: value'; multi-line scalars are not supported", at: start)
                }
                if scalar == "\t" {
                    throw error("tab character outside quotes; use spaces")
                }
                if scalar == ":" && isBlank(peek(1)) { break }
                if scalar == "#" && position > start && content[position - 1] == " " {
                    throw error("expected 'key: value'; multi-line scalars are not supported", at: start)
                }
                position += 1
                if scalar != " " { end = position }
            }
            let text = String(String.UnicodeScalarView(content[start..<end]))
            key = try plainScalar(text, at: start)
            guard case .string = key.resolved else {
                throw error("key '\(text)' is not read as a string by YAML 1.1; quote it", at: start)
            }
        }
        // PyYAML gives up looking for the ':' of a simple key after 1024 characters.
        guard position - start < 1024 else {
            throw error("key longer than 1024 characters", at: start)
        }
        position += 1
        return key
    }

    // MARK: - Values

    /// Reads the value after `key: ` or `- `: a scalar, or in a mapping a flow sequence.
    mutating func scanValue(context: Context) throws(YAMLError) -> YAMLNode {
        switch current {
        case "\"", "'":
            let scalar = try scanQuoted()
            if context == .sequenceEntry, try followedByMappingColon() {
                throw error("mappings inside sequences are not supported")
            }
            return .scalar(scalar)
        case "[" where context == .mappingValue:
            return try scanFlowSequence()
        default:
            try checkPlainStart(context: context, isKey: false)
            return .scalar(try scanPlain(context: context))
        }
    }

    /// After a quoted scalar in a sequence entry: is it really a `"key": value` pair?
    private mutating func followedByMappingColon() throws(YAMLError) -> Bool {
        let saved = position
        try skipSpaces()
        defer { position = saved }
        return current == ":" && isBlank(peek(1))
    }

    /// Refuses the YAML indicators a plain scalar cannot start with, naming
    /// the construct each one would begin.
    private func checkPlainStart(context: Context, isKey: Bool) throws(YAMLError) {
        guard let scalar = current else { return }
        let next = peek(1)
        let message: String? =
            switch scalar {
            case "&": "anchors ('&') are not supported"
            case "*": "aliases ('*') are not supported; quote values that start with '*'"
            case "!": "tags ('!') are not supported; quote values that start with '!'"
            case "|", ">": "block scalars ('|', '>') are not supported; use a quoted string"
            case "{": "flow mappings ('{...}') are not supported; use one 'key: value' per line"
            case "[": isKey ? "a sequence cannot be a key" : "nested sequences are not supported"
            case "?": "complex keys and values starting with '?' are not supported; quote it"
            case ":": "a key or value cannot start with ':'; quote it"
            case "%":
                isKey && line.indent == 0
                    ? "directives ('%') are not supported" : "values starting with '%' are not supported; quote it"
            case "@", "`": "'\(scalar)' is reserved in YAML; quote the value"
            case ",", "]", "}": "unexpected '\(scalar)'"
            case "#": "unexpected comment"
            case "-" where isBlank(next):
                switch context {
                case .mappingValue: "a sequence must start on its own line"
                case .sequenceEntry: "nested sequences are not supported"
                case .flowEntry: "'- ' inside a flow sequence"
                }
            case "-" where context == .flowEntry && (next == "," || next == "]"):
                "a lone '-' inside a flow sequence; quote it"
            default: nil
            }
        if let message {
            throw error(message)
        }
    }

    /// A plain scalar in block context runs to the end of the line or to a
    /// ` #` comment; a ': ' inside it would start a mapping in PyYAML.
    private mutating func scanPlain(context: Context) throws(YAMLError) -> YAMLScalar {
        let start = position
        var end = position
        while let scalar = current {
            if scalar == "\t" {
                throw error("tab character outside quotes; use spaces")
            }
            if scalar == "#" && position > start && content[position - 1] == " " { break }
            if context == .flowEntry {
                if scalar == "," || scalar == "]" { break }
                if scalar == "[" || scalar == "{" || scalar == "}" {
                    throw error("nested collections inside a flow sequence are not supported")
                }
                if scalar == "?" || scalar == ":" {
                    throw error("'\(scalar)' inside a flow sequence entry; quote the entry")
                }
            } else if scalar == ":" && isBlank(peek(1)) {
                throw error(
                    context == .sequenceEntry
                        ? "mappings inside sequences are not supported"
                        : "a plain value cannot contain ': '; quote it, or put a nested mapping on the next lines")
            }
            position += 1
            if scalar != " " { end = position }
        }
        position = end
        let text = String(String.UnicodeScalarView(content[start..<end]))
        return try plainScalar(text, at: start)
    }

    private func plainScalar(_ text: String, at start: Int) throws(YAMLError) -> YAMLScalar {
        switch YAMLScalarResolver.resolve(plain: text) {
        case .value(let value):
            return YAMLScalar(text: text, style: .plain, line: line.number, resolved: value)
        case .ambiguous(let reason):
            throw error("ambiguous scalar: \(reason); quote it", at: start)
        }
    }

    // MARK: - Quoted scalars

    private mutating func scanQuoted() throws(YAMLError) -> YAMLScalar {
        let start = position
        let double = current == "\""
        position += 1
        var text = String.UnicodeScalarView()
        while true {
            guard let scalar = current else {
                throw error("unterminated quoted string; quoted strings must end on the same line", at: start)
            }
            position += 1
            if double {
                if scalar == "\"" { break }
                if scalar == "\\" {
                    text.append(try scanEscape())
                } else {
                    text.append(scalar)
                }
            } else if scalar == "'" {
                guard current == "'" else { break }
                position += 1
                text.append("'")
            } else {
                text.append(scalar)
            }
        }
        return YAMLScalar(
            text: String(text),
            style: double ? .doubleQuoted : .singleQuoted,
            line: line.number,
            resolved: .string(String(text))
        )
    }

    /// PyYAML's `ESCAPE_REPLACEMENTS` and `ESCAPE_CODES`; the scanner is
    /// just past the backslash.
    private mutating func scanEscape() throws(YAMLError) -> Unicode.Scalar {
        let start = position - 1
        guard let code = current else {
            throw error("unterminated quoted string; a '\\' line continuation is not supported", at: start)
        }
        position += 1
        let replacement: Unicode.Scalar? =
            switch code {
            case "0": "\u{0}"
            case "a": "\u{7}"
            case "b": "\u{8}"
            case "t", "\t": "\t"
            case "n": "\n"
            case "v": "\u{B}"
            case "f": "\u{C}"
            case "r": "\r"
            case "e": "\u{1B}"
            case " ": " "
            case "\"": "\""
            case "\\": "\\"
            case "/": "/"
            case "N": "\u{85}"
            case "_": "\u{A0}"
            case "L": "\u{2028}"
            case "P": "\u{2029}"
            default: nil
            }
        if let replacement {
            return replacement
        }
        let width =
            switch code {
            case "x": 2
            case "u": 4
            case "U": 8
            default: 0
            }
        guard width > 0 else {
            throw error("unknown escape '\\\(code)'", at: start)
        }
        var value: UInt32 = 0
        for _ in 0..<width {
            guard let digit = current, let digitValue = hexValue(digit) else {
                throw error("expected \(width) hexadecimal digits after '\\\(code)'", at: start)
            }
            value = value * 16 + digitValue
            position += 1
        }
        guard let scalar = Unicode.Scalar(value) else {
            throw error("escape '\\\(code)' is not a Unicode scalar value", at: start)
        }
        return scalar
    }

    private func hexValue(_ scalar: Unicode.Scalar) -> UInt32? {
        switch scalar.value {
        case 0x30...0x39: scalar.value - 0x30
        case 0x41...0x46: scalar.value - 0x41 + 10
        case 0x61...0x66: scalar.value - 0x61 + 10
        default: nil
        }
    }

    // MARK: - Flow sequences

    /// `[a, "b", 3]` on one line; a trailing comma is allowed as in PyYAML.
    private mutating func scanFlowSequence() throws(YAMLError) -> YAMLNode {
        let start = position
        position += 1
        var items: [YAMLNode] = []
        try skipSpaces()
        if current == "]" {
            position += 1
            return .sequence(items, line: line.number)
        }
        while true {
            try skipSpaces()
            switch current {
            case nil:
                throw error("unterminated flow sequence; '[...]' must end on the same line", at: start)
            case ",", "]":
                throw error("empty entry in flow sequence")
            case "\"", "'":
                items.append(.scalar(try scanQuoted()))
            default:
                try checkPlainStart(context: .flowEntry, isKey: false)
                items.append(.scalar(try scanPlain(context: .flowEntry)))
            }
            let spaces = try skipSpaces()
            switch current {
            case ",":
                position += 1
                try skipSpaces()
                if current == "]" {
                    position += 1
                    return .sequence(items, line: line.number)
                }
            case "]":
                position += 1
                return .sequence(items, line: line.number)
            case nil:
                throw error("unterminated flow sequence; '[...]' must end on the same line", at: start)
            case "#" where spaces > 0:
                throw error("comments inside a flow sequence are not supported")
            case ":":
                throw error("flow mappings ('a: b' inside '[...]') are not supported")
            default:
                throw error("expected ',' or ']' in flow sequence")
            }
        }
    }
}
