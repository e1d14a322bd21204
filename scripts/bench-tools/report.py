#!/usr/bin/env python3
"""report: turns scripts/bench's measurements into one Markdown table and a JSON file.

    report.py RESULTS.tsv OUT.md OUT.json

RESULTS.tsv, one record a line, tab-separated:
    m NAME V1 V2 ...   a measurement: the value of each run (seconds unless the name says
                       otherwise: *_kb kilobytes, *_bytes bytes, *rate / alone / writer per second,
                       *count / overflows plain numbers); reported as median (min–max)
    t NAME TEXT        a fact or a check, shown as it is
Sections that were not run have no records; their rows are left out.
"""
import json
import statistics
import sys

records, texts, order = {}, {}, []


def load(path):
    with open(path) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t", 2)
            if len(parts) < 3:
                continue
            kind, name, rest = parts
            if kind == "m":
                values = [float(v) for v in rest.split()]
                if values:
                    records[name] = values
                    order.append(name)
            elif kind == "t":
                texts[name] = rest


def has(*names):
    return all(n in records for n in names)


def med(name):
    return statistics.median(records[name])


def summary(name):
    v = records[name]
    return {"median": statistics.median(v), "min": min(v), "max": max(v), "runs": v}


def secs(x, unit=None):
    """A time in the unit that reads best (or in `unit`: "ms" or "s")."""
    unit = unit or ("ms" if x < 0.1 else "s")
    if unit == "ms":
        return f"{x * 1000:.{2 if x < 0.01 else 1}f} ms"
    return f"{x:.3f} s" if x < 10 else f"{x:.2f} s"


def plain(x, digits=0):
    return f"{x:,.{digits}f}"


def spread(name, fmt=None):
    """median (min–max) of a measurement; times in the median's unit."""
    v = records[name]
    m = statistics.median(v)
    if fmt is None:
        unit = "ms" if m < 0.1 else "s"
        f = lambda x: secs(x, unit)
        lo, hi = f(min(v)).split()[0], f(max(v))
    else:
        lo, hi = fmt(min(v)), fmt(max(v))
        f = fmt
    if len(v) == 1:
        return f"{f(m)} (1 run)"
    return f"{f(m)} ({lo}–{hi})"


def mib(kb):
    return f"{kb / 1024:.1f} MiB"


def times(x):
    if x >= 100:
        return f"{x:,.0f}×"
    return f"{x:.1f}×" if x >= 10 else f"{x:.2f}×"


rows, targets = [], []


def row(section, what, ours="", base="", ratio="", target="", met=None):
    rows.append([section, what, ours, base, ratio, target, met])


def target(name, value, op, threshold, unit=""):
    met = value >= threshold if op == ">=" else value <= threshold if op == "<=" else value < threshold
    targets.append({"target": name, "value": round(value, 6), "op": op, "threshold": threshold,
                    "unit": unit, "met": met})
    return met


