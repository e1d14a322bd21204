import Glibc

/// A `.trashinfo` `DeletionDate`: local wall-clock time without a zone, as the
/// trash spec and trash-cli write it (`2026-11-22T05:40:01`). The index keeps
/// the exact Unix time; this form exists only for other tools.
struct DeletionDate: Equatable, Sendable, CustomStringConvertible {
    let year: Int
    let month: Int
    let day: Int
    let hour: Int
    let minute: Int
    let second: Int

    init(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) {
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.minute = minute
        self.second = second
    }

    /// The local time of `seconds` in the process's zone (`TZ`, else /etc/localtime).
    init(localTimeOf seconds: Int64) {
        var time = time_t(seconds)
        var parts = tm()
        localtime_r(&time, &parts)
        self.init(
            year: Int(parts.tm_year) + 1900, month: Int(parts.tm_mon) + 1, day: Int(parts.tm_mday),
            hour: Int(parts.tm_hour), minute: Int(parts.tm_min), second: Int(parts.tm_sec))
    }

    /// Unix seconds of this local time. In the hour a DST change repeats, the
    /// libc picks one of the two; the index keeps the exact time for what we trashed.
    var secondsSinceEpoch: Int64 {
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        parts.tm_isdst = -1
        return Int64(mktime(&parts))
    }

    /// Whether some zone's local time of the instant `seconds` reads as this
    /// date: the offset between the two lies within the zones in use, UTC-12
    /// to UTC+14, DST included.
    func isLocalTime(ofSomeZoneFor seconds: Int64) -> Bool {
        (-12 * 3600...14 * 3600).contains(secondsAsUTC - seconds)
    }

    /// Unix seconds of this date read as UTC (days from the civil date,
    /// Howard Hinnant's algorithm), independent of `TZ`.
    var secondsAsUTC: Int64 {
        let shiftedYear = Int64(month <= 2 ? year - 1 : year)
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * Int64(month > 2 ? month - 3 : month + 9) + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        return days * 86_400 + Int64(hour) * 3600 + Int64(minute) * 60 + Int64(second)
    }

    var description: String {
        "\(Self.digits(year, 4))-\(Self.digits(month, 2))-\(Self.digits(day, 2))T"
            + "\(Self.digits(hour, 2)):\(Self.digits(minute, 2)):\(Self.digits(second, 2))"
    }

    /// `YYYY-MM-DDThh:mm:ss`, and the spec's own example form without dashes
    /// (`20040831T22:32:08`); nil for anything else.
    init?(parsing text: [UInt8]) {
        var scanner = text[...]
        func number(_ count: Int) -> Int? {
            let field = scanner.prefix(count)
            guard field.count == count, field.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
            scanner = scanner.dropFirst(count)
            return field.reduce(0) { $0 * 10 + Int($1 - 0x30) }
        }
        func skip(_ byte: UInt8, optional: Bool = false) -> Bool {
            if scanner.first == byte {
                scanner = scanner.dropFirst()
                return true
            }
            return optional
        }
        guard let year = number(4), skip(0x2D, optional: true), let month = number(2), skip(0x2D, optional: true),
            let day = number(2), skip(0x54), let hour = number(2), skip(0x3A), let minute = number(2),
            skip(0x3A), let second = number(2), scanner.isEmpty,
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second <= 60
        else { return nil }
        self.init(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
    }

    private static func digits(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}
