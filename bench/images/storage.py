#!/usr/bin/env python3
"""Client of the b64 -> url storage benchmark (bench/images/run): the same image generation request, interleaved
over rounds, to

  direct  the mock upstream itself (b64_json answer, what Chorus receives),
  b64     Chorus with response_format=b64_json (Chorus decodes the image, reads its header, re-encodes it),
  url     Chorus with response_format=url (Chorus decodes, writes the content-addressed file and the media row,
          answers with a /v1/media URL),
  get     GET of the URL the url answer just gave (no Authorization header, as an <img> tag would fetch it).

One persistent connection per server (http.client, TCP_NODELAY); a leg's time runs from sending the request to
the last byte of the answer read (time to the response headers is kept too). Each round runs the three POST legs
in a rotated order (direct, b64, url / b64, url, direct / url, direct, b64), `get` right after `url`. Every answer
is checked outside the timed part: status 200, for b64 answers the decoded image's size and SHA-256 against what
the mock served last (GET /debug/last), for url answers that the URL fetched the same PNG, byte for byte.
Writes one JSON line per measured request to --out; exits 1 when any check failed.
"""
import argparse
import base64
import hashlib
import http.client
import json
import socket
import struct
import sys
import time
import urllib.parse


class Connection:
    """A keep-alive HTTP/1.1 connection that notices (and counts) when the server closed it."""

    def __init__(self, base):
        url = urllib.parse.urlsplit(base)
        self.host, self.port = url.hostname, url.port
        self.conn = None
        self.opened = 0

    def _open(self):
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        self.conn.connect()
        self.conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.opened += 1

    def request(self, method, path, body=None, headers=None):
        """(status, headers, body, ms to headers, ms to last byte)."""
        if self.conn is None or self.conn.sock is None:
            self._open()
        start = time.perf_counter_ns()
        self.conn.request(method, path, body=body, headers=headers or {})
        response = self.conn.getresponse()
        headed = time.perf_counter_ns()
        data = response.read()
        done = time.perf_counter_ns()
        if response.will_close:
            self.conn.close()
            self.conn = None
        return response.status, dict(response.getheaders()), data, (headed - start) / 1e6, (done - start) / 1e6


