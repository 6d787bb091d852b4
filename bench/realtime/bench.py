"""The realtime relay's cost: per-frame round trips through Chorus vs straight to the mock upstream and vs nginx (a
lean WebSocket proxy, the reference), and sessions held open at once with Chorus's RSS per session. Driven by
bench/realtime/run (which starts the servers)."""
import asyncio
import json
import statistics
import sys
import time

from websockets.asyncio.client import connect


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


async def round_trips(url, headers, frames, size):
    payload = json.dumps({"type": "bench.echo", "pad": "x" * size})
    times = []
    async with connect(url, additional_headers=headers, max_size=None) as ws:
        await ws.recv()   # session.created
        for _ in range(50):   # warm-up
            await ws.send(payload)
            await ws.recv()
        for _ in range(frames):
            start = time.perf_counter()
            await ws.send(payload)
            echoed = await ws.recv()
            times.append((time.perf_counter() - start) * 1e6)
            assert echoed == payload
    return times


def pct(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]


async def hold(url, headers, count, chorus_pid):
    before = rss_kib(chorus_pid)
    sockets = []
    start = time.perf_counter()
    for _ in range(count):
        ws = await connect(url, additional_headers=headers, max_size=None)
        await ws.recv()
        sockets.append(ws)
    opened = time.perf_counter() - start
    await asyncio.sleep(1)
    held = rss_kib(chorus_pid)
    for ws in sockets:
        await ws.close()
    return before, held, opened


async def main():
    chorus, upstream, key, chorus_pid, frames, size, sessions, out, nginx = sys.argv[1:10]
    frames, size, sessions = int(frames), int(size), int(sessions)
    via_url = f"ws://127.0.0.1:{chorus}/v1/realtime?model=bench-realtime"
    direct_url = f"ws://127.0.0.1:{upstream}/v1/realtime?model=bench-upstream"
    nginx_url = f"ws://127.0.0.1:{nginx}/v1/realtime?model=bench-upstream"
    auth = {"Authorization": f"Bearer {key}"}
    results = {"frames": frames, "frame_bytes": size, "rounds": []}
    for _ in range(3):   # interleaved rounds: direct, through nginx, through Chorus
        direct = await round_trips(direct_url, {}, frames, size)
        proxied = await round_trips(nginx_url, {}, frames, size)
        via = await round_trips(via_url, auth, frames, size)
        results["rounds"].append({"direct_p50": pct(direct, 50), "direct_p99": pct(direct, 99),
                                  "nginx_p50": pct(proxied, 50), "nginx_p99": pct(proxied, 99),
                                  "via_p50": pct(via, 50), "via_p99": pct(via, 99)})
    before, held, opened = await hold(via_url, auth, sessions, int(chorus_pid))
    results.update(sessions=sessions, rss_before_kib=before, rss_held_kib=held, open_seconds=opened)
    with open(out, "w") as f:
        json.dump(results, f, indent=1)


asyncio.run(main())
