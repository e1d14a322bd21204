import StorekeeperSystem

/// One `cleanup.exclude` entry, matched like a `.gitignore` line against a
/// file's path relative to the base:
///
/// - a pattern naming a folder protects everything below it (`uploads/keep`,
///   `uploads/keep/`, `uploads/keep/**` all protect `uploads/keep/a/b.jpg`);
/// - a pattern without a slash (a trailing one aside) matches a name at any
///   depth: `*.keep`, `keep-me`, `raw/`;
/// - a leading `/` anchors at the base, as does a slash in the middle;
/// - a trailing `/` matches folders only: `raw/` protects `x/raw/a`, not a file `x/raw`;
/// - `**` spans folders: `**/keep-*`, `uploads/**/final`, `temp/**`;
/// - `*` and `?` stay within one name, `[a-z]` and `[!0-9]` are byte classes,
///   `\` takes the next character literally.
///
/// Paths are bytes: names that are not UTF-8 match and never trap. `?` takes a
/// whole UTF-8 sequence where there is one, so `?.jpg` matches `é.jpg`.
/// Negation (`!`) is refused rather than ignored: a protection that silently
/// does nothing is what this type exists to prevent.
package struct ExcludePattern: Sendable, Equatable, CustomStringConvertible {
    /// Why a pattern was refused; `message` names the pattern.
    package struct Invalid: Error, Equatable, CustomStringConvertible {
        package let pattern: String
        package let reason: String
        package var description: String { "'\(pattern)' is not a valid exclude pattern: \(reason)" }
    }

    private enum Segment: Equatable {
        /// `**`: any number of folders.
        case anyDepth
        case glob([UInt8])
    }

    /// The pattern as configured.
    package let text: String
    private let segments: [Segment]
    /// A trailing `/`: only folders on the way match, never the file itself.
    private let foldersOnly: Bool

    package init(_ text: String) throws(Invalid) {
        self.text = text
        func invalid(_ reason: String) -> Invalid { Invalid(pattern: text, reason: reason) }
        var bytes = Array(text.utf8)
        guard !bytes.isEmpty else { throw invalid("it is empty") }
        guard !bytes.contains(0) else { throw invalid("it holds a NUL byte") }
        if bytes.first == 0x21 {
            throw invalid("negation ('!') is not supported; write '\\!' for a name starting with '!'")
        }
        if bytes.first == 0x23 {
            throw invalid(".gitignore reads a leading '#' as a comment; write '\\#' for a name starting with '#'")
        }
        foldersOnly = bytes.last == PathBytes.separator
        if foldersOnly { bytes.removeLast() }
        let anchored = bytes.first == PathBytes.separator
        if anchored { bytes.removeFirst() }
        guard !bytes.isEmpty else { throw invalid("it names no file or folder") }

        let parts = bytes.split(separator: PathBytes.separator, omittingEmptySubsequences: false).map(Array.init)
        var segments: [Segment] = []
        for part in parts {
            if part.isEmpty { throw invalid("it has an empty path component ('//')") }
            if part == [0x2E] || part == [0x2E, 0x2E] {
                throw invalid("'.' and '..' never appear in the paths it is matched against")
            }
            if let problem = Self.syntaxProblem(part) { throw invalid(problem) }
            if part == [0x2A, 0x2A] {
                // `a/**/**/b` is `a/**/b`.
                if segments.last != .anyDepth { segments.append(.anyDepth) }
            } else {
                segments.append(.glob(part))
            }
        }
        // gitignore: a slash anywhere but at the end anchors the pattern;
        // otherwise it is a name matched at any depth.
        if !anchored && parts.count == 1 && segments != [.anyDepth] { segments.insert(.anyDepth, at: 0) }
        self.segments = segments
    }

    /// Whether a pattern is valid; the refusal as text, or nil.
    static func problem(_ text: String) -> String? {
        do {
            _ = try ExcludePattern(text)
            return nil
        } catch {
            return error.description
        }
    }

    package var description: String { text }

    /// Whether the file at `path` (relative to the base, no leading slash)
    /// is protected: the pattern matches the file itself or a folder on its way.
    package func matches(_ path: [UInt8]) -> Bool {
        let components = PathBytes.components(path)
        guard !components.isEmpty else { return false }
        let last = foldersOnly ? components.count - 1 : components.count
        guard last >= 1 else { return false }
        for length in 1...last where Self.match(segments[...], components[..<length]) { return true }
        return false
    }

    // MARK: Matching

    private static func match(_ segments: ArraySlice<Segment>, _ components: ArraySlice<[UInt8]>) -> Bool {
        guard let first = segments.first else { return components.isEmpty }
        switch first {
        case .anyDepth:
            let rest = segments.dropFirst()
            // A trailing `**` is what lies inside a folder, so it takes at least one name.
            let fewest = rest.isEmpty ? 1 : 0
            guard components.count >= fewest else { return false }
            for skipped in fewest...components.count where match(rest, components.dropFirst(skipped)) { return true }
            return false
        case .glob(let glob):
            guard let component = components.first, matchName(glob[...], component[...]) else { return false }
            return match(segments.dropFirst(), components.dropFirst())
        }
    }

    /// One name against one glob segment; `*` backtracks to the last star only,
    /// which is linear enough for names of at most 255 bytes.
    private static func matchName(_ glob: ArraySlice<UInt8>, _ name: ArraySlice<UInt8>) -> Bool {
        var g = glob.startIndex
        var n = name.startIndex
        var star: (glob: Int, name: Int)?
        while n < name.endIndex {
            if g < glob.endIndex {
                switch glob[g] {
                case 0x2A:
                    g += 1
                    star = (g, n)
                    continue
                case 0x3F:
                    g += 1
                    n = endOfCharacter(name, from: n)
                    continue
                case 0x5B:
                    if let (matched, next) = matchClass(glob, from: g, byte: name[n]) {
                        if matched {
                            g = next
                            n += 1
                            continue
                        }
                    }
                case 0x5C:
                    if g + 1 < glob.endIndex && glob[g + 1] == name[n] {
                        g += 2
                        n += 1
                        continue
                    }
                default:
                    if glob[g] == name[n] {
                        g += 1
                        n += 1
                        continue
                    }
                }
            }
            guard let resume = star else { return false }
            // Let the last `*` take one more byte and try again from there.
            star = (resume.glob, resume.name + 1)
            g = resume.glob
            n = resume.name + 1
        }
        while g < glob.endIndex && glob[g] == 0x2A { g += 1 }
        return g == glob.endIndex
    }

    /// `?` takes a whole UTF-8 sequence when one starts here, one byte otherwise.
    private static func endOfCharacter(_ name: ArraySlice<UInt8>, from index: Int) -> Int {
        var end = index + 1
        guard name[index] >= 0xC0 else { return end }
        while end < name.endIndex && end - index < 4 && name[end] & 0xC0 == 0x80 { end += 1 }
        return end
    }

    /// A `[...]` class at `start`: whether `byte` is in it and the index after
    /// the closing `]`; nil when there is none. A `]` first in the class, a
    /// `-` first or last, and anything after `\` are literal.
    private static func matchClass(_ glob: ArraySlice<UInt8>, from start: Int, byte: UInt8) -> (Bool, Int)? {
        func element(_ index: Int) -> (byte: UInt8, next: Int)? {
            guard index < glob.endIndex else { return nil }
            guard glob[index] == 0x5C else { return (glob[index], index + 1) }
            return index + 1 < glob.endIndex ? (glob[index + 1], index + 2) : nil
        }
        var index = start + 1
        let negated = index < glob.endIndex && (glob[index] == 0x21 || glob[index] == 0x5E)
        if negated { index += 1 }
        var found = false
        var first = true
        while index < glob.endIndex {
            if glob[index] == 0x5D && !first { return (found != negated, index + 1) }
            first = false
            guard let low = element(index) else { return nil }
            var high = low
            if low.next + 1 < glob.endIndex && glob[low.next] == 0x2D && glob[low.next + 1] != 0x5D {
                guard let end = element(low.next + 1) else { return nil }
                high = end
            }
            if low.byte <= byte && byte <= high.byte { found = true }
            index = high.next
        }
        return nil
    }

    /// An unterminated class or a dangling escape; nil when the segment reads.
    private static func syntaxProblem(_ segment: [UInt8]) -> String? {
        var index = 0
        while index < segment.count {
            switch segment[index] {
            case 0x5C:
                guard index + 1 < segment.count else { return "a '\\' at the end of a name escapes nothing" }
                index += 2
            case 0x5B:
                guard let (_, next) = matchClass(segment[...], from: index, byte: 0) else {
                    return "a '[' is never closed by ']'"
                }
                index = next
            default:
                index += 1
            }
        }
        return nil
    }
}
