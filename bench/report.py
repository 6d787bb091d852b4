#!/usr/bin/env python3
"""Turns one bench run's raw records (OUT/records.jsonl, OUT/meta.json, OUT/sse/, OUT/ts/) into the summary
printed at the end of bench/run and into bench/RESULTS.md.

    report.py OUT_DIR [--results bench/RESULTS.md]

Aggregation: every figure is first computed per round and leg; the table shows the median over rounds of each
leg, and "added" / "ratio" is computed from those two medians (via - direct, via / direct).
"""
import argparse
import hashlib
import json
import os
import statistics
import sys

TARGETS = {
    "lat_p99_added": ("≤ 150 µs", lambda v: v <= 150),
    "thr_c16_d20_ratio": ("≥ 95 %", lambda v: v >= 0.95),
    "sse_chunk_p99_added": ("≤ 10 µs", lambda v: v <= 10),
    "rss_1000_streams": ("< 100 MB", lambda v: v < 100 * 1024),
}


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def pct(sorted_xs, p):
    if not sorted_xs:
        return None
    i = int(round(p / 100.0 * (len(sorted_xs) - 1)))
    return sorted_xs[i]


def verdict(key, value):
    if value is None:
        return "n/a"
    label, ok = TARGETS[key]
    return f"{label} {'✅' if ok(value) else '❌'}"


def fmt_us(v, signed=False):
    if v is None:
        return "n/a"
    return f"{v:+.1f} µs" if signed else f"{v:.1f} µs"


def fmt_mb(kb):
    return "n/a" if kb is None else f"{kb / 1024:.1f} MB"


def load_records(out):
    recs = []
    with open(os.path.join(out, "records.jsonl")) as f:
        for line in f:
            line = line.strip()
            if line:
                recs.append(json.loads(line))
    return recs


