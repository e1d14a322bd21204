import StorekeeperSystem

/// One of the five fields of a cron expression, parsed into the set of
/// values it allows.
///
/// The set is a bit mask (bit `v` set when `v` is allowed) so that matching and
/// "next allowed value from here" are a shift and a bit count, which is what
/// lets the search jump over whole hours and days instead of testing minutes.
struct CronField: Sendable, Equatable {
    enum Kind: Int, Sendable, CaseIterable {
        case minute = 1
        case hour, dayOfMonth, month, dayOfWeek

        var name: String {
            switch self {
            case .minute: "minute"
            case .hour: "hour"
            case .dayOfMonth: "day-of-month"
            case .month: "month"
            case .dayOfWeek: "day-of-week"
            }
        }

        /// What may be written. Day-of-week accepts 7 as a second Sunday.
        var bounds: ClosedRange<Int> {
            switch self {
            case .minute: 0...59
            case .hour: 0...23
            case .dayOfMonth: 1...31
            case .month: 1...12
            case .dayOfWeek: 0...7
            }
        }

        /// Where `*/n` and `a/n` end. For day-of-week that is Saturday, not the
        /// alias 7, as in croniter: `1/2` is Mon, Wed, Fri, without Sunday.
        var stepEnd: Int { self == .dayOfWeek ? 6 : bounds.upperBound }

        /// Names for values, index 0 naming the first value; empty when the
        /// field takes numbers only.
        var names: [String] {
            switch self {
            case .month: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
            case .dayOfWeek: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
            default: []
            }
        }

        /// Every value the field can match, with day-of-week's 7 folded into 0.
        var fullMask: UInt64 {
            let range = self == .dayOfWeek ? 0...6 : bounds
            return (UInt64(1) << UInt64(range.upperBound + 1)) - (UInt64(1) << UInt64(range.lowerBound))
        }
    }

    let kind: Kind
    /// Bit `v` set when value `v` matches; day-of-week 7 is stored as 0.
    let values: UInt64
    /// A bare `*` element (no step) is in the list: croniter then treats a day
    /// field as unrestricted whatever else the list holds.
    let hasBareStar: Bool
    /// The field's text contains `*` anywhere, which is what croniter looks at
    /// in the other day field to decide whether a complete list is a wildcard.
    let mentionsStar: Bool

    var isFull: Bool { values == kind.fullMask }

    func contains(_ value: Int) -> Bool {
        values & (UInt64(1) << UInt64(value)) != 0
    }

    /// The smallest allowed value `>= value`, if any.
    func next(atOrAfter value: Int) -> Int? {
        guard value < 64 else { return nil }
        let remaining = values >> UInt64(value)
        return remaining == 0 ? nil : value + remaining.trailingZeroBitCount
    }

    /// The largest allowed value `<= value`, if any.
    func previous(atOrBefore value: Int) -> Int? {
        guard value >= 0 else { return nil }
        let upTo = value >= 63 ? values : values & ((UInt64(1) << UInt64(value + 1)) - 1)
        return upTo == 0 ? nil : 63 - upTo.leadingZeroBitCount
    }
}

extension CronField {
    /// Parses one field: a comma-separated list of `*`, `v`, `a-b`, each
    /// optionally followed by `/step`, where `a/step` means `a` to the end.
    ///
    /// - Parameters:
    ///   - text: the field's characters.
    ///   - column: 1-based column of `text` within `expression`, for errors.
    ///   - expression: the whole expression as given, for errors.
    init(parsing text: ArraySlice<Character>, kind: Kind, column: Int, expression: String) throws(CronError) {
        func failure(_ offset: Int, _ message: String) -> CronError {
            CronError(
                expression: expression, field: kind.name, fieldNumber: kind.rawValue,
                column: column + offset, message: message)
        }

        var values: UInt64 = 0
        var hasBareStar = false
        var elementStart = text.startIndex
        while true {
            let elementEnd = text[elementStart...].firstIndex(of: ",") ?? text.endIndex
            let element = text[elementStart..<elementEnd]
            let offset = elementStart - text.startIndex
            guard !element.isEmpty else {
                throw failure(offset, "empty list element in '\(String(text))'")
            }
            let (elementValues, bareStar) = try Self.parseElement(element, kind: kind) { at, message in
                failure(offset + at, message)
            }
            values |= elementValues
            hasBareStar = hasBareStar || bareStar
            guard elementEnd < text.endIndex else { break }
            elementStart = text.index(after: elementEnd)
        }
        self.kind = kind
        self.values = values
        self.hasBareStar = hasBareStar
        self.mentionsStar = text.contains("*")
    }

