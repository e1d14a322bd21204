import Foundation
import TestSupport
import Testing

@testable import StorekeeperConfig

@Suite struct CronExpressionTests {
    // MARK: - Helpers

    /// Unix seconds for `yyyy-MM-ddTHH:mm[:ss]` in UTC, through Foundation so
    /// that the expected values do not depend on the calendar code under test.
    private static func utc(_ text: String) -> Int64 {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        let full = text.count == 16 ? text + ":00Z" : text + "Z"
        guard let date = formatter.date(from: full) else {
            preconditionFailure("bad test timestamp \(text)")
        }
        return Int64(date.timeIntervalSince1970)
    }

    /// `yyyy-MM-ddTHH:mm` for a result, so a failing expectation reads as a date.
    private static func show(_ seconds: Int64?) -> String? {
        guard let seconds else { return nil }
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        let text = formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
        return seconds % 60 == 0 ? String(text.prefix(16)) : text
    }

    private static func next(_ expression: String, after time: String) throws -> String? {
        show(try CronExpression(expression).nextFire(after: utc(time)))
    }

    private static func previous(_ expression: String, atOrBefore time: String) throws -> String? {
        show(try CronExpression(expression).previousFire(atOrBefore: utc(time)))
    }

    private static func rejection(_ expression: String) -> CronError? {
        do {
            _ = try CronExpression(expression)
            return nil
        } catch {
            return error
        }
    }

    // MARK: - Next fire

