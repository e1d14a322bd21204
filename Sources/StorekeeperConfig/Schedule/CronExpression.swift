import StorekeeperSystem

/// A 5-field cron expression (`minute hour day-of-month month day-of-week`),
/// evaluated in UTC.
///
/// Syntax, as in Vixie cron: `*`, numbers, lists `a,b`, ranges `a-b`, steps
/// `*/n`, `a-b/n` and `a/n` (`a` to the field's end), month names `JAN`-`DEC`
/// and day names `SUN`-`SAT` in any case, day-of-week 0 and 7 both Sunday
/// (`FRI-SUN` is Friday through Sunday), and the macros `@yearly`,
/// `@annually`, `@monthly`, `@weekly`, `@daily`, `@midnight` and `@hourly`.
/// A range is never reversed (`5-2` is an error, not a wrap-around), and
/// `5-5` is just 5. In day-of-week, `*/n` and `a/n` end at Saturday as in
/// croniter, so `1/2` is Monday, Wednesday and Friday.
///
/// Day-of-month and day-of-week: when both are restricted a day matches if
/// either matches; when one is unrestricted only the other counts. Which
/// field counts as unrestricted follows croniter (which the tests check this
/// type against), not Vixie's "starts with `*`":
/// - a field holding a bare `*` element is unrestricted;
/// - a field that lists every value (`1-31`, `*/1`, `0-6`) is unrestricted
///   only when the other day field contains a `*` somewhere;
/// - anything else is restricted, so `*/2` in day-of-month is restricted and
///   `0 0 */2 * MON` fires on odd days and on Mondays (Vixie: odd Mondays).
public struct CronExpression: Sendable, Equatable, CustomStringConvertible {
    /// The expression with its fields separated by single spaces.
    public let text: String
    let minutes: CronField
    let hours: CronField
    let daysOfMonth: CronField
    let months: CronField
    let daysOfWeek: CronField
    /// Both day fields are restricted, so a day matches if either does.
    let daysMatchEither: Bool

    static let macros: [(name: String, fields: String)] = [
        ("@yearly", "0 0 1 1 *"),
        ("@annually", "0 0 1 1 *"),
        ("@monthly", "0 0 1 * *"),
        ("@weekly", "0 0 * * 0"),
        ("@daily", "0 0 * * *"),
        ("@midnight", "0 0 * * *"),
        ("@hourly", "0 * * * *"),
    ]

    /// The longest gap between two fires of an expression that fires at all
    /// is 8 years: a day-of-week restriction, alone or ORed with day-of-month,
    /// matches days in every allowed month, and the rarest day-of-month is
    /// February 29 across a skipped leap day (2096 to 2104). A search that
    /// covers 8 years from its start therefore returns nil only for
    /// expressions that never fire, such as `0 0 30 2 *`.
    static let searchYears: Int64 = 8

    /// Times from 0001-01-01 through 9999-12-31 UTC; outside them the search
    /// gives nil rather than risk overflowing the arithmetic.
    static let supportedTimes: ClosedRange<Int64> = -62_135_596_800...253_402_300_799

    public init(_ text: String) throws(CronError) {
        let tokens = Self.tokens(of: text)
        func failure(_ column: Int?, _ message: String) -> CronError {
            CronError(expression: text, field: nil, fieldNumber: nil, column: column, message: message)
        }

        if let first = tokens.first, first.characters.first == "@" {
            let name = String(first.characters).lowercased()
            guard let macro = Self.macros.first(where: { $0.name == name }) else {
                let known = Self.macros.map(\.name).joined(separator: " ")
                throw failure(first.column, "unknown macro '\(String(first.characters))' (known: \(known))")
            }
            if tokens.count > 1 {
                throw failure(
                    tokens[1].column, "\(macro.name) stands alone, found '\(String(tokens[1].characters))' after it")
            }
            // A macro's own fields are valid, so parsing them cannot fail.
            let fields = try! Self.fields(of: Self.tokens(of: macro.fields), expression: macro.fields)
            self.init(text: String(first.characters), fields: fields)
            return
        }

        guard tokens.count == CronField.Kind.allCases.count else {
            let found = tokens.isEmpty ? "none" : "\(tokens.count)"
            let column = tokens.count > 5 ? tokens[5].column : nil
            throw failure(
                column,
                "expected 5 fields (minute hour day-of-month month day-of-week) or a macro such as @daily, found \(found)"
            )
        }
        let fields = try Self.fields(of: tokens, expression: text)
        self.init(text: tokens.map { String($0.characters) }.joined(separator: " "), fields: fields)
    }

