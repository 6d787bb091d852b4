#!/usr/bin/env python3
"""Mock OpenAI image provider for bench/images/run: answers every POST /v1/images/generations at once with one
noisy RGB PNG of about --bytes bytes as b64_json, like OpenAI with response_format=b64_json.

The pixels are random bytes (os.urandom), so the PNG does not compress and the answer really carries --bytes of
image (about 4/3 of that as base64). Every answer is a different image: a fixed-length tEXt chunk with a counter
sits before IEND, so Chorus's content-addressed media store writes a new file each time instead of finding the
previous one. The base64 of everything before that chunk is computed once at start-up (cut at a multiple of 3
bytes), so an answer costs the mock a few small encodes and one large write, the same for every caller.

  GET /health            -> {"ok": true}
  GET /debug/last        -> {"counter", "bytes", "sha256", "width", "height"} of the last image served
  POST /v1/images/generations (any JSON body; read and ignored) -> {"created", "data": [{"b64_json"}]}

Run: image_upstream.py --port PORT [--bytes 2097152] [--width 1024]
"""
import argparse
import base64
import hashlib
import json
import os
import struct
import threading
import zlib
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from common import QuietHandler, make_server, serve  # noqa: E402  (bench/common.py)


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


class Image:
    def __init__(self, target_bytes, width):
        row = 1 + 3 * width
        self.width = width
        self.height = max(1, round(target_bytes / row))
        raw = b"".join(b"\x00" + os.urandom(3 * width) for _ in range(self.height))
        # Level 0 (stored blocks): random bytes do not deflate anyway, and the size stays predictable.
        self.prefix = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, self.height, 8, 2, 0, 0, 0))
                       + chunk(b"IDAT", zlib.compress(raw, 0)))
        cut = len(self.prefix) - len(self.prefix) % 3
        self.prefix_b64 = base64.b64encode(self.prefix[:cut])
        self.rest = self.prefix[cut:]
        self.lock = threading.Lock()
        self.counter = 0
        self.last = None

    def tail(self, counter):
        return chunk(b"tEXt", b"Comment\x00chorus-bench-%020d" % counter) + chunk(b"IEND", b"")

    def next_b64(self):
        with self.lock:
            self.counter += 1
            counter = self.counter
            self.last = counter
        return counter, self.prefix_b64 + base64.b64encode(self.rest + self.tail(counter))

    def describe_last(self):
        with self.lock:
            counter = self.last
        if counter is None:
            return {"counter": 0}
        data = self.prefix + self.tail(counter)
        return {"counter": counter, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(),
                "width": self.width, "height": self.height}


class Handler(QuietHandler):
    image: Image = None

    def do_GET(self):
        if self.path == "/health":
            return self.send_body(200, b'{"ok": true}')
        if self.path == "/debug/last":
            return self.send_body(200, json.dumps(self.image.describe_last()).encode())
        self.send_body(404, b'{"error": {"message": "not found"}}')

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        if not self.path.endswith("/images/generations"):
            return self.send_body(404, b'{"error": {"message": "not found"}}')
        _, b64 = self.image.next_b64()
        body = b'{"created": 1700000000, "data": [{"b64_json": "' + b64 + b'"}]}'
        self.send_body(200, body)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--bytes", type=int, default=2 * 1024 * 1024)
    parser.add_argument("--width", type=int, default=1024)
    args = parser.parse_args()
    Handler.image = Image(args.bytes, args.width)
    server = make_server("127.0.0.1", args.port, Handler)
    info = Handler.image
    print(f"image_upstream: {info.width}x{info.height} RGB PNG, {len(info.prefix) + len(info.tail(0))} bytes, "
          f"port {args.port}", flush=True)
    serve(server)


if __name__ == "__main__":
    main()