    /// (expression, strictly after, expected next fire); nil means never.
    static let nextFires: [(String, String, String?)] = [
        // Month ends: the 31st and 30th skip the months that lack them.
        ("0 0 31 * *", "2025-04-01T00:00", "2025-05-31T00:00"),
        ("0 0 31 * *", "2025-01-31T00:00", "2025-03-31T00:00"),
        ("0 0 30 * *", "2025-01-30T00:00", "2025-03-30T00:00"),
        ("0 0 31 4,6,9,11 *", "2025-01-01T00:00", nil),
        ("0 0 30 2 *", "2025-01-01T00:00", nil),
        // Leap days, including the 8-year gap over 2100 and dates before 1970.
        ("0 0 29 2 *", "2025-01-01T00:00", "2028-02-29T00:00"),
        ("0 0 29 2 *", "2096-03-01T00:00", "2104-02-29T00:00"),
        ("0 0 29 2 *", "1896-03-01T00:00", "1904-02-29T00:00"),
        ("0 0 1 1 *", "1969-06-01T00:00", "1970-01-01T00:00"),
        ("0 12 28-29 2 *", "2025-02-28T12:00", "2026-02-28T12:00"),
        // Both day fields restricted: the 13th or any Friday.
        ("0 0 13 * 5", "2025-01-01T00:00", "2025-01-03T00:00"),
        ("0 0 13 * 5", "2025-01-10T00:00", "2025-01-13T00:00"),
        ("0 0 13 * 5", "2025-01-13T00:00", "2025-01-17T00:00"),
        ("0 0 13 * FRI", "2025-06-06T00:00", "2025-06-13T00:00"),
        ("0 0 1,15 * 1", "2025-01-01T00:00", "2025-01-06T00:00"),
        // croniter's rule: */2 in day-of-month is restricted (odd days or Mondays)...
        ("0 0 */2 * MON", "2025-01-01T00:00", "2025-01-03T00:00"),
        ("0 0 */2 * MON", "2025-01-05T00:00", "2025-01-06T00:00"),
        // ...a complete list is a wildcard only when the other field has a '*'...
        ("0 0 */1 * */2", "2025-01-01T00:00", "2025-01-02T00:00"),
        ("0 0 */1 * */2", "2025-01-02T00:00", "2025-01-04T00:00"),
        // ...and otherwise restricted, so every day matches.
        ("0 0 1-31 * MON", "2025-01-01T00:00", "2025-01-02T00:00"),
        ("0 0 15 * 0-6", "2025-01-01T00:00", "2025-01-02T00:00"),
        // One day field '*': only the other counts.
        ("0 0 * * 5", "2025-01-03T00:00", "2025-01-10T00:00"),
        ("0 0 13 * *", "2025-01-03T00:00", "2025-01-13T00:00"),
        // Steps, ranges, lists.
        ("*/15 * * * *", "2025-03-01T10:07:30", "2025-03-01T10:15"),
        ("*/15 * * * *", "2025-03-01T10:45", "2025-03-01T11:00"),
        ("10/20 * * * *", "2025-03-01T10:31", "2025-03-01T10:50"),
        ("10/20 * * * *", "2025-03-01T10:50", "2025-03-01T11:10"),
        ("15,45 */6 * * *", "2025-01-01T06:45", "2025-01-01T12:15"),
        ("0 9-17/4 * * *", "2025-01-01T13:00", "2025-01-01T17:00"),
        ("0 9-17/4 * * *", "2025-01-01T17:00", "2025-01-02T09:00"),
        ("0 0 2/10 * *", "2025-01-22T00:00", "2025-02-02T00:00"),
        ("0 0 1 */4 *", "2025-01-01T00:00", "2025-05-01T00:00"),
        ("1-59/7 0 1 1 *", "2025-01-01T00:57", "2026-01-01T00:01"),
        // Names, in any case, in lists and ranges.
        ("0 9-17 * * MON-FRI", "2025-01-03T17:00", "2025-01-06T09:00"),
        ("0 0 1 JAN,jul *", "2025-01-01T00:00", "2025-07-01T00:00"),
        ("0 0 1 Feb/4 *", "2025-02-01T00:00", "2025-06-01T00:00"),
        ("0 0 * * fri-sun", "2025-01-01T00:00", "2025-01-03T00:00"),
        ("0 0 * * FRI-SUN", "2025-01-04T00:00", "2025-01-05T00:00"),
        ("0 0 * * FRI-SUN", "2025-01-05T00:00", "2025-01-10T00:00"),
        ("0 12 * * 1-5/2", "2025-01-01T12:00", "2025-01-03T12:00"),
        // Sunday as 0, 7 and SUN; `1/2` stops at Saturday as in croniter.
        ("5 4 * * 0", "2025-01-01T00:00", "2025-01-05T04:05"),
        ("5 4 * * 7", "2025-01-01T00:00", "2025-01-05T04:05"),
        ("5 4 * * sun", "2025-01-01T00:00", "2025-01-05T04:05"),
        ("0 0 * * 5-7", "2025-01-04T00:00", "2025-01-05T00:00"),
        ("0 0 * * 1/2", "2025-01-03T00:00", "2025-01-06T00:00"),
        // Rollover of minute, hour, day, month and year.
        ("59 23 31 12 *", "2025-12-31T23:59", "2026-12-31T23:59"),
        ("* * * * *", "2025-12-31T23:59:59", "2026-01-01T00:00"),
        ("* * * * *", "2025-12-31T23:58", "2025-12-31T23:59"),
        ("0 0 1 1 *", "1999-12-31T23:59:59", "2000-01-01T00:00"),
        // Macros.
        ("@daily", "2025-02-28T12:00", "2025-03-01T00:00"),
        ("@midnight", "2024-02-28T12:00", "2024-02-29T00:00"),
        ("@hourly", "2025-02-28T23:00", "2025-03-01T00:00"),
        ("@weekly", "2025-01-01T00:00", "2025-01-05T00:00"),
        ("@monthly", "2025-01-15T00:00", "2025-02-01T00:00"),
        ("@yearly", "2025-06-01T00:00", "2026-01-01T00:00"),
        ("@annually", "2025-01-01T00:00", "2026-01-01T00:00"),
        ("@DAILY", "2025-01-01T00:00", "2025-01-02T00:00"),
    ]