def build():
    files = texts.get("meta.files", "?")
    # ------------------------------------------------------------ 1. stats
    if has("stats.ours"):
        n = texts.get("stats.indexed", files)
        s = "1 stats"
        if has("stats.du"):
            r = med("stats.du") / med("stats.ours")
            met = target("stats ≥ 1000× faster than du -sb (warm)", r, ">=", 1000, "×")
            row(s, f"`storekeeper stats --json` vs `du -sb` of the 5 category folders, warm ({n} files)",
                spread("stats.ours"), spread("stats.du"), f"du ÷ ours = {times(r)}", "≥ 1000×", met)
        if has("stats.find"):
            r = med("stats.find") / med("stats.ours")
            row(s, "… vs `find -printf '%P\\t%s\\n' | awk` (sum per category), warm", spread("stats.ours"),
                spread("stats.find"), f"find ÷ ours = {times(r)}")
        if has("stats.python"):
            r = med("stats.python") / med("stats.ours")
            met = target("stats ≥ 5000× faster than the original Python design (warm)", r, ">=", 5000, "×")
            row(s, "… vs the original Python design (`rglob('*')`, `is_file()`, `stat().st_size`), warm",
                spread("stats.ours"), spread("stats.python"), f"Python ÷ ours = {times(r)}", "≥ 5000×", met)
        if has("stats.ours_cold", "stats.du_cold"):
            r = med("stats.du_cold") / med("stats.ours_cold")
            row(s, "… vs `du -sb`, cold (caches dropped before each run)", spread("stats.ours_cold"),
                spread("stats.du_cold"), f"du ÷ ours = {times(r)}")
        if has("stats.version"):
            r = med("stats.ours") / med("stats.version")
            met = target("stats --json within 1.2× of the process floor (storekeeper --version)", r, "<=", 1.2, "×")
            row(s, "`stats --json` vs the process floor: `storekeeper --version` (start and exit, no work)",
                spread("stats.ours"), spread("stats.version"),
                f"stats ÷ floor = {times(r)} (stats − floor = {secs(med('stats.ours') - med('stats.version'))})",
                "≤ 1.2×", met)
        if has("stats.sqlite"):
            row(s, "… the `sqlite3` CLI reading the same `usage` rows", spread("stats.sqlite"))
        if has("stats.version", "stats.sqlite_version"):
            r = med("stats.version") / med("stats.sqlite_version")
            met = target("storekeeper --version within 1.1× of sqlite3 --version", r, "<=", 1.1, "×")
            row(s, "process start: `storekeeper --version` vs `sqlite3 --version`", spread("stats.version"),
                spread("stats.sqlite_version"), f"ours ÷ sqlite3 = {times(r)}", "≤ 1.1×", met)
        if "stats.check" in texts:
            row(s, "check", texts["stats.check"])
    # ------------------------------------------------------------ 2. clean
    sizes = texts.get("clean.sizes", "").split()
    for p in sizes:
        k = f"clean.{p}"
        if not has(f"{k}.ours"):
            continue
        e = int(texts[f"{k}.expired"])
        s = f"2 clean {p} %"
        label = f"{plain(e)} expired of {files} ({p} %)"
        ours = med(f"{k}.ours")
        if has(f"{k}.unlink"):
            r = ours / med(f"{k}.unlink")
            met = target(f"clean within 1.3× of the unlink floor ({p} % expired)", r, "<=", 1.3, "×")
            row(s, f"`storekeeper clean --no-scan` vs unlink(2) from a prepared list (the floor), {label}",
                spread(f"{k}.ours"), spread(f"{k}.unlink"), f"ours ÷ floor = {times(r)}", "≤ 1.3×", met)
        if has(f"{k}.find"):
            r = med(f"{k}.find") / ours
            if p == "1":
                met = target("clean ≥ 10× faster than find at 1 % expired", r, ">=", 10, "×")
                tgt = "≥ 10× (issue 4)"
            else:
                met, tgt = None, ""
            row(s, "… vs `find DIR -type f -mmin +N -delete` per category", spread(f"{k}.ours"),
                spread(f"{k}.find"), f"find ÷ ours = {times(r)}", tgt, met)
            if has(f"{k}.unlink"):
                r2 = med(f"{k}.find") / med(f"{k}.unlink")
                row(s, "… the most any cleaner could gain over find: find ÷ floor", "", "",
                    f"find ÷ floor = {times(r2)}")
        if has(f"{k}.tmpfiles"):
            r = med(f"{k}.tmpfiles") / ours
            row(s, "… vs `systemd-tmpfiles --clean` (`e DIR - - - m:AGE`)", spread(f"{k}.ours"),
                spread(f"{k}.tmpfiles"), f"tmpfiles ÷ ours = {times(r)}")
        if has(f"{k}.sel"):
            row(s, "selection: the cleaner's range query in `sqlite3 -readonly` (incl. process start)",
                spread(f"{k}.sel"))
        per = ours / e * 1e6
        floor = med(f"{k}.unlink") / e * 1e6 if has(f"{k}.unlink") else None
        row(s, "per expired file: ours / floor", f"{per:.1f} µs" + (f" / {floor:.1f} µs" if floor else "")
            + (f"; clean RSS {mib(med(k + '.rss_kb'))}" if has(k + ".rss_kb") else ""))
        if f"{k}.check" in texts:
            row(s, "check", texts[f"{k}.check"])
    if len(sizes) >= 2 and all(has(f"clean.{p}.ours") for p in sizes[:2]):
        a, b = sizes[0], sizes[1]
        ea, eb = int(texts[f"clean.{a}.expired"]), int(texts[f"clean.{b}.expired"])
        ra = med(f"clean.{a}.ours") / med(f"clean.{b}.ours")
        fl = ""
        if has(f"clean.{a}.unlink", f"clean.{b}.unlink"):
            fl = f"; the floor: {med(f'clean.{a}.unlink') / med(f'clean.{b}.unlink'):.2f}×"
        row("2 clean", f"flatness: time at {a} % ÷ time at {b} % ({plain(ea)} vs {plain(eb)} files removed)",
            f"{ra:.2f}× (ideal {ea / eb:.0f}× if cost followed only what is removed{fl})")
    # ------------------------------------------------------------ 3. ingest
    for w in ("1", "4"):
        k = f"ingest.w{w}"
        if not has(f"{k}.writer"):
            continue
        s = f"3 ingest ×{w}"
        who = "one writer" if w == "1" else "four writers in parallel"
        burst = texts.get(f"{k}.burst", "")
        if has(f"{k}.alone"):
            r = med(f"{k}.writer") / med(f"{k}.alone")
            goal = 0.85 if w == "1" else 0.9
            met = target(f"{who}: create rate with the daemon watching ≥ {goal} of nothing watching", r, ">=", goal)
            row(s, f"{burst}: {who}, files/s with the daemon watching vs nothing watching",
                spread(f"{k}.writer", plain), spread(f"{k}.alone", plain), f"with ÷ without = {r:.2f}",
                f"≥ {goal}", met)
        if has(f"{k}.cpu"):
            n_burst = float(texts.get(f"{k}.burst_files", "0") or 0)
            if n_burst:
                per = med(f"{k}.cpu") / n_burst * 1e6
                met = target(f"daemon CPU per indexed file ≤ 10 µs ({who})", per, "<=", 10, "µs")
                row(s, "daemon CPU (user + system) per indexed file, burst and catch-up", f"{per:.1f} µs",
                    f"{spread(f'{k}.cpu')} for {plain(n_burst)} files", "", "≤ 10 µs", met)
        if has(f"{k}.read_rate"):
            row(s, "events/s read by the daemon during the burst (health.json `events_read`)",
                spread(f"{k}.read_rate", plain), f"events written: {spread(f'{k}.events_rate', plain)}/s"
                if has(f"{k}.events_rate") else "")
        if has(f"{k}.latency"):
            m = max(records[f"{k}.latency"])
            met = target(f"index matches within 50 ms of the burst's end ({who}, every run)", m, "<=", 0.05, "s")
            row(s, "writer end → index matches (files and bytes of the category)", spread(f"{k}.latency"),
                f"files not yet indexed at writer end: {spread(f'{k}.backlog', plain)}" if has(f"{k}.backlog") else "",
                f"worst run {secs(m)}", "≤ 50 ms every run", met)
        if has(f"{k}.overflows"):
            m = max(records[f"{k}.overflows"])
            met = target(f"no overflow ({who})", m, "<=", 0)
            row(s, "overflows (health.json), all runs", " ".join(plain(v) for v in records[f"{k}.overflows"]),
                "", "", "0", met)
        if has(f"{k}.verify"):
            row(s, "`verify` after the burst, daemon running: exit 0, time", spread(f"{k}.verify"),
                f"daemon CPU burst + catch-up {spread(f'{k}.cpu')}; VmHWM {mib(med(f'{k}.hwm_kb'))}"
                if has(f"{k}.cpu", f"{k}.hwm_kb") else "")
    # ------------------------------------------------------------ 4. scan
    if has("scan.first"):
        s = "4 scan"
        n = texts.get("scan.indexed", files)
        r = med("scan.first") / med("scan.find") if has("scan.find") else None
        # 5.5 s per million files (the 1M goal), and at most 3× the walk find does anyway.
        count = float(str(n).replace(",", "") or 0) or float(files)
        budget = 5.5 * count / 1e6
        met = target("first scan into an empty index ≤ 5.5 s per million files (warm)", med("scan.first"), "<=",
                     round(budget, 3), "s")
        if r is not None:
            met = target("first scan within 3× of a find walk (warm)", r, "<=", 3, "×") and met
        row(s, f"first scan into an empty index, warm ({n} files) vs a bare `find -printf '%s %T@ %p'` walk",
            spread("scan.first") + (f", peak RSS {mib(max(records['scan.first_rss_kb']))}" if has("scan.first_rss_kb") else ""),
            spread("scan.find") if r else "", f"ours ÷ find = {times(r)}" if r else "",
            f"≤ {secs(budget)}, ≤ 3×", met)
        if has("scan.first_cold", "scan.find_cold"):
            r = med("scan.first_cold") / med("scan.find_cold")
            row(s, "first scan, cold (caches dropped before each run)", spread("scan.first_cold"),
                spread("scan.find_cold"), f"ours ÷ find = {times(r)}")
        if has("scan.reconcile", "scan.find"):
            r = med("scan.reconcile") / med("scan.find")
            met = target("reconcile of an unchanged tree within 2× of a find walk (warm)", r, "<=", 2, "×")
            row(s, "reconcile of the unchanged tree (`scan`), warm", spread("scan.reconcile"), spread("scan.find"),
                f"ours ÷ find = {times(r)}", "≤ 2×", met)
        if has("scan.reconcile_cold", "scan.find_cold"):
            r = med("scan.reconcile_cold") / med("scan.find_cold")
            met = target("reconcile of an unchanged tree within 2× of a find walk (cold)", r, "<=", 2, "×")
            row(s, "reconcile of the unchanged tree, cold", spread("scan.reconcile_cold"), spread("scan.find_cold"),
                f"ours ÷ find = {times(r)}", "≤ 2×", met)
        if "scan.generate" in texts:
            row(s, "the tree (not compared)", texts["scan.generate"])
        if has("scan.verify"):
            r = med("scan.verify") / med("scan.find") if has("scan.find") else None
            row(s, "`verify` (walk and compare, writes nothing), warm", spread("scan.verify"),
                spread("scan.find") if r else "", f"ours ÷ find = {times(r)}" if r else "")
        for key in ("scan.reconcile_check", "scan.mutation_check"):
            if key in texts:
                row(s, "check", texts[key])
    # ------------------------------------------------------------ 5. rss and index size
    if has("rss.warm_hwm_kb") or has("scan.index_bytes"):
        s = "5 RSS, index"
        n = texts.get("rss.indexed", files)
        if has("rss.warm_hwm_kb"):
            kb = med("rss.warm_hwm_kb")
            met = target("daemon RSS < 64 MiB with N files indexed (after startup)", kb / 1024, "<", 64, "MiB")
            row(s, f"daemon peak RSS (VmHWM) after starting on {n} indexed files (warm start; startup "
                f"reconcile {spread('rss.warm_reconcile')})", mib(kb), "", "", "< 64 MiB", met)
        if has("rss.warm_reconcile", "scan.find"):
            r = med("rss.warm_reconcile") / med("scan.find")
            met = target("the daemon's startup reconcile within 1.2× of a find walk (warm)", r, "<=", 1.2, "×")
            row(s, "… its startup reconcile (warm) vs a bare find walk", spread("rss.warm_reconcile"),
                spread("scan.find"), f"ours ÷ find = {times(r)}", "≤ 1.2×", met)
        if has("rss.cold_hwm_kb"):
            row(s, "… cold start (caches dropped): VmHWM, startup reconcile", mib(med("rss.cold_hwm_kb")),
                spread("rss.cold_reconcile"))
        if has("rss.burst_hwm_kb"):
            kb = med("rss.burst_hwm_kb")
            met = target("daemon RSS < 64 MiB after a burst on top of N files", kb / 1024, "<", 64, "MiB")
            row(s, f"… after a further burst into that tree ({texts.get('rss.burst', '')}): VmHWM; writer end → "
                f"index matches {spread('rss.burst_latency')}, overflows {plain(med('rss.burst_overflows'))}",
                mib(kb), "", "", "< 64 MiB", met)
        if has("scan.index_bytes"):
            b = med("scan.index_bytes")
            per = b / float(texts.get("scan.indexed", files).replace(",", "") or 1)
            row(s, "index on disk (index.db + wal) after the first scan", f"{b / 1e6:.1f} MB ({per:.0f} B/file)")


