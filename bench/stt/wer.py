#!/usr/bin/env python3
"""Word error rate of a Chorus transcription model, for bench/stt/run.

Three sets of spoken phrases, each with its reference transcript:
- tts:       the phrases in phrases.txt, spoken by the gateway's own text-to-speech (POST /v1/audio/speech, wav)
             in each of --voices;
- librivox:  recorded human speech shipped in samples/speech/ (transcripts.tsv: file<TAB>reference);
- alsa:      the spoken channel names of alsa-utils (/usr/share/sounds/alsa/*.wav, a recorded human voice),
             when that package is installed.
Each clip goes to POST /v1/audio/transcriptions (response_format=json) and the answer is compared with the
reference after normalisation (lower case, punctuation dropped, hyphens split).

WER = (substitutions + deletions + insertions) / reference words, from a word-level Levenshtein alignment;
the overall figure of a set sums edits and reference words over its phrases (it is not a mean of ratios).

Usage: wer.py --url http://127.0.0.1:18092 --key KEY --stt local-stt --tts local-tts --out results.json
"""
import argparse
import glob
import json
import os
import re
import sys
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


# ------------------------------------------------------------------------------------------------ word error rate
def normalize(text):
    text = text.lower().replace("-", " ")
    text = re.sub(r"[^a-z0-9' ]+", " ", text)
    return [w.strip("'") for w in text.split() if w.strip("'")]


def align(ref, hyp):
    """Word-level Levenshtein alignment: (substitutions, deletions, insertions, pairs) where pairs lists
    (ref word or None, hyp word or None) in order. Ties prefer a match/substitution, then a deletion."""
    n, m = len(ref), len(hyp)
    cost = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        cost[i][0] = i
    for j in range(1, m + 1):
        cost[0][j] = j
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            diagonal = cost[i - 1][j - 1] + (ref[i - 1] != hyp[j - 1])
            cost[i][j] = min(diagonal, cost[i - 1][j] + 1, cost[i][j - 1] + 1)
    subs = dels = ins = 0
    pairs = []
    i, j = n, m
    while i > 0 or j > 0:
        if i > 0 and j > 0 and cost[i][j] == cost[i - 1][j - 1] + (ref[i - 1] != hyp[j - 1]):
            subs += ref[i - 1] != hyp[j - 1]
            pairs.append((ref[i - 1], hyp[j - 1]))
            i, j = i - 1, j - 1
        elif i > 0 and cost[i][j] == cost[i - 1][j] + 1:
            dels += 1
            pairs.append((ref[i - 1], None))
            i -= 1
        else:
            ins += 1
            pairs.append((None, hyp[j - 1]))
            j -= 1
    pairs.reverse()
    assert subs + dels + ins == cost[n][m]
    return subs, dels, ins, pairs


def self_test():
    """The alignment on cases worked out by hand (it runs before every benchmark)."""
    cases = [
        ("a b c", "a b c", (0, 0, 0)),
        ("a b c", "a x c", (1, 0, 0)),
        ("a b c", "a c", (0, 1, 0)),
        ("a b c", "a b c d", (0, 0, 1)),
        ("a b c", "", (0, 3, 0)),
        ("", "a b", (0, 0, 2)),
        ("the cat sat on the mat", "the cat sat on mat", (0, 1, 0)),
        ("hello world", "oh wow really", (2, 0, 1)),
        ("Hello, World!", "hello world", (0, 0, 0)),
    ]
    for ref, hyp, want in cases:
        got = align(normalize(ref), normalize(hyp))[:3]
        assert got == want, f"align({ref!r}, {hyp!r}) = {got}, want {want}"


# ------------------------------------------------------------------------------------------------ gateway calls
def post(url, key, body, content_type, timeout=300):
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Authorization": f"Bearer {key}", "Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def speak(args, text, voice):
    body = json.dumps({"model": args.tts, "input": text, "voice": voice, "response_format": "wav"}).encode()
    status, audio = post(args.url + "/v1/audio/speech", args.key, body, "application/json")
    if status != 200:
        raise RuntimeError(f"speech failed ({status}): {audio[:300]!r}")
    return audio


def transcribe(args, audio, filename):
    boundary = "chorus-wer-boundary"
    fields = [("model", args.stt), ("response_format", "json")]
    if args.language:
        fields.append(("language", args.language))
    body = b"".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
                    for k, v in fields)
    body += (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
             f"Content-Type: application/octet-stream\r\n\r\n").encode() + audio + f"\r\n--{boundary}--\r\n".encode()
    started = time.monotonic()
    status, answer = post(args.url + "/v1/audio/transcriptions", args.key, body,
                          f"multipart/form-data; boundary={boundary}")
    elapsed = time.monotonic() - started
    if status != 200:
        raise RuntimeError(f"transcription of {filename} failed ({status}): {answer[:300]!r}")
    return json.loads(answer)["text"], elapsed