def sse_analysis(out, rec):
    """per-stream figures from the client's event arrivals and the upstream's send times"""
    sid = rec["id"]
    res = rec["result"]
    ts_path = os.path.join(out, "ts", sid + ".ts")
    body_path = os.path.join(out, "sse", sid + ".body")
    sends = []
    if os.path.exists(ts_path):
        with open(ts_path) as f:
            sends = [int(x) for x in f.read().split()]
    arrivals = {idx: t for idx, t in res.get("events", []) if idx >= 0}
    delays = []  # one-way delay of events 1..N-1 (event 0 is the time-to-first-chunk case)
    for i in range(1, len(sends)):
        if i in arrivals:
            delays.append((arrivals[i] - sends[i]) / 1000.0)
    first = arrivals.get(0)
    with open(body_path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    return {
        "status": res.get("status"), "complete": res.get("complete"),
        "events": len(arrivals), "expected": rec.get("chunks"),
        "ttfc_us": (first - res["t_send_ns"]) / 1000.0 if first else None,
        "first_oneway_us": (first - sends[0]) / 1000.0 if first and sends else None,
        "delays": sorted(delays), "sha256": digest, "bytes": res.get("bytes"),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--results", default=None)
    args = ap.parse_args()
    out = args.out
    meta = json.load(open(os.path.join(out, "meta.json")))
    recs = load_records(out)
    via_name = meta.get("via_name", "Chorus")

    # ---- chat latency at c=1 and throughput ---------------------------------------------------------------
    by = {}
    for r in recs:
        if r["kind"] in ("lat", "thr"):
            by.setdefault((r["scenario"], r["leg"]), []).append(r)

    def leg_med(scen, leg, field):
        return med([r["result"].get(field) for r in by.get((scen, leg), [])])

    lines = []
    summary = {}
    lat = "lat_c1_d0"
    lat_rows = []
    for label, field in (("p50", "lat_p50_us"), ("p90", "lat_p90_us"), ("p99", "lat_p99_us"), ("p99.9", "lat_p999_us")):
        d, v = leg_med(lat, "direct", field), leg_med(lat, "via", field)
        added = v - d if d is not None and v is not None else None
        summary[f"lat_{label}_added"] = added
        tgt = verdict("lat_p99_added", added) if label == "p99" else ""
        lat_rows.append(f"| {label} | {fmt_us(d)} | {fmt_us(v)} | **{fmt_us(added, True)}** | {tgt} |")

    thr_rows = []
    thr_scen = [("thr_c16_d20", 16, 20), ("thr_c64_d20", 64, 20), ("thr_c16_d0", 16, 0), ("thr_c64_d0", 64, 0)]
    for scen, c, delay in thr_scen:
        def rps(leg):
            return med([r["result"]["requests"] / (r["result"]["duration_us"] / 1e6) for r in by.get((scen, leg), [])])
        d, v = rps("direct"), rps("via")
        ratio = v / d if d and v is not None else None
        summary[f"{scen}_ratio"] = ratio
        dp99, vp99 = leg_med(scen, "direct", "lat_p99_us"), leg_med(scen, "via", "lat_p99_us")
        errs = sum(r["result"].get("err_connect", 0) + r["result"].get("err_read", 0) + r["result"].get("err_write", 0)
                   + r["result"].get("err_timeout", 0) + r["result"].get("err_status", 0)
                   for r in by.get((scen, "via"), []) + by.get((scen, "direct"), []))
        tgt = verdict("thr_c16_d20_ratio", ratio) if scen == "thr_c16_d20" else ""
        thr_rows.append(
            f"| {c} | {delay} ms | {d:,.0f} | {v:,.0f} | **{ratio * 100:.1f} %** | {tgt} | "
            f"{dp99 / 1000:.2f} / {vp99 / 1000:.2f} ms | {errs} |"
            if d and v is not None else f"| {c} | {delay} ms | n/a | n/a | n/a | | | |")

    # CPU per request (from /proc/PID/stat deltas recorded around every via run)
    cpu_rows = []
    for scen, label in [(lat, "c=1, 0 ms")] + [(s, f"c={c}, {dl} ms") for s, c, dl in thr_scen]:
        per = []
        up_direct, up_via = [], []
        for r in by.get((scen, "via"), []):
            n = r["result"]["requests"]
            if n and r.get("via_cpu_s") is not None:
                per.append(r["via_cpu_s"] / n * 1e6)
            if n and r.get("up_cpu_s") is not None:
                up_via.append(r["up_cpu_s"] / n * 1e6)
        for r in by.get((scen, "direct"), []):
            n = r["result"]["requests"]
            if n and r.get("up_cpu_s") is not None:
                up_direct.append(r["up_cpu_s"] / n * 1e6)
        if per:
            cpu_rows.append(f"| {label} | {med(per):.1f} µs | {med(up_direct):.1f} / {med(up_via):.1f} µs |")

    # ---- SSE -----------------------------------------------------------------------------------------------
    sse = {"direct": [], "via": []}
    for r in recs:
        if r["kind"] == "sse":
            a = sse_analysis(out, r)
            a["round"] = r["round"]
            sse[r["leg"]].append(a)
    sse_rows = []
    sse_ok = all(a["status"] == 200 and a["complete"] and a["events"] == a["expected"] for leg in sse for a in sse[leg])
    hashes = {leg: sorted({a["sha256"] for a in sse[leg]}) for leg in sse}
    same = bool(hashes["direct"]) and hashes["direct"] == hashes["via"] and len(hashes["direct"]) == 1
    summary["sse_sha256_identical"] = same

    def sse_round_med(leg, fn):
        rounds = {}
        for a in sse[leg]:
            rounds.setdefault(a["round"], []).append(a)
        return med([fn(sorted(x for a in group for x in a["delays"]), group) for group in rounds.values()])

    ttfc = {leg: med([a["ttfc_us"] for a in sse[leg]]) for leg in sse}
    chunk = {}
    for leg in sse:
        chunk[(leg, 50)] = sse_round_med(leg, lambda ds, g: pct(ds, 50))
        chunk[(leg, 99)] = sse_round_med(leg, lambda ds, g: pct(ds, 99))
        pooled = sorted(x for a in sse[leg] for x in a["delays"])
        chunk[(leg, "p99pooled")] = pct(pooled, 99)
        chunk[(leg, "n")] = len(pooled)

    def added(a, b):
        return b - a if a is not None and b is not None else None

    summary["sse_ttfc_added"] = added(ttfc["direct"], ttfc["via"])
    summary["sse_chunk_p50_added"] = added(chunk[("direct", 50)], chunk[("via", 50)])
    summary["sse_chunk_p99_added"] = added(chunk[("direct", 99)], chunk[("via", 99)])
    sse_rows.append(f"| time to first chunk (median) | {fmt_us(ttfc['direct'])} | {fmt_us(ttfc['via'])} | "
                    f"**{fmt_us(summary['sse_ttfc_added'], True)}** | |")
    sse_rows.append(f"| per-chunk delay p50 | {fmt_us(chunk[('direct', 50)])} | {fmt_us(chunk[('via', 50)])} | "
                    f"**{fmt_us(summary['sse_chunk_p50_added'], True)}** | |")
    sse_rows.append(f"| per-chunk delay p99 | {fmt_us(chunk[('direct', 99)])} | {fmt_us(chunk[('via', 99)])} | "
                    f"**{fmt_us(summary['sse_chunk_p99_added'], True)}** | "
                    f"{verdict('sse_chunk_p99_added', summary['sse_chunk_p99_added'])} |")
    sse_rows.append(f"| per-chunk delay p99, all rounds pooled | {fmt_us(chunk[('direct', 'p99pooled')])} | "
                    f"{fmt_us(chunk[('via', 'p99pooled')])} | "
                    f"{fmt_us(added(chunk[('direct', 'p99pooled')], chunk[('via', 'p99pooled')]), True)} | |")

    # ---- memory --------------------------------------------------------------------------------------------
    mem = {r["what"]: r for r in recs if r["kind"] == "mem"}
    hold = next((r["result"] for r in recs if r["kind"] == "hold"), None)
    summary["rss_1000_streams"] = hold["rss_open_max_kb"] if hold and hold.get("opened") == hold.get("conns") else None
    def mrow(label, rec):
        rec = rec or {}
        return (f"| {label} | {fmt_mb(rec.get('rss_kb'))} | {fmt_mb(rec.get('anon_kb'))} | "
                f"{fmt_mb(rec.get('file_kb'))} | |")
    mem_rows = [mrow("idle, just started", mem.get("idle_start")),
                mrow("idle, after the chat and SSE rounds", mem.get("idle_after_rounds"))]
    if hold:
        mem_rows.append(f"| {hold['opened']} of {hold['conns']} SSE streams open (max over {hold['hold_seconds']} s) | "
                        f"**{fmt_mb(hold['rss_open_max_kb'])}** | {fmt_mb(hold.get('rss_anon_open_kb'))} | "
                        f"{fmt_mb(hold.get('rss_file_open_kb'))} | "
                        f"{verdict('rss_1000_streams', summary['rss_1000_streams'])} |")
        mem_rows.append(f"| peak (VmHWM) | {fmt_mb(hold['hwm_kb'])} | | | |")
        mem_rows.append(f"| {settle_label(hold)} | {fmt_mb(hold['rss_after_close_kb'])} | | | |")

    # ---- write ---------------------------------------------------------------------------------------------
    m = meta
    rounds = m["rounds"]
    md = []
    md.append("# Chorus benchmark results\n")
    md.append(f"Generated by `bench/run` on {m['date']}. Do not edit by hand: the next run rewrites this file. "
              "What each figure means: [README.md](README.md). Other benchmarks, with their own results files: "
              "audio transcoding ([AUDIO-RESULTS.md](AUDIO-RESULTS.md)), speech-to-text word error rate and large "
              "uploads ([stt/STT-RESULTS.md](stt/STT-RESULTS.md)).\n")
    md.append("```\n" + m["command"] + "\n```\n")
    md.append("| | |\n|---|---|")
    md.append(f"| machine | {m['nproc']} cores, {m['cpu']}, {m['mem']} RAM, kernel {m['kernel']} |")
    md.append(f"| commit | `{m['commit']}` (branch `{m['branch']}`){' + uncommitted changes' if m.get('dirty') else ''} |")
    md.append(f"| via leg | {m['via_desc']} |")
    md.append(f"| upstream | bench/upstream/mockup.c (C, epoll, 1 process) on 127.0.0.1 |")
    md.append(f"| rounds | {rounds} interleaved rounds (order direct→via, then via→direct, alternating), "
              f"{m['duration']} s per leg and scenario; medians of rounds |")
    md.append(f"| load average | {m['loadavg_start']} at start, {m['loadavg_end']} at end |")
    md.append(f"| wall time | {m['wall_s']:.0f} s |")
    if m.get("note"):
        md.append(f"| note | {m['note']} |")
    if m.get("warning"):
        md.append(f"\n> ⚠️ {m['warning']}\n")
    md.append("")
    md.append("## (a) Chat, non-streaming, small body\n")
    md.append("Added latency at concurrency 1, zero-delay upstream (closed loop, one keep-alive connection, "
              "`bench/client lat`, exact percentiles):\n")
    md.append(f"| percentile | direct | via {via_name} | added | target |\n|---|---|---|---|---|")
    md.extend(lat_rows)
    md.append("")
    md.append(f"Throughput (wrk, 1 thread, keep-alive), via {via_name} ÷ direct:\n")
    md.append(f"| connections | upstream delay | direct req/s | via req/s | ratio | target | p99 direct / via | errors |")
    md.append("|---|---|---|---|---|---|---|---|")
    md.extend(thr_rows)
    md.append("")
    if cpu_rows:
        md.append(f"Where the time goes: CPU time (user+sys) per request, from /proc/PID/stat around each run:\n")
        md.append(f"| run | {via_name} CPU per request | upstream CPU per request (direct / via) |\n|---|---|---|")
        md.extend(cpu_rows)
        md.append("")
    md.append(f"## (b) SSE: {m['sse_chunks']} chunks, {m['sse_interval_ms']} ms apart\n")
    n_streams = len(sse["direct"])
    md.append(f"{n_streams} streams per leg ({m['sse_streams']} per round), one at a time. Per-chunk delay = client arrival − "
              "upstream send time of the same event (both CLOCK_MONOTONIC), events 1…N−1; "
              f"{chunk[('direct', 'n')]} / {chunk[('via', 'n')]} samples (direct / via).\n")
    md.append(f"| figure | direct | via {via_name} | added | target |\n|---|---|---|---|---|")
    md.extend(sse_rows)
    md.append("")
    md.append(f"Bytes: {'✅ identical' if same else '❌ DIFFERENT'} — sha256 of the de-chunked body, direct "
              f"{', '.join(h[:16] for h in hashes['direct']) or 'n/a'} / via {', '.join(h[:16] for h in hashes['via']) or 'n/a'}"
              f"{'' if sse_ok else ' (some streams were incomplete or failed: see out/records.jsonl)'}.\n")
    md.append(f"## (d) Memory of the {via_name} process (VmRSS)\n")
    md.append("| state | RSS | anonymous | file-backed (binary, libraries) | target |\n|---|---|---|---|---|")
    md.extend(mem_rows)
    if hold:
        md.append("")
        md.append(f"All {hold['opened']} streams opened in {hold['open_seconds']} s; {hold['events_during_hold']} "
                  f"events arrived during the {hold['hold_seconds']} s hold (streams kept flowing); "
                  f"{hold['threads_open']} threads and {hold['fds_open']} fds while open"
                  f"{'; errors: ' + json.dumps(hold['errors']) if hold['errors'] else ''}.")
    md.append("")
    md.append("## Per-round values\n")
    md.append("| scenario | leg | " + " | ".join(f"r{i + 1}" for i in range(rounds)) + " |")
    md.append("|---|---|" + "---|" * rounds)
    for scen in [lat] + [s for s, _, _ in thr_scen]:
        for leg in ("direct", "via"):
            rs = sorted(by.get((scen, leg), []), key=lambda r: r["round"])
            if scen == lat:
                cells = [f"p50 {r['result']['lat_p50_us']:.0f} / p99 {r['result']['lat_p99_us']:.0f} µs" for r in rs]
            else:
                cells = [f"{r['result']['requests'] / (r['result']['duration_us'] / 1e6):,.0f}/s" for r in rs]
            md.append(f"| {scen} | {leg} | " + " | ".join(cells) + " |")
    for leg in ("direct", "via"):
        rounds_ = {}
        for a in sse[leg]:
            rounds_.setdefault(a["round"], []).append(a)
        cells = []
        for k in sorted(rounds_):
            ds = sorted(x for a in rounds_[k] for x in a["delays"])
            cells.append(f"p50 {pct(ds, 50):.0f} / p99 {pct(ds, 99):.0f} µs" if ds else "n/a")
        md.append(f"| sse per-chunk | {leg} | " + " | ".join(cells) + " |")
    md.append("")
    text = "\n".join(md) + "\n"
    if args.results:
        with open(args.results, "w") as f:
            f.write(text)

    # ---- console summary -----------------------------------------------------------------------------------
    def show(k, v):
        print(f"  {k:<38} {v}")
    print(f"\n== bench summary ({via_name} vs direct, median of {rounds} rounds) ==")
    show("chat c=1 added p50", fmt_us(summary["lat_p50_added"], True))
    show("chat c=1 added p99", f"{fmt_us(summary['lat_p99_added'], True)}   target {verdict('lat_p99_added', summary['lat_p99_added'])}")
    for scen, c, delay in thr_scen:
        v = summary[f"{scen}_ratio"]
        extra = f"   target {verdict('thr_c16_d20_ratio', v)}" if scen == "thr_c16_d20" else ""
        show(f"throughput c={c} upstream {delay} ms", ("n/a" if v is None else f"{v * 100:.1f} % of direct") + extra)
    show("sse added time to first chunk", fmt_us(summary["sse_ttfc_added"], True))
    show("sse added per-chunk p50", fmt_us(summary["sse_chunk_p50_added"], True))
    show("sse added per-chunk p99", f"{fmt_us(summary['sse_chunk_p99_added'], True)}   target "
         f"{verdict('sse_chunk_p99_added', summary['sse_chunk_p99_added'])}")
    show("sse bytes identical (sha256)", "yes" if same else "NO")
    show("rss idle", fmt_mb(mem.get("idle_start", {}).get("rss_kb")))
    if hold:
        show(f"rss with {hold['opened']}/{hold['conns']} streams open", f"{fmt_mb(hold['rss_open_max_kb'])}   target "
             f"{verdict('rss_1000_streams', summary['rss_1000_streams'])}")
    if args.results:
        print(f"\n  written: {args.results}")
    return 0


def settle_label(hold):
    return "after closing them all (+3 s)"


if __name__ == "__main__":
    sys.exit(main())
