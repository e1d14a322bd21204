#!/usr/bin/env python3
"""growth: how each measured operation grows with the tree, from scripts/bench's JSON files.

    growth.py bench-results/bench-100000.json bench-results/bench-1000000.json ... > growth.md

One column per file (ordered by tree size), one row per operation, and for each step the factor
it grew by against the factor the tree grew by. What a row should do is said in its label:
flat (stats), following what is removed (clean), following the tree (scan, reconcile, verify).
"""
import json
import sys


def load(path):
    with open(path) as f:
        doc = json.load(f)
    return int(doc["meta"]["files"]), doc


def median(doc, name):
    m = doc["measurements"].get(name)
    return m["median"] if m else None


def fact_int(doc, name):
    v = doc["facts"].get(name)
    return int(str(v).replace(",", "")) if v else None


def seconds(x):
    if x is None:
        return "–"
    return f"{x * 1000:.2f} ms" if x < 0.1 else f"{x:.3f} s" if x < 10 else f"{x:.1f} s"


def per_file(total, count):
    return None if total is None or not count else total / count


def micro(x):
    return "–" if x is None else f"{x * 1e6:.1f} µs"


def mib(kb):
    return "–" if kb is None else f"{kb / 1024:.1f} MiB"


def ratio(a, b):
    return None if a is None or not b else a / b


def times(x):
    return "–" if x is None else f"{x:.2f}×"


def rows(docs):
    """(label, [(value for the factor, shown text) per doc])"""
    out = []

    def add(label, values):
        out.append((label, values))

    def each(fn):
        return [fn(n, d) for n, d in docs]

    add("`stats --json` (should stay flat)", each(lambda n, d: (median(d, "stats.ours"), seconds(median(d, "stats.ours")))))
    add("process floor `--version`", each(lambda n, d: (median(d, "stats.version"), seconds(median(d, "stats.version")))))
    for p in ("10", "1"):
        k = f"clean.{p}"

        def clean(n, d, k=k):
            t, e = median(d, f"{k}.ours"), fact_int(d, f"{k}.expired")
            return (t, f"{seconds(t)} ({micro(per_file(t, e))}/file)" if t is not None else "–")

        def floor(n, d, k=k):
            t, u = median(d, f"{k}.ours"), median(d, f"{k}.unlink")
            return (ratio(t, u), times(ratio(t, u)))

        add(f"clean, {p} % expired (should follow what is removed)", each(clean))
        add(f"… ÷ the unlink floor ({p} %)", each(floor))
    add("first scan, warm (should follow the tree)", each(
        lambda n, d: (median(d, "scan.first"), f"{seconds(median(d, 'scan.first'))} "
                      f"({micro(per_file(median(d, 'scan.first'), n))}/file)")))
    add("… ÷ a find walk", each(lambda n, d: (ratio(median(d, "scan.first"), median(d, "scan.find")),
                                             times(ratio(median(d, "scan.first"), median(d, "scan.find"))))))
    add("reconcile of the unchanged tree, warm", each(
        lambda n, d: (median(d, "scan.reconcile"), seconds(median(d, "scan.reconcile")))))
    add("… ÷ a find walk", each(lambda n, d: (ratio(median(d, "scan.reconcile"), median(d, "scan.find")),
                                             times(ratio(median(d, "scan.reconcile"), median(d, "scan.find"))))))
    add("`verify`, warm", each(lambda n, d: (median(d, "scan.verify"), seconds(median(d, "scan.verify")))))
    add("a bare find walk, warm", each(lambda n, d: (median(d, "scan.find"), seconds(median(d, "scan.find")))))
    add("first scan, cold", each(lambda n, d: (median(d, "scan.first_cold"), seconds(median(d, "scan.first_cold")))))
    add("reconcile, cold", each(lambda n, d: (median(d, "scan.reconcile_cold"), seconds(median(d, "scan.reconcile_cold")))))
    add("daemon startup reconcile, warm", each(
        lambda n, d: (median(d, "rss.warm_reconcile"), seconds(median(d, "rss.warm_reconcile")))))
    add("… ÷ a find walk (goal ≤ 1.2×)", each(
        lambda n, d: (ratio(median(d, "rss.warm_reconcile"), median(d, "scan.find")),
                      times(ratio(median(d, "rss.warm_reconcile"), median(d, "scan.find"))))))
    add("daemon VmHWM after startup (goal ≤ 64 MiB)", each(
        lambda n, d: (median(d, "rss.warm_hwm_kb"), mib(median(d, "rss.warm_hwm_kb")))))
    add("daemon VmHWM after a 100k burst on top", each(
        lambda n, d: (median(d, "rss.burst_hwm_kb"), mib(median(d, "rss.burst_hwm_kb")))))
    add("first scan peak RSS", each(lambda n, d: (median(d, "scan.first_rss_kb"), mib(median(d, "scan.first_rss_kb")))))
    add("clean peak RSS (10 %)", each(lambda n, d: (median(d, "clean.10.rss_kb"), mib(median(d, "clean.10.rss_kb")))))

    def index_bytes(n, d):
        b = median(d, "scan.index_bytes")
        return (b, "–" if b is None else f"{b / 1e6:.0f} MB ({b / n:.0f} B/file)")

    add("index on disk after the first scan", each(index_bytes))
    return out


def main():
    docs = sorted((load(p) for p in sys.argv[1:]), key=lambda nd: nd[0])
    if not docs:
        sys.exit("usage: growth.py BENCH.json...")
    sizes = [n for n, _ in docs]
    head = ["operation"] + [f"{n:,} files" for n in sizes]
    steps = [f"×{b / a:g} files" for a, b in zip(sizes, sizes[1:])]
    print("| " + " | ".join(head + [f"grew {s}" for s in steps]) + " |")
    print("|" + "---|" * (len(head) + len(steps)))
    for label, values in rows(docs):
        growth = []
        for (a, _), (b, _) in zip(values, values[1:]):
            growth.append("–" if a is None or b is None or not a else f"{b / a:.2f}×")
        print("| " + " | ".join([label] + [text for _, text in values] + growth) + " |")
    print()
    for n, d in docs:
        m = d["meta"]
        print(f"- {n:,} files: {m.get('date', '?')}, {m.get('binary', '?')}")


if __name__ == "__main__":
    main()
