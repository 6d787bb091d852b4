#!/usr/bin/env python3
"""Turns the raw results of bench/stt/run (wer.json, upload.jsonl) into bench/stt/STT-RESULTS.md and prints the
summary. Run by bench/stt/run; not meant to be run alone."""
import argparse
import datetime
import json
import os
import platform
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from common import sh  # noqa: E402  (bench/common.py)

UPLOAD_TARGET_RATIO = 2.0
FORWARD_TARGET_MS = 5.0


def load_uploads(work):
    path = os.path.join(work, "results", "upload.jsonl")
    if not os.path.exists(path):
        return []
    return [json.loads(line) for line in open(path) if line.strip()]


def run_info(work):
    path = os.path.join(work, "results", "git.txt")
    lines = (open(path).read().splitlines() if os.path.exists(path) else []) + ["?", "?", "0", "?"]
    commit, branch, dirty, started = lines[:4]
    return commit, branch, dirty.strip() not in ("", "0"), started


def growth_kb(r):
    # VmHWM catches peaks between samples; the kernel syncs per-thread RSS counters lazily, so a sample can read a
    # few pages above it: the larger of the two counts.
    return max(r["rss_peak_kb"] or 0, r["rss_sampled_peak_kb"]) - r["rss_before_kb"]


def series_summary(rows):
    ratios = [growth_kb(r) * 1024 / r["file_bytes"] for r in rows]
    delays = [r["forward_delay_ms"] for r in rows if r["forward_delay_ms"] is not None]
    return {
        "rounds": len(rows), "ok": sum(r["status"] == 200 for r in rows),
        "identical": sum(bool(r["forwarded_identical"]) for r in rows),
        "growth_max_mib": max(growth_kb(r) for r in rows) / 1024, "ratio_max": max(ratios),
        "ratio_first": ratios[0], "ratio_median": statistics.median(ratios),
        "delay_median": statistics.median(delays) if delays else None, "delay_max": max(delays) if delays else None,
        "answer_median": statistics.median(r["answer_ms"] for r in rows),
    }


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--work", required=True)
    p.add_argument("--root", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--chorus", required=True)
    p.add_argument("--command", required=True)
    p.add_argument("--parts", required=True)
    p.add_argument("--note", default="")
    p.add_argument("--nice", type=int, default=0)
    p.add_argument("--elapsed", type=int, default=0)
    p.add_argument("--baseline", default="", help="work directory of an earlier run to compare the uploads with")
    p.add_argument("--baseline-note", default="")
    a = p.parse_args()
    work = a.work

    L = []
    w = L.append
    now = datetime.datetime.now(datetime.timezone.utc)
    commit, branch, dirty, started = run_info(work)
    cpu_model = next((l.split(":", 1)[1].strip() for l in sh("lscpu").splitlines() if l.startswith("Model name")), "?")
    mem_kb = next((int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal")), 0)
    loads = [l.split() for l in open(os.path.join(work, "results", "load.txt")) if l.strip()]
    chorus = os.path.relpath(a.chorus, a.root) if a.chorus.startswith(a.root) else a.chorus

    w("# Chorus speech-to-text benchmark")
    w("")
    w("Written by `bench/stt/run` — do not edit by hand; rerun the script. What is measured and why: the header "
      "comments of `bench/stt/run`, `bench/stt/wer.py` and `bench/stt/upload.py`. Raw results stay in "
      f"`{work}/results` after a run.")
    w("")
    w("## Run")
    w("")
    w(f"- Date: {started} UTC (start), report written {now:%Y-%m-%d %H:%M} UTC; commit `{commit}` on `{branch}`"
      f"{' (with uncommitted changes)' if dirty else ''}")
    w(f"- Command: `{a.command}` — took {a.elapsed} s after the build")
    w(f"- Machine: {os.cpu_count()} cores, {cpu_model}, {mem_kb / 1048576:.1f} GiB memory, "
      f"{platform.system()} {platform.release()}; chorus `{chorus}`")
    w("- Load average (1/5/15 min) after each phase: " + ", ".join(f"{' '.join(l[:-3])} {'/'.join(l[-3:])}" for l in loads)
      + f" on {os.cpu_count()} cores (other builds share this machine; timings are noisy when it is above ~2)")
    if a.nice:
        w(f"- The gateway, the mock provider and the clients ran at niceness {a.nice} (favoured over other load).")
    if a.note:
        w(f"- Note: {a.note}")
    w("")

    summary = []
    # ------------------------------------------------------------------------------------------------ WER
    wer_path = os.path.join(work, "results", "wer.json")
    if "wer" in a.parts and os.path.exists(wer_path):
        data = json.load(open(wer_path))
        results = data["results"]
        w(f"## Word error rate of `{data['stt_model']}` (embedded pocketsphinx, Debian en-us model)")
        w("")
        w("WER = (substitutions + deletions + insertions) ÷ reference words, from a word-level Levenshtein alignment "
          "after lower-casing and dropping punctuation (`bench/stt/wer.py`); a set's figure sums edits and words over "
          "its phrases. Every clip went through `POST /v1/audio/transcriptions` of the running gateway "
          "(`response_format=json`). RTF = seconds of audio ÷ seconds the request took (> 1 = faster than real time).")
        w("")
        w("| set | what | phrases | reference words | sub | del | ins | **WER** | RTF |")
        w("|---|---|---|---|---|---|---|---|---|")
        what = {
            "tts": f"phrases.txt spoken by `{data['tts_model']}` (espeak-ng), voices {data['voices']}, as 24 kHz WAV",
            "librivox": "recorded human speech: LibriVox *Sense and Sensibility* (samples/speech, 16 kHz FLAC)",
            "alsa": "recorded human voice: alsa-utils channel names (/usr/share/sounds/alsa, 48 kHz WAV)",
        }
        for name in dict.fromkeys(r["set"] for r in results):
            rows = [r for r in results if r["set"] == name]
            words = sum(r["ref_words"] for r in rows)
            s, d, i = (sum(r[k] for r in rows) for k in ("subs", "dels", "ins"))
            audio = sum(r["audio_seconds"] or 0 for r in rows)
            took = sum(r["transcribe_seconds"] for r in rows)
            rtf = f"{audio / took:.1f}" if audio and took else "?"
            w(f"| {name} | {what.get(name, '')} | {len(rows)} | {words} | {s} | {d} | {i} | "
              f"**{100 * (s + d + i) / words:.1f} %** | {rtf} |")
            summary.append(f"WER {name}: {100 * (s + d + i) / words:.1f} % over {words} words")
        w("")
        w("Per phrase (reference, then what came back):")
        w("")
        w("| set | id | reference | transcript | WER |")
        w("|---|---|---|---|---|")
        for r in results:
            hyp = r["hypothesis"].strip().replace("|", "\\|") or "*(empty)*"
            w(f"| {r['set']} | {r['id']} | {r['reference']} | {hyp} | {100 * r['wer']:.0f} % |")
        w("")

    # ------------------------------------------------------------------------------------------------ upload
    uploads = load_uploads(work)
    if "upload" in a.parts and uploads:
        memory = [r for r in uploads if r.get("phase") == "memory"]
        latency = [r for r in uploads if r.get("phase") == "latency"]
        baseline = load_uploads(a.baseline) if a.baseline else []
        w("## Large upload: memory and time to forward")
        w("")
        w("Uploads to `POST /v1/audio/transcriptions` forwarded to a local mock provider "
          "(`bench/stt/upload_upstream.py`), each measured request after one small warm-up upload. "
          "*Memory*: a fresh gateway process per file, "
          f"{max((r['round'] for r in memory), default=0)} rounds each; RSS growth = the gateway's peak RSS during the "
          "request (VmHWM, reset before it through /proc/PID/clear_refs, or the highest 1 ms sample if higher) − its "
          "RSS just before; target < 2× the upload. *Forward delay*: one gateway, the as-is files interleaved (order "
          f"rotated every round), {max((r['round'] for r in latency), default=0)} rounds; CLOCK_MONOTONIC when the "
          "forwarded request line reached the provider − just before the last bytes of the upload (the end of the "
          "file and the closing boundary) were sent, after the gateway had read everything before them; target < 5 ms "
          "for a file that needs no conversion, judged on the median (single rounds catch the CPU bursts of whatever "
          "else runs on this shared machine; the 1 MB file shows the fixed cost under the same load). *Identical*: "
          "the file the provider received has the uploaded file's SHA-256.")
        w("")
        w("| upload | file bytes | ok | identical | RSS growth ÷ file: first round / max | forward delay p50 / max "
          "| target |")
        w("|---|---|---|---|---|---|---|")
        for label in dict.fromkeys(r["label"] for r in uploads):
            mem = [r for r in memory if r["label"] == label]
            lat = [r for r in latency if r["label"] == label] or mem
            rows = mem + [r for r in latency if r["label"] == label]
            m, l = series_summary(mem) if mem else None, series_summary(lat)
            as_is = "as is" in label and "reference" not in label
            met_rss = m is not None and m["ratio_max"] < UPLOAD_TARGET_RATIO
            met_delay = l["delay_median"] is not None and l["delay_median"] < FORWARD_TARGET_MS
            if as_is:
                target = (f"RSS < {UPLOAD_TARGET_RATIO:.0f}× {'✅' if met_rss else '❌'}, "
                          f"p50 < {FORWARD_TARGET_MS:.0f} ms {'✅' if met_delay else '❌'}")
            else:
                target = "(the fixed cost of a forward)" if "reference" in label else "(information: decodes and re-encodes)"
            identical = f"{sum(bool(r['forwarded_identical']) for r in rows)}/{len(rows)}" if "as is" in label \
                else "– (converted)"
            ratio = f"{m['ratio_first']:.2f}× / {m['ratio_max']:.2f}×" if m else "–"
            delay = f"{l['delay_median']:.2f} / {l['delay_max']:.2f} ms" if l["delay_median"] is not None else "–"
            w(f"| {label} | {rows[0]['file_bytes']:,} | {sum(r['status'] == 200 for r in rows)}/{len(rows)} | "
              f"{identical} | {ratio} | {delay} | {target} |")
            summary.append(f"upload {label}: RSS growth max {m['ratio_max'] if m else float('nan'):.2f}x the file, "
                           f"forward delay p50 {l['delay_median'] or float('nan'):.2f} ms, max {l['delay_max'] or float('nan'):.2f} ms")
        w("")
        if baseline:
            b_commit, _, b_dirty, b_started = run_info(a.baseline)
            path = os.path.join(a.baseline, "results", "command.txt")
            b_command = open(path).read().strip() if os.path.exists(path) else "?"
            w(f"Compared with a baseline run (`{b_command}`, started {b_started} UTC, bench at commit `{b_commit}`"
              f"{' with uncommitted changes' if b_dirty else ''}{'; ' + a.baseline_note if a.baseline_note else ''}):")
            w("")
            w("| upload | RSS growth ÷ file, max: baseline → this run | forward delay p50: baseline → this run "
              "| forward delay max: baseline → this run |")
            w("|---|---|---|---|")
            fmt = lambda v: "–" if v is None else f"{v:.2f} ms"
            for label in dict.fromkeys(r["label"] for r in uploads):
                pick = lambda rows, phase: [r for r in rows if r["label"] == label and r.get("phase") == phase]
                m0, m1 = pick(baseline, "memory"), pick(uploads, "memory")
                l0, l1 = pick(baseline, "latency") or m0, pick(uploads, "latency") or m1
                if not (m0 and m1 and l0 and l1):
                    continue
                sm0, sm1, sl0, sl1 = (series_summary(x) for x in (m0, m1, l0, l1))
                w(f"| {label} | {sm0['ratio_max']:.2f}× → **{sm1['ratio_max']:.2f}×** | {fmt(sl0['delay_median'])} → "
                  f"**{fmt(sl1['delay_median'])}** | {fmt(sl0['delay_max'])} → **{fmt(sl1['delay_max'])}** |")
                summary.append(f"vs baseline, {label}: RSS {sm0['ratio_max']:.2f}x -> {sm1['ratio_max']:.2f}x, "
                               f"forward p50 {fmt(sl0['delay_median'])} -> {fmt(sl1['delay_median'])}")
            w("")
        w("Every request:")
        w("")
        w("| phase | upload | round | status | RSS before | peak (VmHWM) | sampled peak | growth | ÷ file | forward delay "
          "| provider read the body in | answer after last byte | RSS after |")
        w("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for r in uploads:
            g = growth_kb(r)
            delay = f"{r['forward_delay_ms']:.2f} ms" if r["forward_delay_ms"] is not None else "–"
            body = f"{r['upstream_body_ms']:.1f} ms" if r["upstream_body_ms"] is not None else "–"
            peak = f"{r['rss_peak_kb'] / 1024:.1f} MiB" if r["rss_peak_kb"] is not None else "–"
            w(f"| {r.get('phase', '')} | {r['label']} | {r['round']} | {r['status']} | {r['rss_before_kb'] / 1024:.1f} MiB "
              f"| {peak} | {r['rss_sampled_peak_kb'] / 1024:.1f} MiB | {g / 1024:.1f} MiB | {g * 1024 / r['file_bytes']:.2f}× "
              f"| {delay} | {body} | {r['answer_ms']:.1f} ms | {r['rss_after_kb'] / 1024:.1f} MiB |")
        w("")

    w("## Commands")
    w("")
    w("```sh")
    w("make bench-stt                       # = scripts/setup --bench && bench/stt/run")
    w(a.command)
    w("```")
    w("")
    with open(a.out, "w") as f:
        f.write("\n".join(L))
    print("\n".join(f"  {line}" for line in summary))


if __name__ == "__main__":
    main()
