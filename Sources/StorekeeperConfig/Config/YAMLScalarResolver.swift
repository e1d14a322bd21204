/// YAML 1.1 implicit typing of plain scalars, as PyYAML's SafeLoader does it
/// (`resolver.py` regexes, `constructor.py` conversions).
///
/// Forms that PyYAML reads one way and YAML 1.2 readers (or people) read
/// another are refused instead of typed: a config value must mean the same
/// thing to us, to PyYAML and to whoever wrote it.
enum YAMLScalarResolver {
    enum Outcome: Equatable {
        case value(YAMLValue)
        case ambiguous(String)
    }

    static func resolve(plain text: String) -> Outcome {
        switch text {
        case "", "~", "null", "Null", "NULL":
            return .value(.null)
        case "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON":
            return .value(.bool(true))
        case "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF":
            return .value(.bool(false))
        case "<<":
            return .ambiguous("'<<' is a YAML 1.1 merge key")
        case "=":
            return .ambiguous("'=' is a YAML 1.1 value key")
        default:
            break
        }
        let bytes = Array(text.utf8)
        if looksLikeDate(bytes) {
            return .ambiguous("'\(text)' is read as a date by YAML 1.1")
        }
        if isSexagesimal(bytes) {
            return .ambiguous("'\(text)' is a base-60 number in YAML 1.1")
        }
        if let outcome = float(bytes) ?? integer(bytes) {
            return outcome
        }
        if isYAML12Number(bytes) {
            return .ambiguous("'\(text)' is a string in YAML 1.1 but a number in YAML 1.2")
        }
        return .value(.string(text))
    }

    // MARK: - Character classes

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
    private static func isHexDigit(_ byte: UInt8) -> Bool {
        isDigit(byte) || (byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66)
    }
    private static func isSign(_ byte: UInt8) -> Bool { byte == 0x2B || byte == 0x2D }
    private static let underscore: UInt8 = 0x5F
    private static let dot: UInt8 = 0x2E

    /// Index after an optional sign.
    private static func afterSign(_ bytes: [UInt8]) -> Int {
        !bytes.isEmpty && isSign(bytes[0]) ? 1 : 0
    }

    /// Index after the longest run of bytes matching `accept`.
    private static func skip(_ bytes: [UInt8], from start: Int, while accept: (UInt8) -> Bool) -> Int {
        var index = start
        while index < bytes.count, accept(bytes[index]) { index += 1 }
        return index
    }

    // MARK: - Rejected forms

    /// Every YAML 1.1 timestamp starts with `YYYY-M`; refusing the whole
    /// prefix is simpler than matching the timestamp grammar and costs only
    /// names like `2024-1-1`, which are better quoted anyway.
    private static func looksLikeDate(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 6 && bytes[0..<4].allSatisfy(isDigit) && bytes[4] == 0x2D && isDigit(bytes[5])
    }

    /// `[-+]?[0-9][0-9_]*(:[0-9]+)+(\.[0-9_]*)?` — a superset of PyYAML's
    /// base-60 int and float forms (`1:20` is 80 there).
    private static func isSexagesimal(_ bytes: [UInt8]) -> Bool {
        var index = afterSign(bytes)
        guard index < bytes.count, isDigit(bytes[index]) else { return false }
        index = skip(bytes, from: index) { isDigit($0) || $0 == underscore }
        var groups = 0
        while index < bytes.count, bytes[index] == 0x3A {
            let end = skip(bytes, from: index + 1, while: isDigit)
            guard end > index + 1 else { return false }
            index = end
            groups += 1
        }
        guard groups > 0 else { return false }
        if index < bytes.count, bytes[index] == dot {
            index = skip(bytes, from: index + 1) { isDigit($0) || $0 == underscore }
        }
        return index == bytes.count
    }

    // MARK: - Float

    /// PyYAML's float regex minus the base-60 branch (refused earlier):
    /// `[-+]?[0-9][0-9_]*\.[0-9_]*([eE][-+][0-9]+)?`, `\.[0-9][0-9_]*([eE][-+][0-9]+)?`,
    /// `[-+]?\.(inf|Inf|INF)`, `\.(nan|NaN|NAN)`. The exponent sign is
    /// mandatory there, so `1e10` is not a float in YAML 1.1.
    private static func float(_ bytes: [UInt8]) -> Outcome? {
        let signEnd = afterSign(bytes)
        let unsigned = String(decoding: bytes[signEnd...], as: UTF8.self)
        if [".inf", ".Inf", ".INF"].contains(unsigned) {
            let negative = signEnd == 1 && bytes[0] == 0x2D
            return .value(.float(negative ? -.infinity : .infinity))
        }
        if signEnd == 0, [".nan", ".NaN", ".NAN"].contains(unsigned) {
            return .value(.float(.nan))
        }
        var index = signEnd
        if index < bytes.count, isDigit(bytes[index]) {
            index = skip(bytes, from: index) { isDigit($0) || $0 == underscore }
            guard index < bytes.count, bytes[index] == dot else { return nil }
            index = skip(bytes, from: index + 1) { isDigit($0) || $0 == underscore }
        } else if signEnd == 0, index + 1 < bytes.count, bytes[index] == dot, isDigit(bytes[index + 1]) {
            index = skip(bytes, from: index + 1) { isDigit($0) || $0 == underscore }
        } else {
            return nil
        }
        if index < bytes.count {
            guard bytes[index] == 0x65 || bytes[index] == 0x45,
                index + 2 < bytes.count, isSign(bytes[index + 1]), isDigit(bytes[index + 2]),
                skip(bytes, from: index + 2, while: isDigit) == bytes.count
            else { return nil }
        }
        let digits = String(decoding: bytes.filter { $0 != underscore }, as: UTF8.self)
        guard let value = Double(digits) else { return nil }
        return .value(.float(value))
    }

