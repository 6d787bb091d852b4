#!/usr/bin/env python3
"""One upload measurement for bench/stt/run: sends a large file to Chorus's /v1/audio/transcriptions and reports
the gateway's peak memory growth and the time from the last upload byte to the start of the forwarded request.

How the two figures are taken:
- Last upload byte: the multipart body is sent except its last `--tail` bytes (the end of the file and the closing
  boundary). The client then waits until the gateway has read everything sent so far (its socket's receive queue
  in /proc/net/tcp is empty, and stays empty for 50 ms, so the gateway is idle, waiting for the rest), sends the
  tail (a few KiB: one segment on loopback), taking CLOCK_MONOTONIC just before that send (so the figure is an
  upper bound: a reading after it could come late if this process lost the CPU). The gateway cannot know the
  upload is complete before the closing boundary, so nothing of the forwarding can start earlier.
- Forwarding start: upload_upstream.py records CLOCK_MONOTONIC when the forwarded request line arrived (same clock,
  same machine). forward delay = that - last upload byte. A warm-up request before the measured ones lets curl
  reuse its connection, as it would in steady state.
- Memory: the gateway's peak RSS is reset before each request (`5` into /proc/PID/clear_refs, so VmHWM starts
  again from the current RSS) and read after the answer; growth = VmHWM - VmRSS before the request. VmRSS is also
  sampled every millisecond as a cross-check.

Prints one JSON line per round on stdout, and a readable line on stderr.
"""
import argparse
import hashlib
import json
import os
import socket
import sys
import threading
import time
import urllib.request


def status_kb(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return None


def reset_peak(pid):
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def receive_queue(local_port, remote_port):
    """(gateway socket's unread bytes, client socket's unacknowledged bytes) for one loopback connection."""
    rx, tx = None, None
    want_server = f"0100007F:{local_port:04X}", f"0100007F:{remote_port:04X}"
    want_client = want_server[1], want_server[0]
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            parts = line.split()
            queues = parts[4].split(":")
            if (parts[1], parts[2]) == want_server:
                rx = int(queues[1], 16)
            elif (parts[1], parts[2]) == want_client:
                tx = int(queues[0], 16)
    return rx, tx


class RSSSampler(threading.Thread):
    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.peak, self.stop = pid, 0, threading.Event()

    def run(self):
        while not self.stop.is_set():
            try:
                self.peak = max(self.peak, status_kb(self.pid, "VmRSS") or 0)
            except OSError:
                return
            time.sleep(0.001)


def multipart(file_bytes, filename, model, boundary):
    head = "".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
                   for name, value in [("model", model), ("response_format", "json")])
    head += (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
             f"Content-Type: application/octet-stream\r\n\r\n")
    return head.encode() + file_bytes + f"\r\n--{boundary}--\r\n".encode()


def read_response(sock):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise RuntimeError("connection closed before the response head")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return status, rest


