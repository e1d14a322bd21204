import StorekeeperSystem

/// A category's bytes on disk against its quota, as a small inline SVG bar
/// with a mark at 90 %, where eviction stops. Over quota, the bar is full and
/// red; without a quota, the page says so in words.
struct QuotaBar {
    let allocated: Int64
    let quota: Int64?
    static let width = 160
    static let height = 14
    static let evictionMark = 0.9

    var fraction: Double? {
        guard let quota, quota > 0 else { return nil }
        return Double(allocated) / Double(quota)
    }

    var html: String {
        guard let fraction else { return "<span class=\"muted\">no quota</span>" }
        let filled = Int((min(fraction, 1) * Double(Self.width)).rounded())
        let mark = Int(Self.evictionMark * Double(Self.width))
        let color = fraction > 1 ? "#c0392b" : fraction >= Self.evictionMark ? "#e67e22" : "#2e86c1"
        let percent = Formatting.fixed(fraction * 100, digits: 1) + " %"
        return """
            <svg class="bar" width="\(Self.width)" height="\(Self.height)" role="img" aria-label="\(percent) of the quota">\
            <rect width="\(Self.width)" height="\(Self.height)" fill="#e5e8e8"/>\
            <rect width="\(filled)" height="\(Self.height)" fill="\(color)"/>\
            <line x1="\(mark)" x2="\(mark)" y1="0" y2="\(Self.height)" stroke="#17202a" stroke-dasharray="2,2"/>\
            </svg> <span class="percent" data-value="\(Formatting.fixed(fraction * 100, digits: 3))">\(percent)</span>
            """
    }
}
