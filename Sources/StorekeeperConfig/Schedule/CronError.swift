/// A cron expression that cannot be parsed.
///
/// `storekeeper check` prints `description` for a bad schedule, so it names
/// the expression, the field and the offending text in one line:
/// `cron '61 * * * *': minute: 61 is out of range 0-59`. The field and column
/// are kept as data too, for callers that point at the spot themselves.
public struct CronError: Error, Equatable, CustomStringConvertible {
    /// The expression exactly as it was given.
    public let expression: String
    /// `minute`, `hour`, `day-of-month`, `month` or `day-of-week`; nil when the
    /// expression as a whole is wrong (field count, unknown macro).
    public let field: String?
    /// The field's position among the five, 1 for minute to 5 for day-of-week.
    public let fieldNumber: Int?
    /// 1-based character column in `expression` where the fault starts.
    public let column: Int?
    public let message: String

    public init(expression: String, field: String?, fieldNumber: Int?, column: Int?, message: String) {
        self.expression = expression
        self.field = field
        self.fieldNumber = fieldNumber
        self.column = column
        self.message = message
    }

    /// `cron 'EXPRESSION': FIELD: MESSAGE`, leaving out the field when there is none.
    public var description: String {
        let location = field.map { "\($0): " } ?? ""
        return "cron '\(expression)': \(location)\(message)"
    }
}
