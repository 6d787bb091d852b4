#!/usr/bin/env python3
"""Turns one bench run's raw records (OUT/records.jsonl, OUT/meta.json, OUT/sse/, OUT/ts/) into the summary
printed at the end of bench/run and into bench/RESULTS.md and RESULTS.json.

    report.py OUT_DIR [--results bench/RESULTS.md]

Legs: "direct" (the mock upstream itself), "nginx" (a plain reverse proxy: the reference column), "chorus" and,
when it ran, "litellm" (LiteLLM's proxy, chat scenarios only). Aggregation: every figure is first computed per round
and leg; the tables show the median over rounds of each leg, and "added" / "ratio" is computed from the leg's median
and direct's (leg - direct, leg / direct), all from the same run.
"""
import argparse
import hashlib
import json
import os
import statistics
import sys

LEGS = ["direct", "nginx", "chorus", "litellm"]
NAME = {"direct": "direct", "nginx": "nginx", "chorus": "Chorus", "litellm": "LiteLLM"}
PROXIES = ["nginx", "chorus", "litellm"]

# Targets (issue 19), all for the Chorus leg; the nginx column is the reference they are read against.
CPU_MAX_US = 60          # CPU per proxied request
CPU_MAX_X_NGINX = 2.0    # ... and at most this many times nginx's on the same run
THR_D0_MIN = 0.50        # zero-delay throughput ratio, or within THR_D0_X_NGINX of nginx's ratio
THR_D0_X_NGINX = 1.5
TARGETS = {
    "lat_p50_added": ("≤ 100 µs", lambda v: v <= 100),
    "lat_p99_added": ("≤ 300 µs", lambda v: v <= 300),
    "thr_d20_ratio": ("≥ 98 %", lambda v: v >= 0.98),
    "sse_ttfc_added": ("≤ 250 µs", lambda v: v <= 250),
    "sse_chunk_p99_added": ("≤ 100 µs", lambda v: v <= 100),
    "rss_1000_streams": ("< 100 MB", lambda v: v < 100 * 1024),
}


def key(leg, name):
    """summary key of a figure: Chorus's keep the plain names (as in earlier RESULTS.json), other legs are prefixed"""
    return name if leg == "chorus" else f"{leg}_{name}"


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def pct(sorted_xs, p):
    if not sorted_xs:
        return None
    i = int(round(p / 100.0 * (len(sorted_xs) - 1)))
    return sorted_xs[i]


def mark(ok):
    return "✅" if ok else "❌"


def verdict(tkey, value):
    if value is None:
        return "n/a"
    label, ok = TARGETS[tkey]
    return f"{label} {mark(ok(value))}"


def thr_d0_verdict(ratio, nginx_ratio):
    """zero-delay throughput: ≥ 50 % of direct, or within 1.5× of nginx's ratio"""
    if ratio is None:
        return "n/a", None
    ok = ratio >= THR_D0_MIN or (nginx_ratio is not None and ratio * THR_D0_X_NGINX >= nginx_ratio)
    return f"≥ {THR_D0_MIN * 100:.0f} % or ≥ nginx's ÷ {THR_D0_X_NGINX} {mark(ok)}", ok


def cpu_verdict(chorus, nginx):
    """CPU per request: ≤ 60 µs and ≤ 2× nginx's on the same run"""
    if chorus is None:
        return "n/a", None
    ok = chorus <= CPU_MAX_US and (nginx is None or chorus <= CPU_MAX_X_NGINX * nginx)
    return f"≤ {CPU_MAX_US} µs and ≤ {CPU_MAX_X_NGINX:g}× nginx {mark(ok)}", ok


def fmt_us(v, signed=False):
    """µs below 10 ms, ms above (LiteLLM's latencies are tens of ms)"""
    if v is None:
        return "n/a"
    if abs(v) >= 10000:
        return f"{v / 1000:+.1f} ms" if signed else f"{v / 1000:.1f} ms"
    return f"{v:+.1f} µs" if signed else f"{v:.1f} µs"


def fmt_mb(kb):
    return "n/a" if kb is None else f"{kb / 1024:.1f} MB"


