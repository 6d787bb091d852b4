#!/usr/bin/env python3
"""Checks that transcoded files are what was asked for, so a fast-but-wrong result cannot pass the benchmark.

  check_output.py --codec mp3 --rate 24000 --source source.wav [--seconds 60] [--lossless] FILE[=NAME]...

- ffprobe: one audio stream, the codec, the sample rate, mono;
- duration measured by decoding every sample (not the container's estimate), within 0.25 s of --seconds
  (encoders add up to a few frames of priming/padding);
- content: decoded at 24 kHz and compared with the source. Lossless formats must match it sample for sample;
  lossy ones must correlate with it (after finding the codec delay) — silence, noise or another clip fail.

Prints one JSON object per file (with "name" when given); exit status 1 when a check fails.
"""
import argparse
import json
import subprocess
import sys

import numpy as np

RATE = 24000


def ffprobe(path):
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries",
                          "stream=codec_type,codec_name,sample_rate,channels:format=format_name",
                          "-of", "json", path], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"ffprobe failed on {path}: {out.stderr.strip()}")
    return json.loads(out.stdout)


def decode(path, rate=None):
    cmd = ["ffmpeg", "-v", "error", "-nostdin", "-i", path, "-ac", "1"]
    if rate:
        cmd += ["-ar", str(rate)]
    cmd += ["-f", "s16le", "-"]
    out = subprocess.run(cmd, capture_output=True)
    if out.returncode != 0:
        raise SystemExit(f"cannot decode {path}: {out.stderr.decode(errors='replace').strip()}")
    return np.frombuffer(out.stdout, dtype="<i2").astype(np.float64)


def similarity(source, decoded, max_lag):
    """Normalised correlation of `decoded` with `source` over their whole common length, at the lag (codec delay,
    0..max_lag samples) that best aligns a 10 s stretch of them."""
    n = min(len(source), len(decoded)) - max_lag
    if n <= RATE // 10:
        return 0.0, 0
    probe = source[:min(n, 10 * RATE)]
    size = 1 << int(np.ceil(np.log2(len(probe) + max_lag + len(probe))))
    spec = np.fft.rfft(decoded[:len(probe) + max_lag], size) * np.conj(np.fft.rfft(probe, size))
    corr = np.fft.irfft(spec, size)[:max_lag + 1]
    lag = int(np.argmax(corr))
    a, b = source[:n], decoded[lag:lag + n]
    denom = np.sqrt(np.dot(a, a) * np.dot(b, b))
    return (float(np.dot(a, b) / denom) if denom > 0 else 0.0), lag


def check(path, args, source):
    problems = []
    info = ffprobe(path)
    audio = [s for s in info.get("streams", []) if s.get("codec_type") == "audio"]
    result = {"file": path, "container": info.get("format", {}).get("format_name")}
    if len(audio) != 1:
        problems.append(f"{len(audio)} audio streams")
    else:
        s = audio[0]
        result.update(codec=s.get("codec_name"), rate=int(s.get("sample_rate", 0)), channels=s.get("channels"))
        if result["codec"] != args.codec:
            problems.append(f"codec {result['codec']}, expected {args.codec}")
        if result["rate"] != args.rate:
            problems.append(f"sample rate {result['rate']}, expected {args.rate}")
        if result["channels"] != 1:
            problems.append(f"{result['channels']} channels, expected mono")

    native = decode(path)
    duration = len(native) / args.rate if args.rate else 0
    result["duration"] = round(duration, 4)
    if abs(duration - args.seconds) > args.tolerance:
        problems.append(f"duration {duration:.3f} s, expected {args.seconds:.3f} ± {args.tolerance} s")

    decoded = native if args.rate == RATE else decode(path, RATE)
    if args.lossless:
        same = len(decoded) == len(source) and np.array_equal(decoded, source)
        result["bit_exact"] = bool(same)
        if not same:
            problems.append("lossless output differs from the source samples")
    else:
        corr, lag = similarity(source, decoded, max_lag=RATE // 4)
        result["correlation"] = round(corr, 4)
        result["delay_ms"] = round(1000 * lag / RATE, 1)
        if corr < args.min_correlation:
            problems.append(f"correlation with the source {corr:.3f} < {args.min_correlation}")
    result["ok"] = not problems
    if problems:
        result["problems"] = problems
    return result


def main():
    p = argparse.ArgumentParser()
    p.add_argument("files", nargs="+", metavar="FILE[=NAME]")
    p.add_argument("--codec", required=True)
    p.add_argument("--rate", type=int, required=True)
    p.add_argument("--source", required=True)
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--tolerance", type=float, default=0.25)
    p.add_argument("--lossless", action="store_true")
    p.add_argument("--min-correlation", type=float, default=0.8)
    p.add_argument("--group", help="added to each JSON object")
    args = p.parse_args()

    source = decode(args.source, RATE)
    failed = False
    for spec in args.files:
        path, _, name = spec.partition("=")
        result = check(path, args, source)
        if name:
            result["name"] = name
        if args.group:
            result["group"] = args.group
        failed |= not result["ok"]
        print(json.dumps(result), flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
