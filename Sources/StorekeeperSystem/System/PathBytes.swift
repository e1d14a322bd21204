/// Paths are bytes: Linux names need not be UTF-8, and a lossy `String`
/// round-trip would index a different file than the one on disk.
public enum PathBytes {
    public static let separator = UInt8(ascii: "/")

    /// Calls `body` with a NUL-terminated copy of `path`.
    public static func withCString<R>(_ path: [UInt8], _ body: (UnsafePointer<CChar>) -> R) -> R {
        var terminated = path
        terminated.append(0)
        return terminated.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { body($0) }
        }
    }

    public static func join(_ parent: [UInt8], _ name: [UInt8]) -> [UInt8] {
        if parent.isEmpty { return name }
        var path = parent
        path.reserveCapacity(parent.count + 1 + name.count)
        path.append(separator)
        path.append(contentsOf: name)
        return path
    }

    /// The components of a relative path.
    public static func components(_ path: [UInt8]) -> [[UInt8]] {
        path.split(separator: separator, omittingEmptySubsequences: true).map(Array.init)
    }

    public static func bytes(_ string: String) -> [UInt8] { Array(string.utf8) }

    /// A path for people: valid UTF-8 printable text as is, everything else as
    /// C-style escapes (`\n`, `\t`, `\\`, `\xFF`), so every distinct path prints
    /// distinctly and on one line.
    public static func display(_ path: [UInt8]) -> String {
        var out = ""
        var index = 0
        while index < path.count {
            let byte = path[index]
            if let (scalar, length) = decodeScalar(path, at: index) {
                switch scalar {
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\t": out += "\\t"
                case "\r": out += "\\r"
                default:
                    if scalar.value < 0x20 || scalar.value == 0x7F {
                        out += hexEscape(byte)
                    } else {
                        out.unicodeScalars.append(scalar)
                    }
                }
                index += length
            } else {
                out += hexEscape(byte)
                index += 1
            }
        }
        return out
    }

    /// Decodes one UTF-8 scalar starting at `index`, or nil when the bytes there
    /// are not well-formed UTF-8.
    static func decodeScalar(_ bytes: [UInt8], at index: Int) -> (Unicode.Scalar, Int)? {
        let lead = bytes[index]
        let length: Int
        var value: UInt32
        switch lead {
        case 0x00...0x7F: return (Unicode.Scalar(lead), 1)
        case 0xC2...0xDF: length = 2; value = UInt32(lead & 0x1F)
        case 0xE0...0xEF: length = 3; value = UInt32(lead & 0x0F)
        case 0xF0...0xF4: length = 4; value = UInt32(lead & 0x07)
        default: return nil
        }
        guard index + length <= bytes.count else { return nil }
        for offset in 1..<length {
            let continuation = bytes[index + offset]
            guard continuation & 0xC0 == 0x80 else { return nil }
            value = value << 6 | UInt32(continuation & 0x3F)
        }
        let minimum: UInt32 = length == 2 ? 0x80 : length == 3 ? 0x800 : 0x10000
        guard value >= minimum, let scalar = Unicode.Scalar(value) else { return nil }
        return (scalar, length)
    }

    private static func hexEscape(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return "\\x\(digits[Int(byte >> 4)])\(digits[Int(byte & 0x0F)])"
    }
}
