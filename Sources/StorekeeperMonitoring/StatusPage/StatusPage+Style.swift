extension StatusPage {
    /// The page's only styling, inline: system fonts, tables that read at a
    /// glance, status colours that also differ in words.
    static let style = """
        body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#17202a;background:#fbfcfc}
        h1{font-size:20px;margin:0}h2{font-size:16px;margin:24px 0 8px}
        .muted{color:#707b7c}.ok{color:#1e8449}
        .problems{border-left:4px solid #c0392b;padding:4px 12px;background:#fdedec}
        table{border-collapse:collapse;background:#fff}th,td{padding:4px 10px;border-bottom:1px solid #e5e8e8;text-align:left}
        td[data-value]{font-variant-numeric:tabular-nums}
        tr.failed td{color:#c0392b}tr.interrupted td{color:#b9770e}
        .bar{vertical-align:middle}.percent{margin-left:4px}td.quota-used,td[data-value]{white-space:nowrap}
        .axis{font-size:11px;fill:#707b7c}
        .legend{margin-right:14px;white-space:nowrap}.swatch{display:inline-block;width:10px;height:10px;margin-right:4px}
        figure{margin:0}
        """
}
