#!/usr/bin/env python3
"""A slow, wav-only text-to-speech upstream for bench/audio/run.

Serves `POST /v1/audio/speech` with a fixed WAV file, paced like a real-time TTS provider: nothing for
`--first-byte-ms` (the "thinking" time), then the response headers together with the WAV header and the first
`--piece-ms` of audio, then one piece every `--piece-ms`, as HTTP/1.1 chunks. Pieces are scheduled against the
request's arrival time (no drift from sleep overshoot), and TCP_NODELAY is set so Nagle/delayed-ACK cannot hold a
piece back. `GET /health` answers 200 for readiness checks.

Usage: slow_upstream.py --port 18091 --wav clip.wav [--first-byte-ms 200] [--piece-ms 100]
"""
import argparse
import struct
import sys
import time
import wave
import os

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from common import QuietHandler, make_server, serve  # noqa: E402  (bench/common.py)


def load_wav(path):
    """Returns (header bytes, pcm bytes, bytes per second) of a PCM WAV, rewritten with a canonical 44-byte header."""
    with wave.open(path, "rb") as w:
        channels, width, rate = w.getnchannels(), w.getsampwidth(), w.getframerate()
        pcm = w.readframes(w.getnframes())
    block = channels * width
    header = (b"RIFF" + struct.pack("<I", 36 + len(pcm)) + b"WAVEfmt "
              + struct.pack("<IHHIIHH", 16, 1, channels, rate, rate * block, block, width * 8)
              + b"data" + struct.pack("<I", len(pcm)))
    return header, pcm, rate * block, block


class Handler(QuietHandler):
    server_version = "slow-upstream/1"

    def do_GET(self):
        if self.path in ("/health", "/v1/health"):
            self.send_body(200, b"ok\n", "text/plain")
        else:
            self.send_json(200, {"object": "list", "data": []})

    def do_POST(self):
        arrived = time.monotonic()
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        if not self.path.endswith("/audio/speech"):
            self.send_error(404)
            return
        cfg = self.server.cfg
        header, pcm, per_second = cfg["header"], cfg["pcm"], cfg["bytes_per_second"]
        piece = max(cfg["block"], int(per_second * cfg["piece_ms"] / 1000) // cfg["block"] * cfg["block"])
        pieces = [pcm[i:i + piece] for i in range(0, len(pcm), piece)]
        first_at = arrived + cfg["first_byte_ms"] / 1000
        try:
            for index, data in enumerate(pieces):
                delay = first_at + index * cfg["piece_ms"] / 1000 - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                out = b""
                if index == 0:
                    out = (b"HTTP/1.1 200 OK\r\nContent-Type: audio/wav\r\nTransfer-Encoding: chunked\r\n"
                           b"Server: slow-upstream/1\r\n\r\n")
                    data = header + data
                out += b"%x\r\n%s\r\n" % (len(data), data)
                self.wfile.write(out)
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--wav", required=True)
    parser.add_argument("--first-byte-ms", type=float, default=200)
    parser.add_argument("--piece-ms", type=float, default=100)
    args = parser.parse_args()
    header, pcm, per_second, block = load_wav(args.wav)
    server = make_server(args.host, args.port, Handler)
    server.cfg = {"header": header, "pcm": pcm, "bytes_per_second": per_second, "block": block,
                  "first_byte_ms": args.first_byte_ms, "piece_ms": args.piece_ms}
    print(f"slow upstream on http://{args.host}:{args.port}: {len(pcm) / per_second:.2f} s wav, first byte after "
          f"{args.first_byte_ms:.0f} ms, {args.piece_ms:.0f} ms pieces", file=sys.stderr, flush=True)
    serve(server)


if __name__ == "__main__":
    main()