def markdown():
    out = []
    for k in ("meta.title",):
        if k in texts:
            out.append(f"# {texts[k]}")
            out.append("")
    for k in sorted(t for t in texts if t.startswith("meta.") and t != "meta.title"):
        out.append(f"- {k[5:]}: {texts[k]}")
    out.append("")
    out.append("| § | measurement | storekeeper | baseline | ratio | target | |")
    out.append("|---|---|---|---|---|---|---|")
    for section, what, ours, base, ratio, tgt, met in rows:
        mark = "" if met is None else ("met" if met else "**missed**")
        cells = [c.replace("|", "\\|") for c in (section, what, ours, base, ratio, tgt, mark)]
        out.append("| " + " | ".join(cells) + " |")
    out.append("")
    met = sum(t["met"] for t in targets)
    out.append(f"Targets: {met} of {len(targets)} met"
               + ("" if met == len(targets) else "; missed: " + "; ".join(t["target"] for t in targets if not t["met"]))
               + ".")
    return "\n".join(out) + "\n"


def main():
    load(sys.argv[1])
    build()
    with open(sys.argv[2], "w") as f:
        f.write(markdown())
    doc = {
        "meta": {k[5:]: v for k, v in texts.items() if k.startswith("meta.")},
        "facts": {k: v for k, v in texts.items() if not k.startswith("meta.")},
        "measurements": {n: summary(n) for n in order},
        "targets": targets,
        "table": [dict(zip(("section", "measurement", "storekeeper", "baseline", "ratio", "target", "met"), r))
                  for r in rows],
    }
    with open(sys.argv[3], "w") as f:
        json.dump(doc, f, indent=1, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