    /// One list element; returns its values and whether it was a bare `*`.
    /// `failure` builds the error for a character offset within the element.
    private static func parseElement(
        _ element: ArraySlice<Character>, kind: Kind, failure: (Int, String) -> CronError
    ) throws(CronError) -> (UInt64, Bool) {
        let slash = element.firstIndex(of: "/")
        let base = element[..<(slash ?? element.endIndex)]
        var step = 1
        if let slash {
            step = try parseStep(element, slash: slash, baseIsEmpty: base.isEmpty, failure: failure)
        }
        let (low, high) = try parseRange(base, of: element, stepped: slash != nil, kind: kind, failure: failure)
        var values: UInt64 = 0
        for value in stride(from: low, through: high, by: step) {
            values |= UInt64(1) << UInt64(kind == .dayOfWeek && value == 7 ? 0 : value)
        }
        return (values, base.count == 1 && base.first == "*" && slash == nil)
    }

    /// The `/step` of an element: a number of 1 or more after one '/'.
    private static func parseStep(
        _ element: ArraySlice<Character>, slash: Int, baseIsEmpty: Bool, failure: (Int, String) -> CronError
    ) throws(CronError) -> Int {
        let written = String(element)
        let stepText = element[element.index(after: slash)...]
        let stepOffset = slash + 1 - element.startIndex
        if stepText.contains("/") {
            throw failure(0, "'\(written)' has more than one '/'")
        }
        guard !stepText.isEmpty else {
            throw failure(stepOffset, "'\(written)' has no step after '/'")
        }
        guard let parsed = decimal(stepText) else {
            throw failure(stepOffset, "step '\(String(stepText))' is not a number")
        }
        guard parsed > 0 else {
            throw failure(stepOffset, "step 0 in '\(written)' never advances; use 1 or more")
        }
        guard !baseIsEmpty else {
            throw failure(
                0, "'\(written)' has nothing before '/' (write */\(String(stepText)) or a-b/\(String(stepText)))")
        }
        return parsed
    }

    /// The first and last value of an element's part before any '/': `*`, `a-b` or one value
    /// (which a step extends to the end of the field).
    private static func parseRange(
        _ base: ArraySlice<Character>, of element: ArraySlice<Character>, stepped: Bool, kind: Kind,
        failure: (Int, String) -> CronError
    ) throws(CronError) -> (Int, Int) {
        if base.first == "*" {
            guard base.count == 1 else {
                throw failure(1, "unexpected '\(String(base.dropFirst()))' after '*' in '\(String(element))'")
            }
            return (kind.bounds.lowerBound, stepped ? kind.stepEnd : kind.bounds.upperBound)
        }
        guard let dash = base.firstIndex(of: "-") else {
            let low = try value(base, kind: kind) { message in failure(0, message) }
            return (low, stepped ? max(low, kind.stepEnd) : low)
        }
        let lowText = base[..<dash]
        let highText = base[base.index(after: dash)...]
        let highOffset = dash + 1 - element.startIndex
        guard !lowText.isEmpty else {
            throw failure(0, "range '\(String(base))' has no start (negative numbers are not allowed)")
        }
        guard !highText.isEmpty else {
            throw failure(highOffset, "range '\(String(base))' has no end")
        }
        if highText.contains("-") {
            throw failure(0, "'\(String(base))' is not a range: use one '-'")
        }
        let low = try value(lowText, kind: kind) { message in failure(0, message) }
        var high = try value(highText, kind: kind) { message in failure(highOffset, message) }
        // `FRI-SUN` reads as Friday through Sunday; with SUN as 0 it would
        // be reversed, so a named Sunday that ends a range is the alias 7.
        if kind == .dayOfWeek, high == 0, low > 0, highText.first?.isLetter == true {
            high = 7
        }
        guard low <= high else {
            throw failure(
                0, "range \(String(base)) is reversed: the start is after the end (a range cannot wrap around)")
        }
        return (low, high)
    }

    /// A number or (for month and day-of-week) a three-letter name, checked
    /// against the field's bounds.
    private static func value(
        _ text: ArraySlice<Character>, kind: Kind, failure: (String) -> CronError
    ) throws(CronError) -> Int {
        let written = String(text)
        if let number = decimal(text) {
            guard kind.bounds.contains(number) else {
                throw failure("\(written) is out of range \(kind.bounds.lowerBound)-\(kind.bounds.upperBound)")
            }
            return number
        }
        let names = kind.names
        guard !names.isEmpty else {
            throw failure("'\(written)' is not a number")
        }
        guard let index = names.firstIndex(of: written.uppercased()) else {
            let expected =
                "\(names[0])-\(names[names.count - 1]) or \(kind.bounds.lowerBound)-\(kind.bounds.upperBound)"
            throw failure("unknown \(kind == .month ? "month" : "day") name '\(written)' (expected \(expected))")
        }
        return index + (kind == .month ? 1 : 0)
    }

    /// ASCII digits only; saturates instead of overflowing, since any value
    /// that large is out of range (or, as a step, the same as a huge step).
    private static func decimal(_ text: ArraySlice<Character>) -> Int? {
        guard !text.isEmpty else { return nil }
        var result = 0
        for character in text {
            guard let ascii = character.asciiValue, (48...57).contains(ascii) else { return nil }
            result = min(result * 10 + Int(ascii - 48), 1_000_000)
        }
        return result
    }
}
