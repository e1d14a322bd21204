/// The value syntax shared by the config file and the environment.
///
/// Durations: whole seconds (`86400`), or a whole number with a unit `s`,
/// `m`, `h`, `d` or `w` (`90s 15m 24h 7d 2w`). Sizes: whole bytes
/// (`5368709120`), or a number, with an optional fraction, and a unit `B`,
/// `KB MB GB TB` (powers of 1000) or `KiB MiB GiB TiB` (powers of 1024)
/// (`512MiB 10GiB 1TB 1.5GiB`). Units are case-sensitive and follow the
/// number without a space: `m` is minutes where `M` could be read as months,
/// and `Kb`-style spellings are ambiguous between bits and bytes. `-1` is the
/// only negative value ("forever" / "no quota"); callers that cannot use it
/// say so.
public enum ConfigValueParser {
    public struct InvalidValue: Error, Equatable {
        public let message: String

        public init(message: String) {
            self.message = message
        }
    }

    static let durationSyntax =
        "expected a duration: whole seconds or a whole number with s, m, h, d or w (90s, 15m, 24h, 7d, 2w), or -1"
    static let sizeSyntax =
        "expected a size: whole bytes or a number with B, KB, MB, GB, TB, KiB, MiB, GiB or TiB (512MiB, 10GiB, 1.5TB), or -1"

    private static let durationUnits: [String: Int64] = [
        "s": 1, "m": 60, "h": 3_600, "d": 86_400, "w": 604_800,
    ]
    private static let sizeUnits: [String: Int64] = [
        "B": 1,
        "KB": 1_000, "MB": 1_000_000, "GB": 1_000_000_000, "TB": 1_000_000_000_000,
        "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40,
    ]

    /// Seconds for `86400`, `90s`, `15m`, `24h`, `7d`, `2w`, or -1.
    public static func seconds(_ text: String) throws(InvalidValue) -> Int64 {
        if text == "-1" { return -1 }
        try rejectNegative(text, what: "duration", meaning: "forever")
        let digits = text.prefix(while: \.isASCIIDigitCharacter)
        let unit = String(text[digits.endIndex...])
        guard !digits.isEmpty, let multiplier = unit.isEmpty ? 1 : durationUnits[unit] else {
            throw InvalidValue(message: "\(durationSyntax), found '\(text)'")
        }
        guard let value = Int64(digits),
            case (let product, false) = value.multipliedReportingOverflow(by: multiplier)
        else {
            throw InvalidValue(message: "duration '\(text)' is too large")
        }
        return product
    }

    /// Bytes for `5368709120`, `512MiB`, `10GiB`, `1TB`, `1.5GiB`, `12B`, or -1.
    public static func bytes(_ text: String) throws(InvalidValue) -> Int64 {
        if text == "-1" { return -1 }
        try rejectNegative(text, what: "size", meaning: "no quota")
        let number = text.prefix { $0.isASCIIDigitCharacter || $0 == "." }
        let unit = String(text[number.endIndex...])
        let parts = number.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let whole = parts[0]
        let fraction = parts.count == 2 ? parts[1] : ""
        guard !whole.isEmpty, parts.count == 1 || (!fraction.isEmpty && !unit.isEmpty),
            fraction.allSatisfy(\.isASCIIDigitCharacter),
            let multiplier = unit.isEmpty ? 1 : sizeUnits[unit]
        else {
            throw InvalidValue(message: "\(sizeSyntax), found '\(text)'")
        }
        // Exact integer arithmetic: 1.5GiB must be 1610612736, not a rounded double.
        guard fraction.count <= 18,
            let wholeValue = Int64(whole),
            let fractionValue = Int64(fraction.isEmpty ? "0" : fraction),
            case (let wholeBytes, false) = wholeValue.multipliedReportingOverflow(by: multiplier),
            case (let fractionScaled, false) = fractionValue.multipliedReportingOverflow(by: multiplier)
        else {
            throw InvalidValue(message: "size '\(text)' is too large")
        }
        var scale: Int64 = 1
        for _ in 0..<fraction.count { scale *= 10 }
        guard fractionScaled % scale == 0 else {
            throw InvalidValue(message: "size '\(text)' is not a whole number of bytes")
        }
        guard case (let total, false) = wholeBytes.addingReportingOverflow(fractionScaled / scale) else {
            throw InvalidValue(message: "size '\(text)' is too large")
        }
        return total
    }

    /// `true false 1 0 yes no` in any case, for environment variables.
    public static func bool(_ text: String) throws(InvalidValue) -> Bool {
        switch text.lowercased() {
        case "true", "1", "yes": return true
        case "false", "0", "no": return false
        default: throw InvalidValue(message: "expected true, false, 1, 0, yes or no, found '\(text)'")
        }
    }

    /// A decimal integer, for environment variables.
    public static func integer(_ text: String) throws(InvalidValue) -> Int64 {
        let digits = text.hasPrefix("-") ? text.dropFirst() : Substring(text)
        guard !digits.isEmpty, digits.allSatisfy(\.isASCIIDigitCharacter) else {
            throw InvalidValue(message: "expected an integer, found '\(text)'")
        }
        guard let value = Int64(text) else {
            throw InvalidValue(message: "integer '\(text)' is too large")
        }
        return value
    }

    private static func rejectNegative(_ text: String, what: String, meaning: String) throws(InvalidValue) {
        if text.hasPrefix("-"), text.dropFirst().first?.isASCIIDigitCharacter == true {
            throw InvalidValue(message: "negative \(what) '\(text)': only -1 (\(meaning)) is allowed")
        }
    }
}

extension Character {
    fileprivate var isASCIIDigitCharacter: Bool { isASCII && isNumber }
}
