/// A minute of the proleptic Gregorian calendar in UTC, the cursor that the
/// cron search moves by whole months, days, hours and minutes.
///
/// Conversions use Howard Hinnant's `days_from_civil` / `civil_from_days`,
/// plain integer arithmetic, so no calendar library or time zone database is
/// involved and dates before 1970 work the same as later ones.
struct CivilMinute: Equatable {
    var year: Int64
    var month: Int
    var day: Int
    var hour: Int
    var minute: Int

    /// The minute containing Unix time `seconds` (rounding down, also before 1970).
    init(containing seconds: Int64) {
        let minutes = Self.floorDivide(seconds, 60)
        let days = Self.floorDivide(minutes, 1440)
        let minuteOfDay = Int(minutes - days * 1440)
        (year, month, day) = Self.civil(fromDays: days)
        hour = minuteOfDay / 60
        minute = minuteOfDay % 60
    }

    var unixSeconds: Int64 {
        Self.days(year: year, month: month, day: day) * 86_400 + Int64(hour * 3600 + minute * 60)
    }

    /// 0 for Sunday through 6 for Saturday.
    var weekday: Int {
        // 1970-01-01 was a Thursday.
        Int((Self.days(year: year, month: month, day: day) % 7 + 11) % 7)
    }

    var daysInMonth: Int { Self.daysIn(year: year, month: month) }

    mutating func moveToStartOfNextMonth() {
        month += 1
        if month > 12 {
            month = 1
            year += 1
        }
        day = 1
        hour = 0
        minute = 0
    }

    mutating func moveToStartOfNextDay() {
        if day >= daysInMonth {
            moveToStartOfNextMonth()
        } else {
            day += 1
            hour = 0
            minute = 0
        }
    }

    mutating func moveToEndOfPreviousMonth() {
        month -= 1
        if month < 1 {
            month = 12
            year -= 1
        }
        day = daysInMonth
        hour = 23
        minute = 59
    }

    mutating func moveToEndOfPreviousDay() {
        if day <= 1 {
            moveToEndOfPreviousMonth()
        } else {
            day -= 1
            hour = 23
            minute = 59
        }
    }

    static func isLeap(_ year: Int64) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }

    static func daysIn(year: Int64, month: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Hinnant's `days_from_civil`: days since 1970-01-01.
    static func days(year: Int64, month: Int, day: Int) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = floorDivide(y, 400)
        let yearOfEra = y - era * 400
        let monthFromMarch = Int64(month > 2 ? month - 3 : month + 9)
        let dayOfYear = (153 * monthFromMarch + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// Hinnant's `civil_from_days`, the inverse of `days(year:month:day:)`.
    static func civil(fromDays days: Int64) -> (year: Int64, month: Int, day: Int) {
        let z = days + 719_468
        let era = floorDivide(z, 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthFromMarch = (5 * dayOfYear + 2) / 153
        let day = Int(dayOfYear - (153 * monthFromMarch + 2) / 5 + 1)
        let month = Int(monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9)
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    static func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
        let quotient = value / divisor
        return value % divisor < 0 ? quotient - 1 : quotient
    }
}
