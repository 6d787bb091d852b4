#!/usr/bin/env python3
"""Turns one bench run's raw records (OUT/records.jsonl, OUT/meta.json, OUT/sse/, OUT/ts/) into the summary
printed at the end of bench/run and into bench/RESULTS.md.

    report.py OUT_DIR [--results bench/RESULTS.md]

Aggregation: every figure is first computed per round and leg; the table shows the median over rounds of each
leg, and "added" / "ratio" is computed from those two medians (via - direct, via / direct). Legs: "direct",
"via" (Chorus, or nginx with BENCH_VIA=nginx) and, when it ran, "litellm" (LiteLLM's proxy, chat scenarios only).
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
    """µs below 10 ms, ms above (LiteLLM's latencies are tens of ms)"""
    if v is None:
        return "n/a"
    if abs(v) >= 10000:
        return f"{v / 1000:+.1f} ms" if signed else f"{v / 1000:.1f} ms"
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
    ll_meta = meta.get("litellm") or {"on": False, "note": "not part of this run"}

    # ---- chat latency at c=1 and throughput ---------------------------------------------------------------
    by = {}
    for r in recs:
        if r["kind"] in ("lat", "thr"):
            by.setdefault((r["scenario"], r["leg"]), []).append(r)

    def leg_med(scen, leg, field):  # (a run that completed no request has no latency)
        return med([r["result"].get(field) for r in by.get((scen, leg), []) if r["result"].get("requests")])

    # the LiteLLM leg is shown when it has records (meta says why not otherwise)
    ll = any(leg == "litellm" for _, leg in by)
    ll_name = "LiteLLM"

    summary = {}
    lat = "lat_c1_d0"
    lat_rows = []
    for label, field in (("p50", "lat_p50_us"), ("p90", "lat_p90_us"), ("p99", "lat_p99_us"), ("p99.9", "lat_p999_us")):
        d, v, lv = leg_med(lat, "direct", field), leg_med(lat, "via", field), leg_med(lat, "litellm", field)
        added = v - d if d is not None and v is not None else None
        ll_added = lv - d if d is not None and lv is not None else None
        summary[f"lat_{label}_added"] = added
        summary[f"litellm_lat_{label}_added"] = ll_added
        tgt = verdict("lat_p99_added", added) if label == "p99" else ""
        ll_cells = f" {fmt_us(lv)} | **{fmt_us(ll_added, True)}** |" if ll else ""
        lat_rows.append(f"| {label} | {fmt_us(d)} | {fmt_us(v)} | **{fmt_us(added, True)}** |{ll_cells} {tgt} |")

    def errors(scen, leg):
        return sum(r["result"].get("err_connect", 0) + r["result"].get("err_read", 0) + r["result"].get("err_write", 0)
                   + r["result"].get("err_timeout", 0) + r["result"].get("err_status", 0) for r in by.get((scen, leg), []))

    def ms(v):
        return "n/a" if v is None else f"{v / 1000:.2f}"

    thr_rows = []
    lagged = []
    thr_scen = [("thr_c16_d20", 16, 20), ("thr_c64_d20", 64, 20), ("thr_c16_d0", 16, 0), ("thr_c64_d0", 64, 0)]
    for scen, c, delay in thr_scen:
        def rps(leg):
            return med([r["result"]["requests"] / (r["result"]["duration_us"] / 1e6) for r in by.get((scen, leg), [])])
        d, v, lv = rps("direct"), rps("via"), rps("litellm")
        ratio = v / d if d and v is not None else None
        ll_ratio = lv / d if d and lv is not None else None
        summary[f"{scen}_ratio"] = ratio
        summary[f"litellm_{scen}_ratio"] = ll_ratio
        p99s = [leg_med(scen, leg, "lat_p99_us") for leg in (["direct", "via", "litellm"] if ll else ["direct", "via"])]
        tgt = verdict("thr_c16_d20_ratio", ratio) if scen == "thr_c16_d20" else ""
        n0 = lambda x: "n/a" if x is None else f"{x:,.0f}"  # noqa: E731
        pc = lambda x: "n/a" if x is None else f"**{x * 100:.1f} %**"  # noqa: E731
        # wrk counts only the requests that completed within the run: when the mean latency is a large part of the
        # run (LiteLLM at c=64), the first ~mean-latency seconds count nothing and req/s is biased low
        lag = med([r["result"]["lat_mean_us"] / r["result"]["duration_us"] if r["result"].get("requests") else 1.0
                   for r in by.get((scen, "litellm"), [])])
        if lag is not None and lag > 0.1:
            lagged.append((c, delay, lag))
        ll_cells = f" {n0(lv)}{' †' if lag is not None and lag > 0.1 else ''} | {pc(ll_ratio)} |" if ll else ""
        errs = (f"{errors(scen, 'direct')} / {errors(scen, 'via')} / {errors(scen, 'litellm')}" if ll
                else f"{errors(scen, 'direct') + errors(scen, 'via')}")
        thr_rows.append(f"| {c} | {delay} ms | {n0(d)} | {n0(v)} | {pc(ratio)} |{ll_cells} {tgt} | "
                        f"{' / '.join(ms(x) for x in p99s)} ms | {errs} |")

    # CPU per request (from /proc/PID/stat deltas recorded around every run)
    cpu_rows = []
    for scen, label in [(lat, "c=1, 0 ms")] + [(s, f"c={c}, {dl} ms") for s, c, dl in thr_scen]:
        def per_req(leg, field):
            return med([r[field] / r["result"]["requests"] * 1e6 for r in by.get((scen, leg), [])
                        if r["result"]["requests"] and r.get(field) is not None])
        per, ll_per = per_req("via", "via_cpu_s"), per_req("litellm", "litellm_cpu_s")
        ups = [per_req(leg, "up_cpu_s") for leg in (["direct", "via", "litellm"] if ll else ["direct", "via"])]
        if per is not None:
            ll_cell = f" {fmt_us(ll_per)} |" if ll else ""
            cpu_rows.append(f"| {label} | {fmt_us(per)} |{ll_cell} {' / '.join('n/a' if u is None else f'{u:.1f}' for u in ups)} µs |")

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

    # ---- per-round values of the headline figures: the spread that "within noise" is measured against -------
    def by_round(scen, leg):
        return {r["round"]: r["result"] for r in by.get((scen, leg), []) if r["result"].get("requests")}

    spreads = {}
    for label, field in (("p50", "lat_p50_us"), ("p99", "lat_p99_us")):
        d, v = by_round(lat, "direct"), by_round(lat, "via")
        spreads[f"lat_{label}_added"] = [v[k][field] - d[k][field] for k in sorted(d) if k in v]
    for scen, _, _ in thr_scen:
        d, v = by_round(scen, "direct"), by_round(scen, "via")
        rate = lambda x: x["requests"] / (x["duration_us"] / 1e6)  # noqa: E731
        spreads[f"{scen}_ratio"] = [rate(v[k]) / rate(d[k]) for k in sorted(d) if k in v and rate(d[k])]
    sse_rounds = {leg: {} for leg in sse}
    for leg in sse:
        for a in sse[leg]:
            sse_rounds[leg].setdefault(a["round"], []).append(a)
    for key, fn in (("sse_ttfc_added", lambda g: med([a["ttfc_us"] for a in g])),
                    ("sse_chunk_p50_added", lambda g: pct(sorted(x for a in g for x in a["delays"]), 50)),
                    ("sse_chunk_p99_added", lambda g: pct(sorted(x for a in g for x in a["delays"]), 99))):
        d, v = sse_rounds["direct"], sse_rounds["via"]
        spreads[key] = [fn(v[k]) - fn(d[k]) for k in sorted(d) if k in v and fn(v[k]) is not None and fn(d[k]) is not None]

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
    ll_mem = [(label, mem[w]) for label, w in (("idle, after start and the answer check", "litellm_idle_start"),
                                               ("idle, after the chat rounds", "litellm_idle_after_rounds")) if w in mem]
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
    if ll:
        ll_dur = ll_meta.get("duration", m["duration"])
        md.append(f"| LiteLLM leg | LiteLLM {ll_meta.get('version')} proxy (`litellm[proxy]`, uvicorn + uvloop, "
                  f"{ll_meta.get('workers')} worker process{'es' if ll_meta.get('workers', 1) > 1 else ''}), same upstream "
                  "and master key, no database, no callbacks, no access log; chat scenarios only"
                  f"{f'; {ll_dur} s per run' if ll_dur != m['duration'] else ''} |")
    else:
        md.append(f"| LiteLLM leg | LiteLLM: {ll_meta.get('note') or 'not measured'} |")
    md.append(f"| upstream | bench/upstream/mockup.c (C, epoll, 1 process) on 127.0.0.1 |")
    order = "direct→via→litellm, then litellm→via→direct" if ll else "direct→via, then via→direct"
    md.append(f"| rounds | {rounds} interleaved rounds (order {order}, alternating), "
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
    if ll:
        md.append(f"| percentile | direct | via {via_name} | added | via {ll_name} | added | target |\n"
                  "|---|---|---|---|---|---|---|")
    else:
        md.append(f"| percentile | direct | via {via_name} | added | target |\n|---|---|---|---|---|")
    md.extend(lat_rows)
    md.append("")
    md.append(f"Throughput (wrk, 1 thread, keep-alive), via {via_name}{f' and via {ll_name}' if ll else ''} ÷ direct:\n")
    if ll:
        md.append(f"| connections | upstream delay | direct req/s | {via_name} req/s | ratio | {ll_name} req/s | ratio | "
                  f"target | p99 direct / {via_name} / {ll_name} | errors (direct / {via_name} / {ll_name}) |")
        md.append("|---|---|---|---|---|---|---|---|---|---|")
    else:
        md.append(f"| connections | upstream delay | direct req/s | via req/s | ratio | target | p99 direct / via | errors |")
        md.append("|---|---|---|---|---|---|---|---|")
    md.extend(thr_rows)
    md.append("")
    if lagged:
        md.append(f"† {ll_name}'s mean latency in these runs was "
                  + ", ".join(f"{lag * 100:.0f} % of the run (c={c}, {d} ms)" for c, d, lag in lagged)
                  + ": wrk counts only requests that complete within the run, so the first ~mean-latency seconds "
                    "count nothing and these req/s are biased low by about that share (a run with no completed "
                    f"request counts as 100 %). Longer {ll_name} runs: `BENCH_LITELLM_DURATION`.\n")
    if not ll:
        md.append(f"LiteLLM: {ll_meta.get('note') or 'not measured'}.\n")
    if cpu_rows:
        md.append(f"Where the time goes: CPU time (user+sys) per request, from /proc/PID/stat around each run:\n")
        if ll:
            md.append(f"| run | {via_name} CPU per request | {ll_name} CPU per request | "
                      f"upstream CPU per request (direct / {via_name} / {ll_name}) |\n|---|---|---|---|")
        else:
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
    if ll_mem:
        md.append("")
        workers = ll_meta.get("workers", 1)
        md.append(f"{ll_name}'s memory, for comparison (VmRSS of its process tree: {workers} worker"
                  f"{'s and their supervisor' if workers > 1 else ' process'}; it serves no SSE in this bench): "
                  + "; ".join(f"{label} {fmt_mb(rec.get('rss_kb'))} (anonymous {fmt_mb(rec.get('anon_kb'))})"
                              for label, rec in ll_mem) + ".")
    md.append("")
    md.append("## Per-round values\n")
    md.append("| scenario | leg | " + " | ".join(f"r{i + 1}" for i in range(rounds)) + " |")
    md.append("|---|---|" + "---|" * rounds)
    for scen in [lat] + [s for s, _, _ in thr_scen]:
        for leg in ("direct", "via", "litellm") if ll else ("direct", "via"):
            rs = sorted(by.get((scen, leg), []), key=lambda r: r["round"])
            if scen == lat:
                cells = [f"p50 {fmt_us(r['result']['lat_p50_us'])} / p99 {fmt_us(r['result']['lat_p99_us'])}" for r in rs]
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
    headline = {"date": m["date"], "commit": m["commit"], "command": m["command"], "via": via_name,
                "loadavg_start": m["loadavg_start"], "summary": summary, "rounds": spreads}
    json_path = os.path.splitext(args.results)[0] + ".json" if args.results else None
    repro = reproduction_check(json_path, headline)
    if repro:
        md.extend(repro["markdown"])
    text = "\n".join(md) + "\n"
    if args.results:
        with open(args.results, "w") as f:
            f.write(text)
        with open(json_path, "w") as f:
            json.dump(headline, f, indent=1, sort_keys=True)
            f.write("\n")

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
    if ll:
        show("litellm: chat c=1 added p50", fmt_us(summary["litellm_lat_p50_added"], True))
        show("litellm: chat c=1 added p99", fmt_us(summary["litellm_lat_p99_added"], True))
        for scen, c, delay in thr_scen:
            v = summary[f"litellm_{scen}_ratio"]
            show(f"litellm: throughput c={c} upstream {delay} ms", "n/a" if v is None else f"{v * 100:.1f} % of direct")
    else:
        show("litellm", ll_meta.get("note") or "not measured")
    show("sse added time to first chunk", fmt_us(summary["sse_ttfc_added"], True))
    show("sse added per-chunk p50", fmt_us(summary["sse_chunk_p50_added"], True))
    show("sse added per-chunk p99", f"{fmt_us(summary['sse_chunk_p99_added'], True)}   target "
         f"{verdict('sse_chunk_p99_added', summary['sse_chunk_p99_added'])}")
    show("sse bytes identical (sha256)", "yes" if same else "NO")
    show("rss idle", fmt_mb(mem.get("idle_start", {}).get("rss_kb")))
    if hold:
        show(f"rss with {hold['opened']}/{hold['conns']} streams open", f"{fmt_mb(hold['rss_open_max_kb'])}   target "
             f"{verdict('rss_1000_streams', summary['rss_1000_streams'])}")
    if repro:
        print(f"\n== reproduction check against the previous run ({repro['previous']}) ==")
        for line in repro["console"]:
            print("  " + line)
    if args.results:
        print(f"\n  written: {args.results} and {json_path}")
    return 0


# Figures compared with the previous recorded run, and how a figure of this run is shown.
REPRO_FIGURES = [
    ("lat_p50_added", "chat c=1 added p50", "us"),
    ("lat_p99_added", "chat c=1 added p99", "us"),
    ("thr_c16_d20_ratio", "throughput c=16, 20 ms (÷ direct)", "ratio"),
    ("thr_c64_d20_ratio", "throughput c=64, 20 ms (÷ direct)", "ratio"),
    ("thr_c16_d0_ratio", "throughput c=16, 0 ms (÷ direct)", "ratio"),
    ("thr_c64_d0_ratio", "throughput c=64, 0 ms (÷ direct)", "ratio"),
    ("sse_ttfc_added", "SSE added time to first chunk", "us"),
    ("sse_chunk_p50_added", "SSE added per-chunk p50", "us"),
    ("sse_chunk_p99_added", "SSE added per-chunk p99", "us"),
    ("rss_1000_streams", "RSS with the SSE streams open", "kb"),
]
# A figure measured once per run (no rounds) is within noise when the previous value is within this share of it.
SINGLE_TOLERANCE = 0.10


def reproduction_check(json_path, now):
    """Compares this run's headline figures with the previous recorded run (RESULTS.json, rewritten by every run).

    Noise is the spread of the rounds: a figure is reproduced when the two runs' per-round values overlap (neither
    run's rounds all lie above the other's); figures without rounds: within ±10 %."""
    if not json_path or not os.path.exists(json_path):
        return None
    try:
        prev = json.load(open(json_path))
    except (OSError, ValueError):
        return None
    if prev.get("via") != now["via"]:
        return None

    def show(v, unit):
        if v is None:
            return "n/a"
        if unit == "ratio":
            return f"{v * 100:.1f} %"
        if unit == "kb":
            return fmt_mb(v)
        return fmt_us(v, True)

    rows, console, inside, compared = [], [], 0, 0
    for key, label, unit in REPRO_FIGURES:
        p, n = prev.get("summary", {}).get(key), now["summary"].get(key)
        prev_rounds = [x for x in prev.get("rounds", {}).get(key, []) if x is not None]
        rounds = [x for x in now["rounds"].get(key, []) if x is not None]
        prev_band = now_band = "n/a"
        if p is None or n is None:
            verdict_text = "not compared (missing in one run)"
        else:
            if rounds and prev_rounds:
                lo, hi = min(rounds), max(rounds)
                plo, phi = min(prev_rounds), max(prev_rounds)
                prev_band = f"{show(plo, unit)} … {show(phi, unit)}"
                now_band = f"{show(lo, unit)} … {show(hi, unit)}"
                ok = plo <= hi and lo <= phi
            else:
                lo, hi = n * (1 - SINGLE_TOLERANCE), n * (1 + SINGLE_TOLERANCE)
                now_band = f"±{SINGLE_TOLERANCE * 100:.0f} %: {show(lo, unit)} … {show(hi, unit)}"
                ok = lo <= p <= hi
            compared += 1
            inside += ok
            verdict_text = "✅ within noise" if ok else "❌ outside"
        rows.append(f"| {label} | {show(p, unit)} | {prev_band} | {show(n, unit)} | {now_band} | {verdict_text} |")
        console.append(f"{label:<38} previous {show(p, unit):>12}   now {show(n, unit):>12}   {verdict_text}")
    md = ["## Reproduction check\n",
          f"Against the previous recorded run: {prev.get('date')}, commit `{prev.get('commit')}`, load average "
          f"{prev.get('loadavg_start')} at its start, command `{prev.get('command')}` (its figures are kept in "
          "[RESULTS.json](RESULTS.json), which every run rewrites). A figure is reproduced (within noise) when the two "
          "runs' rounds overlap: the lowest round of each run is not above the highest round of the other. The RSS "
          f"figure, measured once per run, must be within ±{SINGLE_TOLERANCE * 100:.0f} % of this run's. Different "
          "commits measure different code: a figure outside after a change to the chat path is a change, not noise.\n",
          "| figure | previous (median) | previous rounds | this run (median) | this run's rounds | verdict |\n"
          "|---|---|---|---|---|---|"]
    md.extend(rows)
    md.append(f"\n{inside} of {compared} figures within noise.\n")
    console.append(f"{inside} of {compared} figures within noise")
    return {"markdown": md, "console": console, "previous": f"{prev.get('date')}, `{prev.get('commit')}`"}


def settle_label(hold):
    return "after closing them all (+3 s)"


if __name__ == "__main__":
    sys.exit(main())