def png_size(data):
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", data[16:24])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--upstream", required=True)
    p.add_argument("--chorus", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--model", default="bench-image")
    p.add_argument("--rounds", type=int, default=40)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--out", required=True)
    a = p.parse_args()

    upstream, chorus, debug = Connection(a.upstream), Connection(a.chorus), Connection(a.upstream)
    chorus_netloc = urllib.parse.urlsplit(a.chorus).netloc
    headers = {"Authorization": f"Bearer {a.key}", "Content-Type": "application/json"}
    failures = []
    out = open(a.out, "w")

    def body(leg, round_no, response_format):
        # The prompt names the leg so the usage log rows can be told apart; direct and b64 send the same shape.
        return json.dumps({"model": a.model, "prompt": f"imgbench {leg} round {round_no:03d}", "n": 1,
                           "response_format": response_format}).encode()

    def last_served():
        status, _, data, _, _ = debug.request("GET", "/debug/last")
        return json.loads(data) if status == 200 else {}

    def fail(round_no, leg, why):
        failures.append(f"round {round_no} {leg}: {why}")
        return why

    def check_b64(round_no, leg, status, data):
        if status != 200:
            return fail(round_no, leg, f"status {status}: {data[:300]!r}")
        try:
            entry = json.loads(data)["data"][0]
            image = base64.b64decode(entry["b64_json"], validate=True)
        except Exception as error:  # noqa: BLE001 - any malformed answer is a failed check
            return fail(round_no, leg, f"bad b64 answer: {error}")
        served = last_served()
        size = png_size(image)
        if (len(image), hashlib.sha256(image).hexdigest()) != (served.get("bytes"), served.get("sha256")):
            return fail(round_no, leg, f"image differs from what the upstream served ({len(image)} vs {served.get('bytes')} bytes)")
        if size != (served.get("width"), served.get("height")):
            return fail(round_no, leg, f"PNG header says {size}")
        return None

    def run_round(round_no, record):
        rotation = round_no % 3
        legs = ["direct", "b64", "url"]
        legs = legs[rotation:] + legs[:rotation]
        for leg in legs:
            if leg == "direct":
                status, _, data, headed, total = upstream.request("POST", "/v1/images/generations",
                                                                  body(leg, round_no, "b64_json"), headers)
                problem = check_b64(round_no, leg, status, data)
                results = [(leg, status, len(data), headed, total, problem)]
            elif leg == "b64":
                status, _, data, headed, total = chorus.request("POST", "/v1/images/generations",
                                                                body(leg, round_no, "b64_json"), headers)
                problem = check_b64(round_no, leg, status, data)
                results = [(leg, status, len(data), headed, total, problem)]
            else:
                status, _, data, headed, total = chorus.request("POST", "/v1/images/generations",
                                                                body(leg, round_no, "url"), headers)
                problem, path = None, None
                if status != 200:
                    problem = fail(round_no, leg, f"status {status}: {data[:300]!r}")
                else:
                    try:
                        entry = json.loads(data)["data"][0]
                        url = urllib.parse.urlsplit(entry["url"])
                        if "b64_json" in entry:
                            problem = fail(round_no, leg, "url answer also carries b64_json")
                        elif url.netloc != chorus_netloc or not url.path.startswith("/v1/media/img_"):
                            problem = fail(round_no, leg, f"unexpected url {entry['url']}")
                        else:
                            path = url.path
                    except Exception as error:  # noqa: BLE001
                        problem = fail(round_no, leg, f"bad url answer: {error}")
                results = [(leg, status, len(data), headed, total, problem)]
                if path:
                    # Fetched right away, on the same connection, without a key.
                    g_status, g_headers, image, g_headed, g_total = chorus.request("GET", path)
                    g_problem = None
                    if g_status != 200:
                        g_problem = fail(round_no, "get", f"status {g_status}")
                    else:
                        served = last_served()
                        content_type = {k.lower(): v for k, v in g_headers.items()}.get("content-type")
                        if content_type != "image/png":
                            g_problem = fail(round_no, "get", f"content-type {content_type}")
                        elif (len(image), hashlib.sha256(image).hexdigest()) != (served.get("bytes"), served.get("sha256")):
                            g_problem = fail(round_no, "get", f"stored image differs from the upstream's ({len(image)} vs {served.get('bytes')} bytes)")
                        elif png_size(image) != (served.get("width"), served.get("height")):
                            g_problem = fail(round_no, "get", f"PNG header says {png_size(image)}")
                    results.append(("get", g_status, len(image), g_headed, g_total, g_problem))
            if record:
                for leg_name, status, size, headed, total, problem in results:
                    out.write(json.dumps({"round": round_no, "leg": leg_name, "order": legs.index(leg), "status": status,
                                          "bytes": size, "headers_ms": round(headed, 4), "ms": round(total, 4),
                                          "ok": problem is None, "problem": problem}) + "\n")

    for w in range(a.warmup):
        run_round(-(w + 1), record=False)
    warm_failures = len(failures)
    for r in range(1, a.rounds + 1):
        run_round(r, record=True)
        print(f"  round {r}/{a.rounds}", end="\r", flush=True)
    print()
    out.write(json.dumps({"summary": True, "rounds": a.rounds, "warmup": a.warmup, "failures": failures,
                          "warmup_failures": warm_failures, "connections_opened":
                          {"upstream": upstream.opened, "chorus": chorus.opened}}) + "\n")
    out.close()
    if failures:
        print("storage.py: checks failed:\n  " + "\n  ".join(failures[:10]), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
