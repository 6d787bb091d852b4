#!/usr/bin/env python3
"""Open N concurrent SSE streams through a server and sample a process's memory while they are all open.

    hold.py --port P --pid PID [--conns 1000] [--key K] [--body JSON] [--open-timeout 60] [--hold 5]

Each stream is a keep-open POST /v1/chat/completions with "stream": true (the upstream model decides the pace,
e.g. bench-sse-60-1000: 60 events one second apart). A stream counts as open once its first SSE event arrived.
When all are open (or open-timeout passed) it samples /proc/PID/status (VmRSS, VmHWM, Threads) and the fd count
every 0.25 s for --hold seconds, checks the streams kept flowing, closes every connection, waits for the
process to settle and samples again. Prints one line: RESULT {...} (sizes in kB).
"""
import argparse
import asyncio
import json
import os
import sys
import time


def proc_status(pid):
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "Threads"):
                    out[k] = int(v.split()[0])
        out["fds"] = len(os.listdir(f"/proc/{pid}/fd"))
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return out


class Stream:
    def __init__(self):
        self.opened = asyncio.Event()
        self.events = 0
        self.status = None
        self.error = None
        self.writer = None


async def run_stream(st, args, request, gate):
    try:
        async with gate:  # bound the number of connections being set up at once
            reader, writer = await asyncio.open_connection(args.host, args.port, limit=1 << 20)
            st.writer = writer
            writer.write(request)
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            st.status = int(head[9:12])
            if st.status != 200:
                st.error = f"status {st.status}"
                return
            buf = b""
            while b"\n\n" not in buf:
                data = await reader.read(65536)
                if not data:
                    st.error = "closed before the first event"
                    return
                buf += data
            st.events = buf.count(b"\n\n")
            st.opened.set()
        while True:  # keep draining so the server never sees back-pressure
            data = await reader.read(65536)
            if not data:
                return
            st.events += data.count(b"\n\n")
    except asyncio.CancelledError:
        raise
    except Exception as e:  # noqa: BLE001 - report any failure as data
        st.error = f"{type(e).__name__}: {e}"


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--path", default="/v1/chat/completions")
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--conns", type=int, default=1000)
    ap.add_argument("--key", default="")
    ap.add_argument("--body", default='{"model":"bench-sse-60-1000","stream":true,'
                                      '"messages":[{"role":"user","content":"Say hello."}]}')
    ap.add_argument("--open-timeout", type=float, default=60)
    ap.add_argument("--hold", type=float, default=5)
    ap.add_argument("--settle", type=float, default=3)
    args = ap.parse_args()

    body = args.body.encode()
    auth = f"Authorization: Bearer {args.key}\r\n" if args.key else ""
    request = (f"POST {args.path} HTTP/1.1\r\nHost: {args.host}:{args.port}\r\nContent-Type: application/json\r\n"
               f"Accept: text/event-stream\r\n{auth}Content-Length: {len(body)}\r\n\r\n").encode() + body

    before = proc_status(args.pid)
    gate = asyncio.Semaphore(64)
    streams = [Stream() for _ in range(args.conns)]
    t0 = time.monotonic()
    tasks = [asyncio.create_task(run_stream(s, args, request, gate)) for s in streams]

    deadline = t0 + args.open_timeout
    while time.monotonic() < deadline:
        n_open = sum(s.opened.is_set() for s in streams)
        n_failed = sum(1 for s in streams if s.error and not s.opened.is_set())
        if n_open + n_failed >= args.conns:
            break
        await asyncio.sleep(0.05)
    t_open = time.monotonic() - t0
    opened = sum(s.opened.is_set() for s in streams)

    samples = []
    ev0 = sum(s.events for s in streams)
    t_hold_end = time.monotonic() + args.hold
    while time.monotonic() < t_hold_end:
        samples.append(proc_status(args.pid))
        await asyncio.sleep(0.25)
    ev1 = sum(s.events for s in streams)
    still_open = sum(1 for s, t in zip(streams, tasks) if s.opened.is_set() and s.error is None and not t.done())

    for s in streams:
        if s.writer is not None:
            s.writer.close()
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await asyncio.sleep(args.settle)
    after = proc_status(args.pid)

    errors = {}
    for s in streams:
        if s.error:
            errors[s.error] = errors.get(s.error, 0) + 1
    rss = [x.get("VmRSS", 0) for x in samples]
    res = {
        "conns": args.conns, "opened": opened, "still_open": still_open, "open_seconds": round(t_open, 3),
        "events_during_hold": ev1 - ev0, "hold_seconds": args.hold,
        "rss_before_kb": before.get("VmRSS"), "rss_open_max_kb": max(rss) if rss else None,
        "rss_open_median_kb": sorted(rss)[len(rss) // 2] if rss else None,
        "rss_anon_before_kb": before.get("RssAnon"), "rss_file_before_kb": before.get("RssFile"),
        "rss_anon_open_kb": max((x.get("RssAnon", 0) for x in samples), default=None),
        "rss_file_open_kb": max((x.get("RssFile", 0) for x in samples), default=None),
        "hwm_kb": max((x.get("VmHWM", 0) for x in samples), default=None),
        "threads_open": max((x.get("Threads", 0) for x in samples), default=None),
        "fds_open": max((x.get("fds", 0) for x in samples), default=None),
        "rss_after_close_kb": after.get("VmRSS"), "fds_after_close": after.get("fds"),
        "errors": errors,
    }
    print("RESULT " + json.dumps(res), flush=True)
    return 0 if opened == args.conns else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
