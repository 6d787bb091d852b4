#!/usr/bin/env python3
"""A transcription upstream for bench/stt/run that records when each forwarded request starts arriving.

`POST .../audio/transcriptions` (or translations): the CLOCK_MONOTONIC time at which the request line was read
(the first bytes of the forwarded request; the handler thread is blocked in recv() until then) is kept, the
body is read (Content-Length or chunked), the `file` part is found and hashed, and the answer is a small JSON
transcript. `GET /last` returns the record of the last request as JSON:
`{"arrived_ns", "body_done_ns", "body_bytes", "file_bytes", "file_sha256", "http_version"}`.
`GET /health` answers 200 for readiness checks.

Usage: upload_upstream.py --port 18093
"""
import argparse
import hashlib
import sys
import threading
import time
import os

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from common import QuietHandler, make_server, serve  # noqa: E402  (bench/common.py)


def file_part(body, content_type):
    """The bytes of the multipart part named "file" (None when there is none)."""
    boundary = None
    for parameter in content_type.split(";")[1:]:
        name, _, value = parameter.strip().partition("=")
        if name.lower() == "boundary":
            boundary = value.strip('"').encode()
    if not boundary:
        return None
    delimiter = b"\r\n--" + boundary
    start = body.find(b'name="file"')
    if start < 0:
        return None
    data_start = body.find(b"\r\n\r\n", start) + 4
    data_end = body.find(delimiter, data_start)
    return body[data_start:data_end] if data_start >= 4 and data_end >= 0 else None


class Handler(QuietHandler):
    server_version = "upload-upstream/1"

    def parse_request(self):
        # Called right after the request line came in: the first bytes of this request on the connection.
        self.arrived_ns = time.monotonic_ns()
        return super().parse_request()

    def do_GET(self):
        if self.path in ("/health", "/v1/health"):
            self.send_json(200, {"status": "ok"})
        elif self.path == "/last":
            with self.server.lock:
                self.send_json(200, self.server.last or {})
        else:
            self.send_json(404, {"error": {"message": "not found"}})

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            pieces = []
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(pieces)
                pieces.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_POST(self):
        arrived = self.arrived_ns
        body = self.read_body()
        done = time.monotonic_ns()
        if not self.path.endswith(("/audio/transcriptions", "/audio/translations")):
            self.send_json(404, {"error": {"message": "not found"}})
            return
        part = file_part(body, self.headers.get("Content-Type", ""))
        record = {"arrived_ns": arrived, "body_done_ns": done, "body_bytes": len(body),
                  "file_bytes": len(part) if part is not None else None,
                  "file_sha256": hashlib.sha256(part).hexdigest() if part is not None else None,
                  "http_version": self.request_version}
        with self.server.lock:
            self.server.last = record
        self.send_json(200, {"text": "forwarded"})


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    server = make_server(args.host, args.port, Handler)
    server.lock = threading.Lock()
    server.last = None
    print(f"upload upstream on http://{args.host}:{args.port}", file=sys.stderr, flush=True)
    serve(server)


if __name__ == "__main__":
    main()