    // MARK: - Integer

    /// PyYAML's int regex minus base 60: binary and leading-zero octal are
    /// refused because YAML 1.2 reads `010` as 10 and has no `0b`.
    private static func integer(_ bytes: [UInt8]) -> Outcome? {
        let signEnd = afterSign(bytes)
        let negative = signEnd == 1 && bytes[0] == 0x2D
        let body = Array(bytes[signEnd...])
        guard let first = body.first, isDigit(first) else { return nil }
        let text = String(decoding: bytes, as: UTF8.self)
        if body.count >= 2, first == 0x30 {
            let rest = body[2...]
            switch body[1] {
            case 0x78 where !rest.isEmpty && rest.allSatisfy({ isHexDigit($0) || $0 == underscore }):
                let digits = rest.filter { $0 != underscore }
                guard !digits.isEmpty else { return .ambiguous("'\(text)' has no hexadecimal digits") }
                return checked(magnitude(digits, radix: 16), negative: negative, text: text)
            case 0x62 where !rest.isEmpty && rest.allSatisfy({ $0 == 0x30 || $0 == 0x31 || $0 == underscore }):
                return .ambiguous("'\(text)' is a binary number in YAML 1.1 only")
            default:
                break
            }
            if body[1...].allSatisfy({ (0x30...0x37).contains($0) || $0 == underscore }) {
                return .ambiguous("'\(text)' is an octal number in YAML 1.1 but decimal in YAML 1.2")
            }
            return nil
        }
        guard body.allSatisfy({ isDigit($0) || $0 == underscore }) else { return nil }
        return checked(magnitude(body.filter { $0 != underscore }, radix: 10), negative: negative, text: text)
    }

    /// The value of ASCII digits, or nil past `UInt64.max`.
    private static func magnitude(_ digits: [UInt8], radix: UInt64) -> UInt64? {
        var value: UInt64 = 0
        for byte in digits {
            let digit: UInt64 =
                switch byte {
                case 0x30...0x39: UInt64(byte - 0x30)
                case 0x41...0x46: UInt64(byte - 0x41 + 10)
                default: UInt64(byte - 0x61 + 10)
                }
            let (shifted, overflowA) = value.multipliedReportingOverflow(by: radix)
            let (sum, overflowB) = shifted.addingReportingOverflow(digit)
            if overflowA || overflowB { return nil }
            value = sum
        }
        return value
    }

    private static func checked(_ magnitude: UInt64?, negative: Bool, text: String) -> Outcome {
        let limit = UInt64(Int64.max) + (negative ? 1 : 0)
        guard let magnitude, magnitude <= limit else {
            return .ambiguous("'\(text)' does not fit in a 64-bit integer")
        }
        if negative {
            return .value(.int(magnitude == limit ? Int64.min : -Int64(magnitude)))
        }
        return .value(.int(Int64(magnitude)))
    }

    // MARK: - YAML 1.2 numbers that YAML 1.1 reads as strings

    /// YAML 1.2 core schema numbers: `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`,
    /// `0o[0-7]+`, `0x[0-9a-fA-F]+`, `[-+]?\.(inf|Inf|INF)`, `\.(nan|NaN|NAN)`.
    /// Reached only by strings PyYAML did not type, e.g. `1e10`, `-.5`, `0o17`, `08`.
    private static func isYAML12Number(_ bytes: [UInt8]) -> Bool {
        if bytes.count > 2, bytes[0] == 0x30, bytes[1] == 0x6F {
            return bytes[2...].allSatisfy { (0x30...0x37).contains($0) }
        }
        var index = afterSign(bytes)
        let unsigned = String(decoding: bytes[index...], as: UTF8.self)
        if [".inf", ".Inf", ".INF", ".nan", ".NaN", ".NAN"].contains(unsigned) { return true }
        let integerEnd = skip(bytes, from: index, while: isDigit)
        var mantissaDigits = integerEnd - index
        index = integerEnd
        if index < bytes.count, bytes[index] == dot {
            let fractionEnd = skip(bytes, from: index + 1, while: isDigit)
            mantissaDigits += fractionEnd - index - 1
            guard integerEnd > afterSign(bytes) || fractionEnd > index + 1 else { return false }
            index = fractionEnd
        }
        guard mantissaDigits > 0 else { return false }
        if index < bytes.count, bytes[index] == 0x65 || bytes[index] == 0x45 {
            index += 1
            if index < bytes.count, isSign(bytes[index]) { index += 1 }
            let exponentEnd = skip(bytes, from: index, while: isDigit)
            guard exponentEnd > index else { return false }
            index = exponentEnd
        }
        return index == bytes.count
    }
}
