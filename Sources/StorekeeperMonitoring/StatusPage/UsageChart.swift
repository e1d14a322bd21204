import StorekeeperIndex
import StorekeeperSystem

/// Bytes per category over the last seven days, as an inline SVG line chart:
/// no script, no external asset, readable in any browser and in a screenshot.
public struct UsageChart {
    let history: UsageHistory
    let now: Int64
    public static let days: Int64 = 7
    static let width = 760.0
    static let height = 240.0
    static let left = 70.0
    static let bottom = 24.0
    static let palette = ["#2e86c1", "#e67e22", "#27ae60", "#8e44ad", "#c0392b", "#16a085", "#7f8c8d", "#d4ac0d"]

    var start: Int64 { now - Self.days * 86_400 }

    var svg: String {
        let series = history.series.map { ($0.category, $0.samples.filter { $0.at >= start && $0.at <= now }) }
        let top = max(1, series.flatMap { $0.1.map(\.bytes) }.max() ?? 1)
        guard series.contains(where: { !$0.1.isEmpty }) else {
            return "<p class=\"muted\" id=\"chart\">No usage history yet: the daemon samples it every few minutes.</p>"
        }
        var lines: [String] = []
        var legend: [String] = []
        for (index, (category, samples)) in series.enumerated() where !samples.isEmpty {
            let color = Self.palette[index % Self.palette.count]
            let points = samples.map { "\(format(x($0.at))),\(format(y($0.bytes, top: top)))" }.joined(separator: " ")
            lines.append("<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(points)\"/>")
            // The newest sample as a dot: a fresh daemon's single sample is visible too.
            if let last = samples.last {
                lines.append(
                    "<circle cx=\"\(format(x(last.at)))\" cy=\"\(format(y(last.bytes, top: top)))\" r=\"3\" fill=\"\(color)\"/>"
                )
            }
            legend.append(
                "<span class=\"legend\"><span class=\"swatch\" style=\"background:\(color)\"></span>"
                    + "\(HTMLText.escape(category)) \(Formatting.bytes(samples.last?.bytes ?? 0))</span>")
        }
        return """
            <figure id="chart"><svg width="\(Int(Self.width))" height="\(Int(Self.height))" role="img" \
            aria-label="Bytes per category over the last 7 days">
            \(axes(top: top))
            \(lines.joined(separator: "\n"))
            </svg><figcaption>\(legend.joined(separator: " "))</figcaption></figure>
            """
    }

    func x(_ at: Int64) -> Double {
        Self.left + Double(at - start) / Double(Self.days * 86_400) * (Self.width - Self.left - 10)
    }

    /// 12 points of room above the top line for its label.
    func y(_ bytes: Int64, top: Int64) -> Double {
        (Self.height - Self.bottom - 12) * (1 - Double(bytes) / Double(top)) + 12
    }

    func format(_ value: Double) -> String { Formatting.fixed(value, digits: 1) }

    /// Gridlines at a quarter, half, three quarters and the top, and one tick a day.
    func axes(top: Int64) -> String {
        var parts: [String] = []
        for quarter in 0...4 {
            let bytes = top * Int64(quarter) / 4
            let level = format(y(bytes, top: top))
            parts.append(
                "<line x1=\"\(Self.left)\" x2=\"\(Self.width - 10)\" y1=\"\(level)\" y2=\"\(level)\" stroke=\"#d5d8dc\"/>"
                    + "<text x=\"\(Self.left - 6)\" y=\"\(level)\" text-anchor=\"end\" class=\"axis\">\(Formatting.bytes(bytes))</text>"
            )
        }
        for day in 0...Self.days {
            let at = start + day * 86_400
            // The last label ends at the right edge instead of running past it.
            let anchor = day == Self.days ? "end" : "middle"
            parts.append(
                "<text x=\"\(format(x(at)))\" y=\"\(Self.height - 4)\" text-anchor=\"\(anchor)\" class=\"axis\">"
                    + "\(Formatting.shortTimestamp(at).prefix(10))</text>")
        }
        return parts.joined(separator: "\n")
    }
}
