import StorekeeperSystem

/// The date a path carries, for categories aged by `age_by: path_date` (the
/// research doc's filename strategy): a `_YYYYMMDD_HHMMSS` stamp in the file
/// name wins, else the last `YYYY-MM-DD` folder; both read as UTC.
public enum PathDate {
    public static func timestamp(in path: [UInt8]) -> Int64? {
        let components = PathBytes.components(path)
        if let name = components.last, let stamp = nameStamp(name) { return stamp }
        for component in components.dropLast().reversed() {
            if let day = folderDate(component) { return day }
        }
        return nil
    }

    /// `YYYY-MM-DD` exactly, a valid calendar date.
    static func folderDate(_ name: [UInt8]) -> Int64? {
        guard name.count == 10, name[4] == UInt8(ascii: "-"), name[7] == UInt8(ascii: "-"),
            let year = number(name[0..<4]), let month = number(name[5..<7]), let day = number(name[8..<10])
        else { return nil }
        return epochSeconds(year: year, month: month, day: day, hour: 0, minute: 0, second: 0)
    }

    /// `_YYYYMMDD_HHMMSS` anywhere in a file name.
    static func nameStamp(_ name: [UInt8]) -> Int64? {
        let underscore = UInt8(ascii: "_")
        guard name.count >= 16 else { return nil }
        for start in 0...(name.count - 16) where name[start] == underscore && name[start + 9] == underscore {
            guard let year = number(name[(start + 1)..<(start + 5)]),
                let month = number(name[(start + 5)..<(start + 7)]),
                let day = number(name[(start + 7)..<(start + 9)]),
                let hour = number(name[(start + 10)..<(start + 12)]),
                let minute = number(name[(start + 12)..<(start + 14)]),
                let second = number(name[(start + 14)..<(start + 16)])
            else { continue }
            if let stamp = epochSeconds(
                year: year, month: month, day: day, hour: hour, minute: minute, second: second)
            {
                return stamp
            }
        }
        return nil
    }

    private static func number(_ digits: ArraySlice<UInt8>) -> Int64? {
        var value: Int64 = 0
        for digit in digits {
            guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int64(digit - UInt8(ascii: "0"))
        }
        return value
    }

    /// Seconds since 1970-01-01 UTC, or nil for an impossible date or time.
    static func epochSeconds(year: Int64, month: Int64, day: Int64, hour: Int64, minute: Int64, second: Int64)
        -> Int64?
    {
        guard (1970...9999).contains(year), (1...12).contains(month), hour < 24, minute < 60, second < 60
        else { return nil }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let monthLengths: [Int64] = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard day >= 1, day <= monthLengths[Int(month - 1)] else { return nil }
        return daysFromCivil(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second
    }

    /// Howard Hinnant's days_from_civil: days since 1970-01-01 in the proleptic Gregorian calendar.
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
