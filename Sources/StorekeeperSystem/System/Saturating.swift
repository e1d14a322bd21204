/// Byte counts come from `lstat` and `statvfs`, which anyone who can write
/// into the tree controls: two sparse files of 2^62 bytes sum past Int64, and
/// Swift's `+` traps on that, killing the daemon. Sums of sizes saturate at
/// the bounds instead; a saturated total reads as 2^63-1 bytes.
extension Int64 {
    public func addingSaturating(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        guard overflow else { return sum }
        return other > 0 ? .max : .min
    }

    public func subtractingSaturating(_ other: Int64) -> Int64 {
        let (difference, overflow) = subtractingReportingOverflow(other)
        guard overflow else { return difference }
        return other > 0 ? .min : .max
    }

    public func multipliedSaturating(by other: Int64) -> Int64 {
        let (product, overflow) = multipliedReportingOverflow(by: other)
        guard overflow else { return product }
        return (self < 0) == (other < 0) ? .max : .min
    }

    /// Rounds toward zero like `Int64(_:)`, which traps outside the range;
    /// this clamps to the bounds instead, and takes NaN as 0.
    public init(saturating value: Double) {
        if value.isNaN {
            self = 0
        } else if value >= 9_223_372_036_854_775_808.0 {
            self = .max
        } else if value < -9_223_372_036_854_775_808.0 {
            self = .min
        } else {
            self = Int64(value)
        }
    }
}

extension Sequence {
    /// The sum of `value` over the elements, saturating like `addingSaturating`.
    public func saturatingSum(_ value: (Element) throws -> Int64) rethrows -> Int64 {
        try reduce(0) { $0.addingSaturating(try value($1)) }
    }
}