def wav_seconds(audio):
    """Duration of a PCM WAV in memory (for the real-time factor); None when it is not a plain WAV. Counted from
    the bytes present: a streamed WAV (the gateway's own speech) states an unknown size in its header."""
    import struct
    if audio[:4] != b"RIFF" or audio[8:12] != b"WAVE":
        return None
    offset, byte_rate = 12, None
    while offset + 8 <= len(audio):
        chunk, size = audio[offset:offset + 4], struct.unpack("<I", audio[offset + 4:offset + 8])[0]
        if chunk == b"fmt ":
            byte_rate = struct.unpack("<I", audio[offset + 16:offset + 20])[0]
        elif chunk == b"data":
            present = len(audio) - offset - 8
            return min(size, present) / byte_rate if byte_rate else None
        offset += 8 + size + (size & 1)
    return None


def flac_seconds(audio):
    """Duration from a FLAC STREAMINFO block."""
    if audio[:4] != b"fLaC":
        return None
    info = audio[8:8 + 34]
    rate = (info[10] << 12) | (info[11] << 4) | (info[12] >> 4)
    total = ((info[13] & 0x0F) << 32) | int.from_bytes(info[14:18], "big")
    return total / rate if rate else None


# ------------------------------------------------------------------------------------------------ sets
def tts_items(args):
    phrases = [line.strip() for line in open(args.phrases) if line.strip() and not line.startswith("#")]
    for voice in args.voices.split(","):
        for index, phrase in enumerate(phrases, 1):
            yield {"set": "tts", "id": f"{voice}-{index:02d}", "voice": voice, "reference": phrase,
                   "audio": lambda phrase=phrase, voice=voice: speak(args, phrase, voice), "filename": "speech.wav"}


def librivox_items(args):
    path = os.path.join(args.samples, "transcripts.tsv")
    for line in open(path):
        if not line.strip() or line.startswith("#"):
            continue
        name, reference = line.rstrip("\n").split("\t", 1)
        file = os.path.join(args.samples, name)
        yield {"set": "librivox", "id": os.path.splitext(name)[0], "reference": reference, "filename": name,
               "audio": lambda file=file: open(file, "rb").read()}


def alsa_items(args):
    for file in sorted(glob.glob(os.path.join(args.alsa, "*.wav"))):
        name = os.path.basename(file)
        if name.lower().startswith("noise"):
            continue
        reference = os.path.splitext(name)[0].replace("_", " ").lower()
        yield {"set": "alsa", "id": os.path.splitext(name)[0], "reference": reference, "filename": name,
               "audio": lambda file=file: open(file, "rb").read()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="Chorus base URL, without /v1")
    parser.add_argument("--key", required=True)
    parser.add_argument("--stt", default="local-stt")
    parser.add_argument("--tts", default="local-tts")
    parser.add_argument("--voices", default="alloy,coral", help="comma-separated TTS voices for the tts set")
    parser.add_argument("--language", default=None)
    parser.add_argument("--phrases", default=os.path.join(HERE, "phrases.txt"))
    parser.add_argument("--samples", default=os.path.join(ROOT, "samples", "speech"))
    parser.add_argument("--alsa", default="/usr/share/sounds/alsa")
    parser.add_argument("--out", required=True, help="JSON results file")
    args = parser.parse_args()
    self_test()

    items = list(tts_items(args)) + list(librivox_items(args)) + list(alsa_items(args))
    results = []
    for item in items:
        audio = item["audio"]()
        seconds = wav_seconds(audio) or flac_seconds(audio)
        hypothesis, elapsed = transcribe(args, audio, item["filename"])
        ref, hyp = normalize(item["reference"]), normalize(hypothesis)
        subs, dels, ins, _ = align(ref, hyp)
        record = {k: v for k, v in item.items() if k not in ("audio",)}
        record.update(hypothesis=hypothesis, ref_words=len(ref), subs=subs, dels=dels, ins=ins,
                      wer=(subs + dels + ins) / len(ref) if ref else None, audio_seconds=seconds,
                      transcribe_seconds=elapsed)
        results.append(record)
        print(f"  {item['set']:9} {item['id']:42} WER {100 * record['wer']:6.1f} %  "
              f"ref: {' '.join(ref)}\n  {'':9} {'':42} {'':12}  hyp: {' '.join(hyp)}", flush=True)

    print()
    for name in dict.fromkeys(r["set"] for r in results):
        rows = [r for r in results if r["set"] == name]
        words = sum(r["ref_words"] for r in rows)
        edits = sum(r["subs"] + r["dels"] + r["ins"] for r in rows)
        print(f"  {name:9} {len(rows):3} phrases, {words:4} reference words, WER {100 * edits / words:5.1f} %")
    with open(args.out, "w") as f:
        json.dump({"stt_model": args.stt, "tts_model": args.tts, "voices": args.voices, "results": results}, f, indent=1)


if __name__ == "__main__":
    try:
        main()
    except RuntimeError as error:
        print(f"wer.py: {error}", file=sys.stderr)
        sys.exit(1)