    private init(text: String, fields: [CronField]) {
        self.text = text
        minutes = fields[0]
        hours = fields[1]
        daysOfMonth = fields[2]
        months = fields[3]
        daysOfWeek = fields[4]
        let dayOfMonthIsWildcard = daysOfMonth.hasBareStar || (daysOfMonth.isFull && daysOfWeek.mentionsStar)
        let dayOfWeekIsWildcard = daysOfWeek.hasBareStar || (daysOfWeek.isFull && daysOfMonth.mentionsStar)
        daysMatchEither = !dayOfMonthIsWildcard && !dayOfWeekIsWildcard
    }

    /// The whitespace-separated words of `text`, each with its 1-based column.
    private static func tokens(of text: String) -> [(column: Int, characters: ArraySlice<Character>)] {
        let characters = Array(text)
        var tokens: [(column: Int, characters: ArraySlice<Character>)] = []
        var index = 0
        while index < characters.count {
            if characters[index].isWhitespace {
                index += 1
                continue
            }
            let start = index
            while index < characters.count, !characters[index].isWhitespace { index += 1 }
            tokens.append((start + 1, characters[start..<index]))
        }
        return tokens
    }

    private static func fields(
        of tokens: [(column: Int, characters: ArraySlice<Character>)], expression: String
    ) throws(CronError) -> [CronField] {
        var fields: [CronField] = []
        for (kind, token) in zip(CronField.Kind.allCases, tokens) {
            fields.append(
                try CronField(parsing: token.characters, kind: kind, column: token.column, expression: expression))
        }
        return fields
    }

    public var description: String { text }

    /// The first matching minute strictly after `time` (Unix seconds), or nil
    /// when the expression never fires.
    public func nextFire(after time: Int64) -> Int64? {
        guard Self.supportedTimes.contains(time) else { return nil }
        var cursor = CivilMinute(containing: time)
        cursor.minute += 1
        if cursor.minute == 60 {
            cursor.minute = 0
            cursor.hour += 1
            if cursor.hour == 24 { cursor.moveToStartOfNextDay() }
        }
        let lastYear = cursor.year + Self.searchYears
        while cursor.year <= lastYear {
            guard months.contains(cursor.month) else {
                cursor.moveToStartOfNextMonth()
                continue
            }
            guard matchesDay(cursor) else {
                cursor.moveToStartOfNextDay()
                continue
            }
            guard let hour = hours.next(atOrAfter: cursor.hour) else {
                cursor.moveToStartOfNextDay()
                continue
            }
            if hour != cursor.hour {
                cursor.hour = hour
                cursor.minute = 0
            }
            guard let minute = minutes.next(atOrAfter: cursor.minute) else {
                cursor.minute = 0
                cursor.hour += 1
                if cursor.hour == 24 { cursor.moveToStartOfNextDay() }
                continue
            }
            cursor.minute = minute
            return supported(cursor.unixSeconds)
        }
        return nil
    }

    /// The latest matching minute at or before `time` (Unix seconds), or nil
    /// when the expression never fires. A scheduler that was down asks this
    /// to find the run it missed.
    public func previousFire(atOrBefore time: Int64) -> Int64? {
        guard Self.supportedTimes.contains(time) else { return nil }
        var cursor = CivilMinute(containing: time)
        let firstYear = cursor.year - Self.searchYears
        while cursor.year >= firstYear {
            guard months.contains(cursor.month) else {
                cursor.moveToEndOfPreviousMonth()
                continue
            }
            guard matchesDay(cursor) else {
                cursor.moveToEndOfPreviousDay()
                continue
            }
            guard let hour = hours.previous(atOrBefore: cursor.hour) else {
                cursor.moveToEndOfPreviousDay()
                continue
            }
            if hour != cursor.hour {
                cursor.hour = hour
                cursor.minute = 59
            }
            guard let minute = minutes.previous(atOrBefore: cursor.minute) else {
                cursor.minute = 59
                cursor.hour -= 1
                if cursor.hour < 0 { cursor.moveToEndOfPreviousDay() }
                continue
            }
            cursor.minute = minute
            return supported(cursor.unixSeconds)
        }
        return nil
    }

    private func matchesDay(_ cursor: CivilMinute) -> Bool {
        let dayOfMonth = daysOfMonth.contains(cursor.day)
        let dayOfWeek = daysOfWeek.contains(cursor.weekday)
        return daysMatchEither ? dayOfMonth || dayOfWeek : dayOfMonth && dayOfWeek
    }

    private func supported(_ time: Int64) -> Int64? {
        Self.supportedTimes.contains(time) ? time : nil
    }
}