    @Test(arguments: nextFires)
    func nextFire(expression: String, after: String, expected: String?) throws {
        #expect(try Self.next(expression, after: after) == expected, "\(expression) after \(after)")
    }

    // MARK: - Previous fire

    /// (expression, at or before, expected previous fire); nil means never.
    static let previousFires: [(String, String, String?)] = [
        ("0 2 * * *", "2025-03-10T02:00", "2025-03-10T02:00"),
        ("0 2 * * *", "2025-03-10T02:00:59", "2025-03-10T02:00"),
        ("0 2 * * *", "2025-03-10T01:59:59", "2025-03-09T02:00"),
        ("0 0 29 2 *", "2027-01-01T00:00", "2024-02-29T00:00"),
        ("0 0 29 2 *", "2104-02-28T00:00", "2096-02-29T00:00"),
        ("0 0 31 * *", "2025-05-30T00:00", "2025-03-31T00:00"),
        ("0 0 13 * 5", "2025-01-12T00:00", "2025-01-10T00:00"),
        ("0 0 13 * 5", "2025-01-16T00:00", "2025-01-13T00:00"),
        ("*/15 * * * *", "2025-03-01T10:14:59", "2025-03-01T10:00"),
        ("0 9-17 * * MON-FRI", "2025-01-06T08:59", "2025-01-03T17:00"),
        ("30 23 31 12 *", "2026-01-01T00:00", "2025-12-31T23:30"),
        ("* * * * *", "2026-01-01T00:00", "2026-01-01T00:00"),
        ("0 0 1 1 *", "1970-06-01T00:00", "1970-01-01T00:00"),
        ("0 0 1 1 *", "1969-12-31T23:59:59", "1969-01-01T00:00"),
        ("@weekly", "2025-01-04T23:59", "2024-12-29T00:00"),
        ("0 0 30 2 *", "2025-01-01T00:00", nil),
    ]

