import StorekeeperSystem

/// The contents of one `info/NAME.trashinfo` (trash spec 1.0):
///
///     [Trash Info]
///     Path=/srv/storage/uploads/2026-11-01/clip%20one.mp4
///     DeletionDate=2026-11-22T05:40:01
///
/// `Path` is percent-encoded bytes. Storekeeper writes it absolute; other tools
/// (trash-cli with `--trash-dir`) may write it relative to the mount point.
struct TrashInfo: Equatable, Sendable {
    /// Why a `.trashinfo` could not be read.
    struct ParseError: Error, Equatable, CustomStringConvertible {
        let message: String
        var description: String { message }
    }

    /// Decoded bytes of `Path=`.
    let path: [UInt8]
    let deletionDate: DeletionDate

    static let header: [UInt8] = Array("[Trash Info]".utf8)

    var serialized: [UInt8] {
        Self.header + [0x0A] + Array("Path=".utf8) + Self.percentEncoded(path) + [0x0A]
            + Array("DeletionDate=\(deletionDate)\n".utf8)
    }

    /// Reads the `[Trash Info]` group, ignoring other groups, comments, blank
    /// lines and unknown keys. The first `Path` and `DeletionDate` win, as the
    /// spec says.
    static func parse(_ contents: [UInt8]) throws(ParseError) -> TrashInfo {
        var lines = contents.split(separator: 0x0A, omittingEmptySubsequences: false).map { line in
            line.last == 0x0D ? line.dropLast() : line
        }[...]
        while let first = lines.first, first.isEmpty || first.first == 0x23 { lines = lines.dropFirst() }
        guard let first = lines.first, Array(first) == header else {
            throw ParseError(message: "the first line is not [Trash Info]")
        }
        var path: [UInt8]?
        var date: [UInt8]?
        for line in lines.dropFirst() {
            if line.first == 0x5B { break }
            guard line.first != 0x23, let equals = line.firstIndex(of: 0x3D) else { continue }
            let key = Array(line[..<equals]).trimmingSpaces
            let value = Array(line[line.index(after: equals)...].drop { $0 == 0x20 })
            if key == Array("Path".utf8), path == nil { path = value }
            if key == Array("DeletionDate".utf8), date == nil { date = value }
        }
        guard let path else { throw ParseError(message: "no Path key") }
        let decoded = percentDecoded(path)
        guard !decoded.isEmpty else { throw ParseError(message: "Path is empty") }
        guard !decoded.contains(0) else { throw ParseError(message: "Path holds a NUL byte") }
        guard let date else { throw ParseError(message: "no DeletionDate key") }
        guard let deletionDate = DeletionDate(parsing: date) else {
            throw ParseError(message: "DeletionDate '\(PathBytes.display(date))' is not YYYY-MM-DDThh:mm:ss")
        }
        return TrashInfo(path: decoded, deletionDate: deletionDate)
    }

    /// Every byte but ASCII letters, digits, `_.-~` and `/` as `%XX`, as
    /// Python's `quote(path, '/')` does for trash-cli and send2trash, so names
    /// with spaces, newlines or invalid UTF-8 survive the round trip.
    static func percentEncoded(_ bytes: [UInt8]) -> [UInt8] {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        for byte in bytes {
            switch byte {
            case 0x41...0x5A, 0x61...0x7A, 0x30...0x39, 0x5F, 0x2E, 0x2D, 0x7E, 0x2F: out.append(byte)
            default: out += [0x25, hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            }
        }
        return out
    }

    /// `%XX` (either case) to its byte; a `%` not followed by two hex digits
    /// stays as it is, as in Python's `unquote`.
    static func percentDecoded(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == 0x25, index + 2 < bytes.count, let high = hexValue(bytes[index + 1]),
                let low = hexValue(bytes[index + 2])
            {
                out.append(high << 4 | low)
                index += 3
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
        return out
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }
}

extension Array where Element == UInt8 {
    fileprivate var trimmingSpaces: [UInt8] {
        Array(drop { $0 == 0x20 || $0 == 0x09 }.reversed().drop { $0 == 0x20 || $0 == 0x09 }.reversed())
    }
}
