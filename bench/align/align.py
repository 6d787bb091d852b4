#!/usr/bin/env python3
"""Alignment accuracy of Chorus's local aligner (issue 18 item 1), through a running gateway.

For each phrase of bench/stt/phrases.txt and each voice, the phrase is spoken word by word by the gateway's
embedded TTS (local-tts, wav), each word trimmed of its silence and joined with GAP seconds of silence after a
0.5 s lead-in: so every word's true start is known exactly. The clip is then sent to `aligned-stt`, a model whose
provider (a mock, started here) answers JSON text only — the phrase itself — whatever format is asked, as the newer
hosted transcription models do. Chorus must align that text to the audio to answer verbose_json with word times.
Reported: word-start error (|aligned - true|) median, p90 and max per voice and overall, the share of words within
0.3 s (the issue's acceptance is a median under 0.3 s), the `x-chorus-timestamps` values seen, and the real-time
factor (seconds of audio per second of request).

    python3 bench/align/align.py --url http://127.0.0.1:PORT/v1 --key KEY --mock-port P --voices alloy,coral --out FILE
(bench/align/run starts the gateway and calls this.)
"""
import argparse, http.server, io, json, statistics, threading, time, urllib.request, wave, struct, re

def phrases(path):
    return [l.strip() for l in open(path) if l.strip() and not l.startswith('#')]

class TextOnly(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get('Content-Length', 0)))
        match = re.search(rb'name="prompt"\r\n\r\n(.*?)\r\n', body, re.S)
        text = match.group(1).decode() if match else ""
        answer = json.dumps({"text": text}).encode()
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)
    def log_message(self, *args):
        pass

def post(url, key, body, content_type):
    request = urllib.request.Request(url, data=body, headers={'Authorization': f'Bearer {key}', 'Content-Type': content_type})
    with urllib.request.urlopen(request, timeout=300) as response:
        return response.read(), dict(response.headers)

def speak(url, key, word, voice):
    audio, _ = post(f'{url}/audio/speech', key, json.dumps({"model": "local-tts", "input": word, "voice": voice, "response_format": "wav"}).encode(), 'application/json')
    # A streamed WAV states no length (0xFFFFFFFF): the samples are whatever follows the header.
    with wave.open(io.BytesIO(audio)) as w:
        rate = w.getframerate()
        data = w.readframes(1 << 30)
    samples = struct.unpack(f'<{len(data) // 2}h', data[:len(data) // 2 * 2])
    loud = [i for i, s in enumerate(samples) if abs(s) > 300]
    return (samples[loud[0]:loud[-1] + 1] if loud else samples), rate

def clip(url, key, phrase, voice, gap):
    pieces, starts, rate = [], [], 24000
    total = int(0.5 * rate)
    pieces.append([0] * total)
    for word in phrase.split():
        samples, rate = speak(url, key, word, voice)
        starts.append(total / rate)
        pieces.append(list(samples)); total += len(samples)
        silence = int(gap * rate); pieces.append([0] * silence); total += silence
    pieces.append([0] * int(0.5 * rate)); total += int(0.5 * rate)
    data = io.BytesIO()
    with wave.open(data, 'wb') as w:
        w.setnchannels(1); w.setsampwidth(2); w.setframerate(rate)
        w.writeframes(b''.join(struct.pack(f'<{len(p)}h', *p) for p in pieces))
    return data.getvalue(), starts, total / rate

def transcribe(url, key, audio, phrase):
    boundary = 'chorus-align-bench'
    fields = [('model', 'aligned-stt'), ('response_format', 'verbose_json'), ('timestamp_granularities[]', 'word'), ('prompt', phrase)]
    body = b''.join(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode() for k, v in fields)
    body += f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\nContent-Type: audio/wav\r\n\r\n'.encode() + audio + f'\r\n--{boundary}--\r\n'.encode()
    start = time.monotonic()
    answer, headers = post(f'{url}/audio/transcriptions', key, body, f'multipart/form-data; boundary={boundary}')
    return json.loads(answer), headers.get('x-chorus-timestamps') or headers.get('X-Chorus-Timestamps'), time.monotonic() - start

def summary(errors):
    ordered = sorted(errors)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]
    return {"words": len(ordered), "median": statistics.median(ordered), "p90": pick(0.9), "max": ordered[-1],
            "within_0_3": sum(e <= 0.3 for e in ordered) / len(ordered)}

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--url'); parser.add_argument('--key'); parser.add_argument('--mock-port', type=int)
    parser.add_argument('--voices', default='alloy,coral'); parser.add_argument('--gap', type=float, default=0.15)
    parser.add_argument('--phrases'); parser.add_argument('--out')
    args = parser.parse_args()
    server = http.server.ThreadingHTTPServer(('127.0.0.1', args.mock_port), TextOnly)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    results = {"voices": {}, "methods": {}, "phrases": []}
    everything, audio_seconds, request_seconds = [], 0.0, 0.0
    for voice in args.voices.split(','):
        errors = []
        for phrase in phrases(args.phrases):
            audio, truth, seconds = clip(args.url, args.key, phrase, voice, args.gap)
            answer, method, took = transcribe(args.url, args.key, audio, phrase)
            results["methods"][method] = results["methods"].get(method, 0) + 1
            words = answer.get("words", [])
            phrase_errors = [abs(w["start"] - t) for w, t in zip(words, truth)] if len(words) == len(truth) else [seconds] * len(truth)
            errors += phrase_errors; audio_seconds += seconds; request_seconds += took
            results["phrases"].append({"voice": voice, "phrase": phrase, "method": method, "median": statistics.median(phrase_errors),
                                       "max": max(phrase_errors), "rtf": seconds / took})
            print(f"  {voice:6} {method:9} median {statistics.median(phrase_errors):.3f} s  max {max(phrase_errors):.3f} s  {phrase}")
        results["voices"][voice] = summary(errors)
        everything += errors
    results["all"] = summary(everything)
    results["rtf"] = audio_seconds / request_seconds
    json.dump(results, open(args.out, 'w'), indent=1)
    server.shutdown()

if __name__ == '__main__':
    main()
