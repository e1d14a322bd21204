/// One line of a document that holds content (blank and comment-only lines
/// are dropped), with its indentation measured in spaces.
struct YAMLLine {
    let number: Int
    let indent: Int
    /// The characters after the indentation, line break excluded.
    let content: [Unicode.Scalar]

    /// Splits a document into content lines.
    ///
    /// Refuses what PyYAML's reader treats differently from a plain text
    /// editor: characters it rejects as non-printable, and the extra line
    /// breaks it honours (NEL, LS, PS, a lone CR) that would split a line
    /// the user sees as one.
    static func split(_ text: String, file: String) throws(YAMLError) -> [YAMLLine] {
        var scalars = Array(text.unicodeScalars)
        if scalars.first == "\u{FEFF}" {
            scalars.removeFirst()
        }
        var lines: [YAMLLine] = []
        var number = 1
        var start = 0
        var index = 0
        while index <= scalars.count {
            let atEnd = index == scalars.count
            let scalar: Unicode.Scalar = atEnd ? "\n" : scalars[index]
            switch scalar {
            case "\n":
                var end = index
                if end > start, scalars[end - 1] == "\r" {
                    end -= 1
                }
                if let line = try contentLine(scalars[start..<end], number: number, file: file) {
                    lines.append(line)
                }
                number += 1
                start = index + 1
            case "\r":
                if index + 1 == scalars.count || scalars[index + 1] != "\n" {
                    throw YAMLError(file: file, line: number, message: "carriage return without a line feed")
                }
            case "\u{85}", "\u{2028}", "\u{2029}":
                throw YAMLError(file: file, line: number, message: "unsupported line break character \(hex(scalar))")
            default:
                if !isPrintable(scalar) {
                    throw YAMLError(file: file, line: number, message: "non-printable character \(hex(scalar))")
                }
            }
            index += 1
        }
        return lines
    }

    private static func contentLine(
        _ scalars: ArraySlice<Unicode.Scalar>, number: Int, file: String
    ) throws(YAMLError) -> YAMLLine? {
        var indent = 0
        var index = scalars.startIndex
        while index < scalars.endIndex, scalars[index] == " " {
            indent += 1
            index += 1
        }
        if index < scalars.endIndex, scalars[index] == "\t" {
            throw YAMLError(
                file: file, line: number,
                message: "tab character in indentation (column \(indent + 1)); indent with spaces")
        }
        if index == scalars.endIndex || scalars[index] == "#" {
            return nil
        }
        return YAMLLine(number: number, indent: indent, content: Array(scalars[index...]))
    }

    /// PyYAML's `Reader.NON_PRINTABLE` complement.
    private static func isPrintable(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09, 0x0A, 0x0D, 0x20...0x7E, 0x85, 0xA0...0xD7FF, 0xE000...0xFFFD, 0x10000...0x10FFFF: true
        default: false
        }
    }

    static func hex(_ scalar: Unicode.Scalar) -> String {
        let digits = String(scalar.value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    /// True for `---` or `...` at column 1 followed by a space or the end:
    /// YAML document markers, which this reader accepts only as a leading `---`.
    var isDocumentMarker: Bool {
        guard indent == 0, content.count >= 3 else { return false }
        let marker = content[0..<3]
        guard marker.allSatisfy({ $0 == "-" }) || marker.allSatisfy({ $0 == "." }) else { return false }
        return content.count == 3 || content[3] == " " || content[3] == "\t"
    }

    /// True when the line starts a block sequence entry (`-` then a space or the end).
    var isSequenceEntry: Bool {
        content.first == "-" && (content.count == 1 || content[1] == " " || content[1] == "\t")
    }
}