def one_round(args, payload, label, file_sha, file_size):
    pid = args.pid
    time.sleep(0.3)  # let the previous request's memory settle
    before = status_kb(pid, "VmRSS")
    peak_reset = reset_peak(pid)
    sampler = RSSSampler(pid)
    sampler.start()
    sock = socket.create_connection(("127.0.0.1", args.port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    local_port = sock.getsockname()[1]
    head = (f"POST /v1/audio/transcriptions HTTP/1.1\r\nHost: 127.0.0.1:{args.port}\r\n"
            f"Authorization: Bearer {args.key}\r\nContent-Type: multipart/form-data; boundary={args.boundary}\r\n"
            f"Content-Length: {len(payload)}\r\n\r\n").encode()
    started = time.monotonic_ns()
    sock.sendall(head + payload[:-args.tail])
    # Wait until the gateway has read all of it and sits idle.
    idle_since = None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        rx, tx = receive_queue(args.port, local_port)
        if rx == 0 and tx == 0:
            idle_since = idle_since or time.monotonic()
            if time.monotonic() - idle_since >= args.idle_ms / 1000:
                break
        else:
            idle_since = None
        time.sleep(0.0005)
    # Taken just before the send: on a busy machine this process can lose the CPU right after the send, long
    # enough for the gateway to forward first; a reading taken before the send can only make the delay longer.
    last_byte = time.monotonic_ns()
    sock.sendall(payload[-args.tail:])
    status, body = read_response(sock)
    answered = time.monotonic_ns()
    sock.close()
    sampler.stop.set()
    sampler.join()
    hwm = status_kb(pid, "VmHWM")
    time.sleep(0.3)
    after = status_kb(pid, "VmRSS")
    with urllib.request.urlopen(f"http://127.0.0.1:{args.upstream_port}/last", timeout=5) as r:
        upstream = json.load(r)
    forwarded = bool(upstream) and upstream.get("arrived_ns", 0) > last_byte - 10**9 and status == 200
    return {
        "label": label, "file_bytes": file_size, "upload_bytes": len(payload) + len(head), "status": status,
        "answer": body[:200].decode("utf-8", "replace"),
        "send_ms": (last_byte - started) / 1e6,
        "forward_delay_ms": (upstream["arrived_ns"] - last_byte) / 1e6 if forwarded else None,
        "upstream_body_ms": (upstream["body_done_ns"] - upstream["arrived_ns"]) / 1e6 if forwarded else None,
        "answer_ms": (answered - last_byte) / 1e6,
        "forwarded_identical": forwarded and upstream.get("file_sha256") == file_sha,
        "rss_before_kb": before, "rss_peak_kb": hwm if peak_reset else None, "rss_sampled_peak_kb": sampler.peak,
        "rss_after_kb": after, "peak_reset": peak_reset,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True, help="Chorus port")
    parser.add_argument("--upstream-port", type=int, required=True)
    parser.add_argument("--pid", type=int, required=True, help="Chorus process id")
    parser.add_argument("--key", required=True)
    parser.add_argument("--case", action="append", required=True, metavar="LABEL::MODEL::PATH",
                        help="an upload to measure; with several, each round sends each once, in an order rotated "
                             "every round, so load that drifts over the run hits every case alike")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--phase", default="", help="recorded in every line (the report groups by it)")
    parser.add_argument("--warmup", default=None, help="a small file sent once first (not reported)")
    parser.add_argument("--warmup-model", default=None)
    parser.add_argument("--tail", type=int, default=4096)
    parser.add_argument("--idle-ms", type=float, default=50, help="how long the gateway's receive queue must stay empty")
    parser.add_argument("--boundary", default="chorus-bench-boundary-7d1f")
    args = parser.parse_args()
    cases = []
    for spec in args.case:
        label, model, path = spec.split("::", 2)
        with open(path, "rb") as f:
            data = f.read()
        cases.append({"label": label, "payload": multipart(data, os.path.basename(path), model, args.boundary),
                      "sha": hashlib.sha256(data).hexdigest(), "size": len(data)})
        del data
    if args.warmup:
        with open(args.warmup, "rb") as f:
            small = f.read()
        one_round(args, multipart(small, os.path.basename(args.warmup), args.warmup_model, args.boundary), "warmup",
                  hashlib.sha256(small).hexdigest(), len(small))
    for r in range(1, args.rounds + 1):
        for k in range(len(cases)):
            case = cases[(r - 1 + k) % len(cases)]
            record = one_round(args, case["payload"], case["label"], case["sha"], case["size"])
            record["round"] = r
            record["phase"] = args.phase
            print(json.dumps(record), flush=True)
            growth = max(record["rss_peak_kb"] or 0, record["rss_sampled_peak_kb"]) - record["rss_before_kb"]
            delay = record["forward_delay_ms"]
            print(f"  round {r}, {case['label']}: status {record['status']}, RSS +{growth / 1024:.1f} MiB "
                  f"({growth * 1024 / record['file_bytes']:.2f}x the file), forwarded "
                  f"{'-' if delay is None else f'{delay:.2f} ms'} after the last byte, "
                  f"identical: {record['forwarded_identical']}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
