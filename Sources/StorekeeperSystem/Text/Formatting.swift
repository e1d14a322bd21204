import Glibc

/// How numbers, sizes, durations and times read for people.
public enum Formatting {
    /// `1.5 GiB`, `512 B`: binary units, as quotas are configured.
    public static func bytes(_ count: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]
        var value = Double(count)
        var unit = 0
        while abs(value) >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        if unit == 0 { return "\(count) B" }
        return fixed(value, digits: value < 10 ? 1 : 0) + " " + units[unit]
    }

    /// `90s`, `15m`, `24h`, `7d`: the largest unit that divides the value.
    public static func duration(_ seconds: Int64) -> String {
        for (unit, size) in [("d", Int64(86_400)), ("h", 3600), ("m", 60)] where seconds >= size && seconds % size == 0
        {
            return "\(seconds / size)\(unit)"
        }
        return "\(seconds)s"
    }

    /// `1 file`, `2 files`, `0 files`: a count and its noun, plural unless one.
    public static func count(_ value: Int, _ singular: String, plural: String? = nil) -> String {
        "\(value) \(value == 1 ? singular : plural ?? singular + "s")"
    }

    public static func fixed(_ value: Double, digits: Int) -> String {
        var buffer = [CChar](repeating: 0, count: 64)
        _ = withVaList([value]) { vsnprintf(&buffer, buffer.count, "%.\(digits)f", $0) }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// `2026-11-22T05:40:01Z`
    public static func isoTimestamp(_ seconds: Int64) -> String {
        utc(seconds, format: "%Y-%m-%dT%H:%M:%SZ")
    }

    /// `20261122T054001Z`, for file names.
    public static func compactTimestamp(_ seconds: Int64) -> String {
        utc(seconds, format: "%Y%m%dT%H%M%SZ")
    }

    /// `2026-11-22 05:40`
    public static func shortTimestamp(_ seconds: Int64) -> String {
        utc(seconds, format: "%Y-%m-%d %H:%M")
    }

    private static func utc(_ seconds: Int64, format: String) -> String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        var buffer = [CChar](repeating: 0, count: 64)
        let length = strftime(&buffer, buffer.count, format, &parts)
        return String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Left- or right-aligned columns, for tables in a terminal.
    public static func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - text.count))
        return right ? fill + text : text + fill
    }
}