    @Test(arguments: previousFires)
    func previousFire(expression: String, atOrBefore: String, expected: String?) throws {
        #expect(
            try Self.previous(expression, atOrBefore: atOrBefore) == expected,
            "\(expression) at or before \(atOrBefore)")
    }

    /// A scheduler that was down from `down` to `up` runs a missed job once:
    /// the latest fire at or before `up`, when it is after `down`.
    @Test func previousFireFindsTheRunMissedWhileDown() throws {
        let schedule = try CronExpression("0 2 * * *")
        let down = Self.utc("2025-03-10T01:30")
        let up = Self.utc("2025-03-12T09:00")
        let missed = try #require(schedule.previousFire(atOrBefore: up))
        #expect(Self.show(missed) == "2025-03-12T02:00")
        #expect(missed > down)
        #expect(schedule.previousFire(atOrBefore: Self.utc("2025-03-10T01:59")).map { $0 > down } == false)
    }

    @Test func nextAndPreviousAreInverses() throws {
        let expressions = ["*/7 * * * *", "0 0 13 * 5", "0 0 29 2 *", "30 4 1-7 * MON", "@weekly", "0 0 31 * *"]
        var time = Self.utc("2023-11-05T07:13:21")
        for text in expressions {
            let expression = try CronExpression(text)
            for _ in 0..<50 {
                let next = try #require(expression.nextFire(after: time))
                #expect(next > time && next % 60 == 0)
                #expect(expression.previousFire(atOrBefore: next) == next, "\(text)")
                #expect(expression.previousFire(atOrBefore: next - 1).map { $0 <= time } ?? true, "\(text)")
                time = next
            }
        }
    }

    @Test func timesOutsideYears1Through9999HaveNoFires() throws {
        let expression = try CronExpression("* * * * *")
        #expect(expression.nextFire(after: .max) == nil)
        #expect(expression.previousFire(atOrBefore: .min) == nil)
        #expect(expression.nextFire(after: Self.utc("9999-12-31T23:59")) == nil)
    }

    // MARK: - Parsing

    @Test func whitespaceIsNormalizedAndEqualityFollowsTheText() throws {
        let spaced = try CronExpression("  0\t2   * *  *\n")
        #expect(spaced.description == "0 2 * * *")
        #expect(spaced == (try CronExpression("0 2 * * *")))
        #expect(spaced != (try CronExpression("0 2 * * 0-7")))
        #expect((try CronExpression("@daily")).description == "@daily")
    }

    /// (expression, `description` of the error).
    static let rejections: [(String, String)] = [
        ("61 * * * *", "cron '61 * * * *': minute: 61 is out of range 0-59"),
        ("0 24 * * *", "cron '0 24 * * *': hour: 24 is out of range 0-23"),
        ("0 0 0 * *", "cron '0 0 0 * *': day-of-month: 0 is out of range 1-31"),
        ("0 0 32 * *", "cron '0 0 32 * *': day-of-month: 32 is out of range 1-31"),
        ("0 0 * 13 *", "cron '0 0 * 13 *': month: 13 is out of range 1-12"),
        ("0 0 * * 8", "cron '0 0 * * 8': day-of-week: 8 is out of range 0-7"),
        (
            "99999999999999999999 * * * *",
            "cron '99999999999999999999 * * * *': minute: 99999999999999999999 is out of range 0-59"
        ),
        (
            "* * * *",
            "cron '* * * *': expected 5 fields (minute hour day-of-month month day-of-week) or a macro such as @daily, found 4"
        ),
        (
            "* * * * * *",
            "cron '* * * * * *': expected 5 fields (minute hour day-of-month month day-of-week) or a macro such as @daily, found 6"
        ),
        (
            "",
            "cron '': expected 5 fields (minute hour day-of-month month day-of-week) or a macro such as @daily, found none"
        ),
        ("1,,2 * * * *", "cron '1,,2 * * * *': minute: empty list element in '1,,2'"),
        ("0 0 1, * *", "cron '0 0 1, * *': day-of-month: empty list element in '1,'"),
        ("*/0 * * * *", "cron '*/0 * * * *': minute: step 0 in '*/0' never advances; use 1 or more"),
        ("*/ * * * *", "cron '*/ * * * *': minute: '*/' has no step after '/'"),
        ("*/x * * * *", "cron '*/x * * * *': minute: step 'x' is not a number"),
        ("1/2/3 * * * *", "cron '1/2/3 * * * *': minute: '1/2/3' has more than one '/'"),
        ("/5 * * * *", "cron '/5 * * * *': minute: '/5' has nothing before '/' (write */5 or a-b/5)"),
        (
            "0 5-2 * * *",
            "cron '0 5-2 * * *': hour: range 5-2 is reversed: the start is after the end (a range cannot wrap around)"
        ),
        (
            "0 0 * * 5-0",
            "cron '0 0 * * 5-0': day-of-week: range 5-0 is reversed: the start is after the end (a range cannot wrap around)"
        ),
        (
            "0 0 * DEC-JAN *",
            "cron '0 0 * DEC-JAN *': month: range DEC-JAN is reversed: the start is after the end (a range cannot wrap around)"
        ),
        ("-5 * * * *", "cron '-5 * * * *': minute: range '-5' has no start (negative numbers are not allowed)"),
        ("5- * * * *", "cron '5- * * * *': minute: range '5-' has no end"),
        ("1-2-3 * * * *", "cron '1-2-3 * * * *': minute: '1-2-3' is not a range: use one '-'"),
        ("*5 * * * *", "cron '*5 * * * *': minute: unexpected '5' after '*' in '*5'"),
        ("0 0 * FOO *", "cron '0 0 * FOO *': month: unknown month name 'FOO' (expected JAN-DEC or 1-12)"),
        ("0 0 * JANUARY *", "cron '0 0 * JANUARY *': month: unknown month name 'JANUARY' (expected JAN-DEC or 1-12)"),
        ("0 0 * * FUN", "cron '0 0 * * FUN': day-of-week: unknown day name 'FUN' (expected SUN-SAT or 0-7)"),
        ("0 0 * * MON-FUN", "cron '0 0 * * MON-FUN': day-of-week: unknown day name 'FUN' (expected SUN-SAT or 0-7)"),
        ("a * * * *", "cron 'a * * * *': minute: 'a' is not a number"),
        ("0 0 MON * *", "cron '0 0 MON * *': day-of-month: 'MON' is not a number"),
        (
            "@reboot",
            "cron '@reboot': unknown macro '@reboot' (known: @yearly @annually @monthly @weekly @daily @midnight @hourly)"
        ),
        ("@daily 5", "cron '@daily 5': @daily stands alone, found '5' after it"),
    ]

    @Test(arguments: rejections)
    func rejects(expression: String, expected: String) {
        #expect(Self.rejection(expression)?.description == expected)
    }

    @Test func errorsCarryTheFieldAndColumn() throws {
        let dayName = try #require(Self.rejection("0 0 * * MON-FUN"))
        #expect(dayName.expression == "0 0 * * MON-FUN")
        #expect(dayName.field == "day-of-week")
        #expect(dayName.fieldNumber == 5)
        #expect(dayName.column == 13)
        #expect(dayName.message == "unknown day name 'FUN' (expected SUN-SAT or 0-7)")

        let empty = try #require(Self.rejection("  1,,2 * * * *"))
        #expect(empty.field == "minute" && empty.fieldNumber == 1 && empty.column == 5)

        let step = try #require(Self.rejection("0 */0 * * *"))
        #expect(step.field == "hour" && step.fieldNumber == 2 && step.column == 5)

        let count = try #require(Self.rejection("1 2 3 4 5 6"))
        #expect(count.field == nil && count.fieldNumber == nil && count.column == 11)
    }

    // MARK: - Cross-check with croniter

    /// Expressions whose meaning croniter and this type share. Left out on
    /// purpose: `5-5` (croniter reads an equal range as the whole field),
    /// reversed ranges (croniter wraps them, we reject them) and `7/n`.
    static let crossCheckExpressions = [
        "* * * * *", "*/15 * * * *", "0 * * * *", "30 2 * * *", "0 0 1 * *",
        "0 0 31 * *", "0 0 29 2 *", "0 0 13 * 5", "0 0 13 * FRI", "5 4 * * 0",
        "5 4 * * 7", "0 9-17 * * MON-FRI", "0 9-17/2 * * 1-5", "15,45 */3 * * *", "0 0 1,15 * 1",
        "0 12 * JAN,APR,JUL,OCT *", "0 0 1 */3 *", "23 0-20/2 * * *", "0 0 * * SAT-SUN", "0 0 * * fri-sun",
        "0 0 */2 * MON", "0 0 */1 * 1-5", "0 0 1-31 * MON", "0 0 15 * */1", "0 0 */2 * */2",
        "0 0 */1 * */2", "10/20 * * * *", "0 0 2/5 * *", "0 0 1 FEB/4 *", "0 22 * * 1/2",
        "@weekly", "@yearly", "@daily", "0 0 30 2 *", "59 23 31 12 *",
        "0 0 31 4,6,9,11 *", "0 12 29 2 MON", "0 6 8-14 * 2", "0 0 * jan-mar Sun", "1-59/7 0 1 1 *",
        "0 0 * * 1-7/3",
    ]

    /// Reads `[{"e": expression, "t": seconds}, ...]` on stdin and writes
    /// `[[next, previous], ...]`: croniter's next fire after `t` and its last
    /// fire at or before `t` (`get_prev` is strictly before its start, and
    /// fires are whole minutes, so it starts at `t + 1`); null for none.
    static let croniterScript = """
        import json, sys
        from datetime import datetime, timezone
        from croniter import croniter, CroniterBadDateError
        def one(expression, start, previous):
            try:
                it = croniter(expression, datetime.fromtimestamp(start, timezone.utc))
                return int(it.get_prev(float) if previous else it.get_next(float))
            except CroniterBadDateError:
                return None
        cases = json.load(sys.stdin)
        json.dump([[one(c["e"], c["t"], False), one(c["e"], c["t"] + 1, True)] for c in cases], sys.stdout)
        """

    /// The croniter venv's python: `STOREKEEPER_CRONITER_PYTHON`, else
    /// `.build-venv/croniter` in the package root (where scripts/test puts it).
    private static func croniterPython() -> String? {
        if let fromEnvironment = ProcessInfo.processInfo.environment["STOREKEEPER_CRONITER_PYTHON"],
            !fromEnvironment.isEmpty
        {
            return FileManager.default.isExecutableFile(atPath: fromEnvironment) ? fromEnvironment : nil
        }
        let python = Repository.root + "/.build-venv/croniter/bin/python"
        return FileManager.default.isExecutableFile(atPath: python) ? python : nil
    }

    /// SplitMix64, so the start times are the same on every run.
    private struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test func agreesWithCroniter() throws {
        guard let python = Self.croniterPython() else {
            Issue.record(
                """
                croniter is not installed: set STOREKEEPER_CRONITER_PYTHON to a python that has it, \
                or run scripts/test, which installs it in .build-venv/croniter
                """)
            return
        }
        var generator = SeededGenerator(state: 20_250_101)
        let first = Self.utc("2000-01-01T00:00")
        let last = Self.utc("2040-01-01T00:00")
        var cases: [(expression: String, start: Int64)] = []
        for expression in Self.crossCheckExpressions {
            for index in 0..<20 {
                let random = first + Int64(generator.next() % UInt64(last - first))
                // Whole minutes, hours and days too, since those are where
                // "strictly after" and "at or before" differ.
                let start =
                    switch index % 4 {
                    case 0: random
                    case 1: random - random % 60
                    case 2: random - random % 3600
                    default: random - random % 86_400
                    }
                cases.append((expression, start))
            }
        }

        let input = try JSONSerialization.data(withJSONObject: cases.map { ["e": $0.expression, "t": $0.start] })
        let output = try Self.run(python, script: Self.croniterScript, input: input)
        let answers = try #require(
            try JSONSerialization.jsonObject(with: output) as? [[Any]],
            "croniter wrote: \(String(decoding: output, as: UTF8.self))")
        try #require(answers.count == cases.count)

        var mismatches: [String] = []
        for (testCase, answer) in zip(cases, answers) {
            let expression = try CronExpression(testCase.expression)
            let expectedNext = (answer[0] as? NSNumber)?.int64Value
            let expectedPrevious = (answer[1] as? NSNumber)?.int64Value
            let next = expression.nextFire(after: testCase.start)
            let previous = expression.previousFire(atOrBefore: testCase.start)
            if next != expectedNext || previous != expectedPrevious {
                mismatches.append(
                    "'\(testCase.expression)' from \(Self.show(testCase.start) ?? "?"): "
                        + "next \(Self.show(next) ?? "nil") (croniter \(Self.show(expectedNext) ?? "nil")), "
                        + "previous \(Self.show(previous) ?? "nil") (croniter \(Self.show(expectedPrevious) ?? "nil"))")
            }
        }
        #expect(
            mismatches.count == 0,
            "\(mismatches.count) of \(cases.count) differ from croniter:\n\(mismatches.prefix(20).joined(separator: "\n"))"
        )
    }

    /// Runs `script` on the croniter venv's python with `input` on its stdin.
    private static func run(_ python: String, script: String, input: Data) throws -> Data {
        let result = try Shell.run([python, "-c", script], input: String(decoding: input, as: UTF8.self))
        guard result.status == 0 else {
            throw CroniterFailed(description: "\(python) exited \(result.status): \(result.stderr)")
        }
        return Data(result.stdout.utf8)
    }

    private struct CroniterFailed: Error, CustomStringConvertible {
        let description: String
    }
}
