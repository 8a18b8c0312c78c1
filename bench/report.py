"""Turns the JSON lines of the Rust bench and the peers into a table with
ratios to the best peer, and appends it to bench/RESULTS.md when asked.

Usage: python bench/report.py RESULTS.jsonl [--write]
"""

import datetime
import json
import os
import platform
import sys
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))


def qps_at_recall(rows, target):
    """Best QPS among settings reaching `target` recall (None if none does)."""
    ok = [r["qps"] for r in rows if r["recall"] >= target]
    return max(ok) if ok else None


def main():
    rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip().startswith("{")]
    ours = lambda e: e.startswith("vectorizer")
    engines = sorted({r["engine"] for r in rows}, key=lambda e: (not ours(e), e))
    out = []
    meta_path = os.path.join(os.path.dirname(sys.argv[1]), "meta.json")
    meta = json.load(open(meta_path)) if os.path.exists(meta_path) else {}
    out.append(f"### {meta.get('name', 'dataset')}: {meta.get('n', '?')} x {meta.get('dim', '?')}, M=16, ef_construct=128")
    out.append("")
    out.append(f"- Date: {datetime.date.today()}; machine: {os.cpu_count()} cores, {platform.machine()}; command: `bench/run`")
    out.append("")
    out.append("| engine | threads | build s | QPS@R≥.95 q_def | QPS@R≥.95 q_ex | recall@10 ef=16/32/64/128 (q_def) | peak RSS MB |")
    out.append("|---|---|---|---|---|---|---|")
    best = defaultdict(lambda: None)
    table = {}
    for e in engines:
        mem = next((r for r in rows if r["engine"] == e and r["kind"] == "memory"), {})
        for t in (1, 2):
            build = next((r["seconds"] for r in rows if r["engine"] == e and r["kind"] == "build" and r["threads"] == t), None)
            s = lambda q: [r for r in rows if r["engine"] == e and r["kind"] == "search" and r["threads"] == t and r["queries"] == q and r["filter"] == "none"]
            qd, qx = qps_at_recall(s("q_def"), 0.95), qps_at_recall(s("q_ex"), 0.95)
            recalls = "/".join(f"{r['recall']:.3f}" for r in sorted(s("q_def"), key=lambda r: r["ef"]))
            if build is None and qd is None:
                continue
            table[(e, t)] = (build, qd, qx, recalls, mem.get("peak_rss_mb"))
            if not ours(e):
                for i, v in ((0, build), (1, qd), (2, qx)):
                    if v is not None:
                        cur = best[(t, i)]
                        best[(t, i)] = v if cur is None else (min(cur, v) if i == 0 else max(cur, v))
    fmt = lambda v, d=0: "–" if v is None else f"{v:,.{d}f}"
    for (e, t), (build, qd, qx, recalls, rss) in table.items():
        out.append(f"| {e} | {t} | {fmt(build, 1)} | {fmt(qd)} | {fmt(qx)} | {recalls} | {fmt(rss)} |")
    out.append("")
    for (e, t) in [k for k in table if ours(k[0])]:
        build, qd, qx, _, _ = table[(e, t)]
        parts = []
        if build and best[(t, 0)]:
            parts.append(f"build {best[(t, 0)] / build:.2f}x the best peer's speed")
        if qd and best[(t, 1)]:
            parts.append(f"q_def QPS {qd / best[(t, 1)]:.2f}x the best peer")
        if qx and best[(t, 2)]:
            parts.append(f"q_ex QPS {qx / best[(t, 2)]:.2f}x the best peer")
        out.append(f"- {e}, {t} thread(s): " + "; ".join(parts))
    filt = [r for r in rows if r["kind"] == "search" and r["filter"] != "none"]
    if filt:
        out.append("")
        out.append("| engine | filter | queries | ef | QPS | recall@10 |")
        out.append("|---|---|---|---|---|---|")
        for r in sorted(filt, key=lambda r: (r["filter"], r["queries"], r["engine"], r["ef"])):
            out.append(f"| {r['engine']} | {r['filter']} | {r['queries']} | {r['ef']} | {r['qps']:,.0f} | {r['recall']:.3f} |")
    scan = next((r for r in rows if r["kind"] == "scan"), None)
    if scan:
        out.append("")
        out.append(f"Exact scan (1 thread, all points): {scan['scan_qps']:,.0f} queries/s = {scan['scan_gb_s']:.1f} GB/s of vectors; "
                   f"sequential read bandwidth of this machine (1 thread): {scan['memory_gb_s']:.1f} GB/s "
                   f"({scan['scan_gb_s'] / scan['memory_gb_s']:.0%} of it).")
    wire = [r for r in rows if r["kind"] == "wire_search"]
    ingests = [r for r in rows if r["kind"] == "wire_ingest"]
    if wire:
        out.append("")
        out.append("Server level (REST and gRPC, qdrant-client `query_batch_points`, %d queries per request):" % wire[0]["batch"])
        for ingest in ingests:
            out.append(f"ingest {ingest['points']:,} points through {ingest.get('transport', 'rest')} until green: {ingest['seconds']:.1f} s ({ingest['segments']} segments)")
        out.append("")
        out.append("| transport | client threads | ef | queries/s | mean ms | p95 ms | p99 ms | recall@10 |")
        out.append("|---|---|---|---|---|---|---|---|")
        for r in wire:
            out.append(f"| {r['transport']} | {r['threads']} | {r['ef']} | {r['rps']:,.0f} | {r['mean_ms']:.2f} | {r['p95_ms']:.2f} | {r['p99_ms']:.2f} | {r['recall']:.3f} |")
    pre = {r["prefetches"]: r["rps"] for r in rows if r["kind"] == "wire_prefetch"}
    if len(pre) == 2:
        out.append("")
        out.append(f"Prefetch caching (REST, RRF over three prefetches, ef 64): three identical prefetches {pre['repeated']:,.0f} queries/s, "
                   f"three different ones {pre['distinct']:,.0f} queries/s ({pre['repeated'] / pre['distinct']:.1f}x: the repeated sub-query runs once).")
    text = "\n".join(out)
    print(text)
    if "--write" in sys.argv:
        with open(os.path.join(HERE, "RESULTS.md"), "a") as f:
            f.write("\n## Vector search (in-process)\n\n" + text + "\n")


if __name__ == "__main__":
    main()