def fmt_pc(x, bold=True):
    if x is None:
        return "n/a"
    return f"**{x * 100:.1f} %**" if bold else f"{x * 100:.1f} %"


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
    ll_meta = meta.get("litellm") or {"on": False, "note": "not part of this run"}
    ng_meta = meta.get("nginx") or {"on": False, "note": "not part of this run"}

    # ---- chat latency at c=1 and throughput ---------------------------------------------------------------
    by = {}
    for r in recs:
        if r["kind"] in ("lat", "thr"):
            by.setdefault((r["scenario"], r["leg"]), []).append(r)

    def leg_med(scen, leg, field):  # (a run that completed no request has no latency)
        return med([r["result"].get(field) for r in by.get((scen, leg), []) if r["result"].get("requests")])

    # a proxy leg is shown when it has records (meta says why not otherwise)
    present = {leg for _, leg in by}
    proxies = [p for p in PROXIES if p in present]
    legs = ["direct"] + proxies
    ll = "litellm" in present
    ng = "nginx" in present

    def added(a, b):
        return b - a if a is not None and b is not None else None

    summary = {}
    lat = "lat_c1_d0"
    lat_rows = []
    for label, field in (("p50", "lat_p50_us"), ("p90", "lat_p90_us"), ("p99", "lat_p99_us"), ("p99.9", "lat_p999_us")):
        d = leg_med(lat, "direct", field)
        cells = [fmt_us(d)]
        for p in proxies:
            v = leg_med(lat, p, field)
            a = added(d, v)
            summary[key(p, f"lat_{label}_added")] = a
            cells += [fmt_us(v), f"**{fmt_us(a, True)}**"]
        tgt = verdict(f"lat_{label}_added", summary.get(f"lat_{label}_added")) if label in ("p50", "p99") else ""
        lat_rows.append(f"| {label} | " + " | ".join(cells) + f" | {tgt} |")

    def errors(scen, leg):
        return sum(r["result"].get("err_connect", 0) + r["result"].get("err_read", 0) + r["result"].get("err_write", 0)
                   + r["result"].get("err_timeout", 0) + r["result"].get("err_status", 0) for r in by.get((scen, leg), []))

    def ms(v):
        return "n/a" if v is None else f"{v / 1000:.2f}"

    n0 = lambda x: "n/a" if x is None else f"{x:,.0f}"  # noqa: E731
    thr_rows = []
    lagged = []
    thr_scen = [("thr_c16_d20", 16, 20), ("thr_c64_d20", 64, 20), ("thr_c16_d0", 16, 0), ("thr_c64_d0", 64, 0)]
    for scen, c, delay in thr_scen:
        def rps(leg):
            return med([r["result"]["requests"] / (r["result"]["duration_us"] / 1e6) for r in by.get((scen, leg), [])])
        d = rps("direct")
        cells = [n0(d)]
        for p in proxies:
            v = rps(p)
            ratio = v / d if d and v is not None else None
            summary[key(p, f"{scen}_ratio")] = ratio
            mark_lag = ""
            if p == "litellm":
                # wrk counts only the requests that completed within the run: when the mean latency is a large part
                # of the run (LiteLLM at c=64), the first ~mean-latency seconds count nothing and req/s is biased low
                lag = med([r["result"]["lat_mean_us"] / r["result"]["duration_us"] if r["result"].get("requests") else 1.0
                           for r in by.get((scen, "litellm"), [])])
                if lag is not None and lag > 0.1:
                    lagged.append((c, delay, lag))
                    mark_lag = " †"
            cells += [n0(v) + mark_lag, fmt_pc(ratio)]
        ratio, ng_ratio = summary.get(f"{scen}_ratio"), summary.get(f"nginx_{scen}_ratio")
        if delay:
            tgt = verdict("thr_d20_ratio", ratio)
        else:
            tgt = thr_d0_verdict(ratio, ng_ratio)[0]
        p99s = " / ".join(ms(leg_med(scen, leg, "lat_p99_us")) for leg in legs)
        errs = " / ".join(str(errors(scen, leg)) for leg in legs)
        thr_rows.append(f"| {c} | {delay} ms | " + " | ".join(cells) + f" | {tgt} | {p99s} ms | {errs} |")

    # CPU per request (from /proc/PID/stat deltas of the leg's proxy process tree, recorded around every run)
    cpu_rows = []
    cpu_legs = [p for p in proxies]
    for scen, label in [(lat, "c=1, 0 ms")] + [(s, f"c={c}, {dl} ms") for s, c, dl in thr_scen]:
        def per_req(leg, field):
            return med([r[field] / r["result"]["requests"] * 1e6 for r in by.get((scen, leg), [])
                        if r["result"]["requests"] and r.get(field) is not None])
        per = {p: per_req(p, "proxy_cpu_s") for p in cpu_legs}
        for p in cpu_legs:
            summary[key(p, f"cpu_us_per_req_{scen}")] = per[p]
        ch, ngx = per.get("chorus"), per.get("nginx")
        x = ch / ngx if ch is not None and ngx else None
        summary[f"cpu_chorus_over_nginx_{scen}"] = x
        ups = [per_req(leg, "up_cpu_s") for leg in legs]
        cells = [fmt_us(per[p]) for p in cpu_legs]
        if ng:
            cells.append("n/a" if x is None else f"**{x:.2f}×**")
        cpu_rows.append(f"| {label} | " + " | ".join(cells) + f" | {cpu_verdict(ch, ngx)[0]} | "
                        + " / ".join('n/a' if u is None else f'{u:.1f}' for u in ups) + " µs |")

    # ---- SSE (direct, nginx, Chorus; LiteLLM runs none) ----------------------------------------------------
    sse_legs = [leg for leg in ["direct", "nginx", "chorus"] if any(r["kind"] == "sse" and r["leg"] == leg for r in recs)]
    sse_proxies = [leg for leg in sse_legs if leg != "direct"]
    sse = {leg: [] for leg in sse_legs}
    for r in recs:
        if r["kind"] == "sse" and r["leg"] in sse:
            a = sse_analysis(out, r)
            a["round"] = r["round"]
            sse[r["leg"]].append(a)
    sse_ok = all(a["status"] == 200 and a["complete"] and a["events"] == a["expected"] for leg in sse for a in sse[leg])
    hashes = {leg: sorted({a["sha256"] for a in sse[leg]}) for leg in sse}
    all_hashes = {h for leg in sse for h in hashes[leg]}
    same = bool(hashes.get("direct")) and len(all_hashes) == 1 and all(hashes[leg] for leg in sse)
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
    for p in sse_proxies:
        summary[key(p, "sse_ttfc_added")] = added(ttfc.get("direct"), ttfc[p])
        summary[key(p, "sse_chunk_p50_added")] = added(chunk.get(("direct", 50)), chunk[(p, 50)])
        summary[key(p, "sse_chunk_p99_added")] = added(chunk.get(("direct", 99)), chunk[(p, 99)])

    def sse_row(label, vals, add_key=None, tkey=None, add_fn=None):
        cells = [fmt_us(vals.get("direct"))]
        for p in sse_proxies:
            a = summary.get(key(p, add_key)) if add_key else added(vals.get("direct"), vals.get(p))
            cells += [fmt_us(vals.get(p)), (f"**{fmt_us(a, True)}**" if add_key else fmt_us(a, True))]
        tgt = verdict(tkey, summary.get(tkey)) if tkey else ""
        return f"| {label} | " + " | ".join(cells) + f" | {tgt} |"

    sse_rows = [
        sse_row("time to first chunk (median)", ttfc, "sse_ttfc_added", "sse_ttfc_added"),
        sse_row("per-chunk delay p50", {leg: chunk[(leg, 50)] for leg in sse}, "sse_chunk_p50_added"),
        sse_row("per-chunk delay p99", {leg: chunk[(leg, 99)] for leg in sse}, "sse_chunk_p99_added", "sse_chunk_p99_added"),
        sse_row("per-chunk delay p99, all rounds pooled", {leg: chunk[(leg, "p99pooled")] for leg in sse}),
    ]

    # ---- per-round values of the headline figures (Chorus): the spread that "within noise" is measured against --
    def by_round(scen, leg):
        return {r["round"]: r["result"] for r in by.get((scen, leg), []) if r["result"].get("requests")}

    spreads = {}
    for label, field in (("p50", "lat_p50_us"), ("p99", "lat_p99_us")):
        d, v = by_round(lat, "direct"), by_round(lat, "chorus")
        spreads[f"lat_{label}_added"] = [v[k][field] - d[k][field] for k in sorted(d) if k in v]
    for scen, _, _ in thr_scen:
        d, v = by_round(scen, "direct"), by_round(scen, "chorus")
        rate = lambda x: x["requests"] / (x["duration_us"] / 1e6)  # noqa: E731
        spreads[f"{scen}_ratio"] = [rate(v[k]) / rate(d[k]) for k in sorted(d) if k in v and rate(d[k])]
    sse_rounds = {leg: {} for leg in sse}
    for leg in sse:
        for a in sse[leg]:
            sse_rounds[leg].setdefault(a["round"], []).append(a)
    if "direct" in sse and "chorus" in sse:
        for skey, fn in (("sse_ttfc_added", lambda g: med([a["ttfc_us"] for a in g])),
                         ("sse_chunk_p50_added", lambda g: pct(sorted(x for a in g for x in a["delays"]), 50)),
                         ("sse_chunk_p99_added", lambda g: pct(sorted(x for a in g for x in a["delays"]), 99))):
            d, v = sse_rounds["direct"], sse_rounds["chorus"]
            spreads[skey] = [fn(v[k]) - fn(d[k]) for k in sorted(d)
                             if k in v and fn(v[k]) is not None and fn(d[k]) is not None]

    # ---- memory --------------------------------------------------------------------------------------------
    mem = {r["what"]: r for r in recs if r["kind"] == "mem"}
    holds = {r.get("leg", "chorus"): r["result"] for r in recs if r["kind"] == "hold"}
    for p in ("chorus", "nginx"):
        h = holds.get(p)
        summary[key(p, "rss_1000_streams")] = h["rss_open_max_kb"] if h and h.get("opened") == h.get("conns") else None
    mem_legs = [p for p in ("nginx", "chorus") if p in proxies or p in holds]

    def mcell(rec, field="rss_kb"):
        return fmt_mb((rec or {}).get(field))
    mem_rows = [
        "| idle, just started | " + " | ".join(f"{mcell(mem.get(f'{p}_idle_start'))} (anon {mcell(mem.get(f'{p}_idle_start'), 'anon_kb')})"
                                             for p in mem_legs) + " | |",
        "| idle, after the chat and SSE rounds | " + " | ".join(mcell(mem.get(f"{p}_idle_after_rounds")) for p in mem_legs) + " | |",
    ]
    if holds:
        n_conns = next(iter(holds.values()))["conns"]
        mem_rows.append(f"| {n_conns} SSE streams open (max over the hold; opened / asked) | " + " | ".join(
            (f"**{fmt_mb(holds[p]['rss_open_max_kb'])}** ({holds[p]['opened']}/{holds[p]['conns']})" if p in holds else "n/a")
            for p in mem_legs) + f" | {verdict('rss_1000_streams', summary.get('rss_1000_streams'))} |")
        mem_rows.append("| peak (VmHWM) | " + " | ".join(fmt_mb(holds[p]["hwm_kb"]) if p in holds else "n/a" for p in mem_legs) + " | |")
        mem_rows.append("| after closing them all (+3 s) | " + " | ".join(
            fmt_mb(holds[p]["rss_after_close_kb"]) if p in holds else "n/a" for p in mem_legs) + " | |")

    # ---- write ---------------------------------------------------------------------------------------------
    m = meta
    rounds = m["rounds"]
    md = []
    md.append("# Chorus benchmark results\n")
    md.append(f"Generated by `bench/run` on {m['date']}. Do not edit by hand: the next run rewrites this file. "
              "What each figure means: [README.md](README.md). Other benchmarks, with their own results files: "
              "audio transcoding ([AUDIO-RESULTS.md](AUDIO-RESULTS.md)), speech-to-text word error rate and large "
              "uploads ([stt/STT-RESULTS.md](stt/STT-RESULTS.md)); where Chorus's CPU goes per request: "
              "[PROFILE.md](PROFILE.md).\n")
    md.append("```\n" + m["command"] + "\n```\n")
    md.append("| | |\n|---|---|")
    md.append(f"| machine | {m['nproc']} cores, {m['cpu']}, {m['mem']} RAM, kernel {m['kernel']} |")
    md.append(f"| commit | `{m['commit']}` (branch `{m['branch']}`){' + uncommitted changes' if m.get('dirty') else ''} |")
    md.append(f"| Chorus leg | {m.get('chorus_desc', 'n/a')} |")
    md.append(f"| nginx leg | {ng_meta.get('desc') if ng else 'nginx: ' + (ng_meta.get('note') or 'not measured')} |")
    if ll:
        ll_dur = ll_meta.get("duration", m["duration"])
        md.append(f"| LiteLLM leg | LiteLLM {ll_meta.get('version')} proxy (`litellm[proxy]`, uvicorn + uvloop, "
                  f"{ll_meta.get('workers')} worker process{'es' if ll_meta.get('workers', 1) > 1 else ''}), same upstream "
                  "and master key, no database, no callbacks, no access log; chat scenarios only"
                  f"{f'; {ll_dur} s per run' if ll_dur != m['duration'] else ''} |")
    else:
        md.append(f"| LiteLLM leg | LiteLLM: {ll_meta.get('note') or 'not measured'} |")
    md.append("| upstream | bench/upstream/mockup.c (C, epoll, 1 process) on 127.0.0.1 |")
    order = "→".join(legs) + ", then " + "→".join(reversed(legs))
    md.append(f"| rounds | {rounds} interleaved rounds (order {order}, alternating), "
              f"{m['duration']} s per leg and scenario; medians of rounds |")
    md.append(f"| load average | {m['loadavg_start']} at start, {m['loadavg_end']} at end |")
    md.append(f"| wall time | {m['wall_s']:.0f} s |")
    if m.get("note"):
        md.append(f"| note | {m['note']} |")
    if m.get("warning"):
        md.append(f"\n> ⚠️ {m['warning']}\n")
    md.append("")
    md.append("Targets (issue 19) are for Chorus; nginx, a lean C reverse proxy on the same machine and upstream in the "
              "same rounds, is the reference column. Every ratio is to direct in the same run.\n")
    md.append("## (a) Chat, non-streaming, small body\n")
    md.append("Added latency at concurrency 1, zero-delay upstream (closed loop, one keep-alive connection, "
              "`bench/client lat`, exact percentiles); added = leg − direct:\n")
    md.append("| percentile | direct | " + " | ".join(f"{NAME[p]} | added" for p in proxies) + " | target (Chorus) |")
    md.append("|---|---|" + "---|---|" * len(proxies) + "---|")
    md.extend(lat_rows)
    md.append("")
    md.append("Throughput (wrk, 1 thread, keep-alive), each proxy ÷ direct:\n")
    md.append("| connections | upstream delay | direct req/s | " + " | ".join(f"{NAME[p]} req/s | ratio" for p in proxies)
              + " | target (Chorus) | p99 " + " / ".join(NAME[leg] for leg in legs) + " | errors ("
              + " / ".join(NAME[leg] for leg in legs) + ") |")
    md.append("|---|---|---|" + "---|---|" * len(proxies) + "---|---|---|")
    md.extend(thr_rows)
    md.append("")
    if lagged:
        md.append("† LiteLLM's mean latency in these runs was "
                  + ", ".join(f"{lag * 100:.0f} % of the run (c={c}, {d} ms)" for c, d, lag in lagged)
                  + ": wrk counts only requests that complete within the run, so the first ~mean-latency seconds "
                    "count nothing and these req/s are biased low by about that share (a run with no completed "
                    "request counts as 100 %). Longer LiteLLM runs: `BENCH_LITELLM_DURATION`.\n")
    if not ll:
        md.append(f"LiteLLM: {ll_meta.get('note') or 'not measured'}.\n")
    if not ng:
        md.append(f"nginx: {ng_meta.get('note') or 'not measured'}.\n")
    if cpu_rows:
        md.append("CPU time (user+sys) per proxied request, from /proc/PID/stat of the proxy's process tree around each "
                  "run, median of rounds (the upstream's CPU per request is shown per leg: it is the same mock):\n")
        md.append("| run | " + " | ".join(f"{NAME[p]} CPU/request" for p in cpu_legs)
                  + (" | Chorus ÷ nginx" if ng else "") + " | target (Chorus) | upstream CPU/request ("
                  + " / ".join(NAME[leg] for leg in legs) + ") |")
        md.append("|---|" + "---|" * len(cpu_legs) + ("---|" if ng else "") + "---|---|")
        md.extend(cpu_rows)
        md.append("")
    md.append(f"## (b) SSE: {m['sse_chunks']} chunks, {m['sse_interval_ms']} ms apart\n")
    n_streams = len(sse.get("direct", []))
    md.append(f"{n_streams} streams per leg ({m['sse_streams']} per round), one at a time. Per-chunk delay = client arrival − "
              "upstream send time of the same event (both CLOCK_MONOTONIC), events 1…N−1; "
              + " / ".join(f"{chunk[(leg, 'n')]}" for leg in sse_legs) + " samples ("
              + " / ".join(NAME[leg] for leg in sse_legs) + ").\n")
    md.append("| figure | direct | " + " | ".join(f"{NAME[p]} | added" for p in sse_proxies) + " | target (Chorus) |")
    md.append("|---|---|" + "---|---|" * len(sse_proxies) + "---|")
    md.extend(sse_rows)
    md.append("")
    md.append(f"Bytes: {'✅ identical' if same else '❌ DIFFERENT'} — sha256 of the de-chunked body, "
              + " / ".join(f"{NAME[leg]} {', '.join(h[:16] for h in hashes[leg]) or 'n/a'}" for leg in sse_legs)
              + f"{'' if sse_ok else ' (some streams were incomplete or failed: see out/records.jsonl)'}.\n")
    md.append("## (d) Memory of the proxy process (VmRSS)\n")
    md.append("| state | " + " | ".join(NAME[p] for p in mem_legs) + " | target (Chorus) |")
    md.append("|---|" + "---|" * len(mem_legs) + "---|")
    md.extend(mem_rows)
    for p in mem_legs:
        hold = holds.get(p)
        if hold:
            md.append("")
            opened = (f"all {hold['opened']} streams" if hold["opened"] == hold["conns"]
                      else f"{hold['opened']} of {hold['conns']} streams")
            md.append(f"{NAME[p]}: {opened} opened in {hold['open_seconds']} s; {hold['events_during_hold']} "
                      f"events arrived during the {hold['hold_seconds']} s hold; "
                      f"{hold['threads_open']} threads and {hold['fds_open']} fds while open"
                      f"{'; errors: ' + json.dumps(hold['errors']) if hold['errors'] else ''}.")
    ll_mem = [(label, mem[w]) for label, w in (("idle, after start and the answer check", "litellm_idle_start"),
                                               ("idle, after the chat rounds", "litellm_idle_after_rounds")) if w in mem]
    if ll_mem:
        md.append("")
        workers = ll_meta.get("workers", 1)
        md.append(f"LiteLLM's memory, for comparison (VmRSS of its process tree: {workers} worker"
                  f"{'s and their supervisor' if workers > 1 else ' process'}; it serves no SSE in this bench): "
                  + "; ".join(f"{label} {fmt_mb(rec.get('rss_kb'))} (anonymous {fmt_mb(rec.get('anon_kb'))})"
                              for label, rec in ll_mem) + ".")
    md.append("")
    md.append("## Per-round values\n")
    md.append("| scenario | leg | " + " | ".join(f"r{i + 1}" for i in range(rounds)) + " |")
    md.append("|---|---|" + "---|" * rounds)
    for scen in [lat] + [s for s, _, _ in thr_scen]:
        for leg in legs:
            rs = sorted(by.get((scen, leg), []), key=lambda r: r["round"])
            if scen == lat:
                cells = [f"p50 {fmt_us(r['result']['lat_p50_us'])} / p99 {fmt_us(r['result']['lat_p99_us'])}" for r in rs]
            else:
                cells = [f"{r['result']['requests'] / (r['result']['duration_us'] / 1e6):,.0f}/s" for r in rs]
            md.append(f"| {scen} | {leg} | " + " | ".join(cells) + " |")
    for leg in sse_legs:
        rounds_ = sse_rounds[leg]
        cells = []
        for k in sorted(rounds_):
            ds = sorted(x for a in rounds_[k] for x in a["delays"])
            cells.append(f"p50 {pct(ds, 50):.0f} / p99 {pct(ds, 99):.0f} µs" if ds else "n/a")
        md.append(f"| sse per-chunk | {leg} | " + " | ".join(cells) + " |")
    md.append("")
    # "via": Chorus — the plain summary keys are Chorus's, as in the earlier files, so the reproduction check
    # compares like with like across the change to four legs
    headline = {"date": m["date"], "commit": m["commit"], "command": m["command"], "via": "Chorus",
                "legs": legs, "loadavg_start": m["loadavg_start"], "loadavg_end": m["loadavg_end"],
                "summary": summary, "rounds": spreads}
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
        print(f"  {k:<40} {v}")

    def cols(name, unit="us"):
        vals = []
        for p in proxies:
            v = summary.get(key(p, name))
            vals.append(f"{NAME[p]} " + (fmt_us(v, True) if unit == "us" else fmt_pc(v, False)))
        return "   ".join(vals)
    print(f"\n== bench summary (each proxy vs direct, median of {rounds} rounds; targets for Chorus) ==")
    show("chat c=1 added p50", cols("lat_p50_added") + f"   target {verdict('lat_p50_added', summary.get('lat_p50_added'))}")
    show("chat c=1 added p99", cols("lat_p99_added") + f"   target {verdict('lat_p99_added', summary.get('lat_p99_added'))}")
    for scen, c, delay in thr_scen:
        r = summary.get(f"{scen}_ratio")
        t = verdict("thr_d20_ratio", r) if delay else thr_d0_verdict(r, summary.get(f"nginx_{scen}_ratio"))[0]
        show(f"throughput c={c} upstream {delay} ms ÷ direct", cols(f"{scen}_ratio", "ratio") + f"   target {t}")
    for scen, label in [(lat, "c=1")] + [(s, f"c={c} {dl} ms") for s, c, dl in thr_scen]:
        vals = "   ".join(f"{NAME[p]} {fmt_us(summary.get(key(p, f'cpu_us_per_req_{scen}')))}" for p in cpu_legs)
        x = summary.get(f"cpu_chorus_over_nginx_{scen}")
        show(f"CPU per request, {label}", vals + (f"   Chorus ÷ nginx {x:.2f}×" if x else "") + "   target "
             + cpu_verdict(summary.get(f"cpu_us_per_req_{scen}"), summary.get(f"nginx_cpu_us_per_req_{scen}"))[0])
    if not ll:
        show("litellm", ll_meta.get("note") or "not measured")
    if not ng:
        show("nginx", ng_meta.get("note") or "not measured")
    sse_cols = lambda n: "   ".join(f"{NAME[p]} {fmt_us(summary.get(key(p, n)), True)}" for p in sse_proxies)  # noqa: E731
    show("sse added time to first chunk", sse_cols("sse_ttfc_added") + f"   target {verdict('sse_ttfc_added', summary.get('sse_ttfc_added'))}")
    show("sse added per-chunk p50", sse_cols("sse_chunk_p50_added"))
    show("sse added per-chunk p99", sse_cols("sse_chunk_p99_added")
         + f"   target {verdict('sse_chunk_p99_added', summary.get('sse_chunk_p99_added'))}")
    show("sse bytes identical (sha256)", "yes" if same else "NO")
    for p in mem_legs:
        show(f"rss idle {NAME[p]}", fmt_mb(mem.get(f"{p}_idle_start", {}).get("rss_kb")))
    for p in mem_legs:
        if p in holds:
            h = holds[p]
            show(f"rss {NAME[p]}, {h['opened']}/{h['conns']} streams open", fmt_mb(h["rss_open_max_kb"])
                 + (f"   target {verdict('rss_1000_streams', summary.get('rss_1000_streams'))}" if p == "chorus" else ""))
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
