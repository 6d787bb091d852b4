"""A mock OpenAI Realtime (GA) upstream for the SDK tests and the samples: `python3 mock_realtime.py PORT [LOG]`.

Written from the published event protocol: the server speaks first (`session.created`), answers `session.update`
with `session.updated`, `input_audio_buffer.commit` with `input_audio_buffer.committed`, and `response.create` with
`response.created`, `response.output_audio.delta` (0.5 s of a 440 Hz tone, PCM16 24 kHz, base64),
`response.output_audio_transcript.delta`, `response.output_audio.done` and `response.done` with `response.usage`.
`bench.echo` events come back unchanged (the relay benchmark). Each connection's path and Authorization header are
appended to LOG as one JSON line.
"""
import asyncio
import base64
import json
import math
import struct
import sys

from websockets.asyncio.server import serve

USAGE = {"total_tokens": 230, "input_tokens": 120, "output_tokens": 110,
         "input_token_details": {"text_tokens": 20, "audio_tokens": 100, "cached_tokens": 0},
         "output_token_details": {"text_tokens": 30, "audio_tokens": 80}}
TONE = b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / 24000))) for i in range(12000))


async def handle(ws, log_path):
    path = ws.request.path
    if log_path:
        with open(log_path, "a") as log:
            log.write(json.dumps({"path": path, "authorization": ws.request.headers.get("Authorization", "")}) + "\n")
    model = path.split("model=")[-1] if "model=" in path else ""
    await ws.send(json.dumps({"type": "session.created", "event_id": "event_0",
                              "session": {"type": "realtime", "object": "realtime.session", "id": "sess_mock", "model": model,
                                          "output_modalities": ["audio"]}}))
    appended = 0
    async for message in ws:
        if isinstance(message, bytes):
            continue
        try:
            event = json.loads(message)
        except ValueError:
            continue
        kind = event.get("type")
        if kind == "bench.echo":
            await ws.send(message)
        elif kind == "session.update":
            await ws.send(json.dumps({"type": "session.updated", "event_id": "event_u", "session": event.get("session", {})}))
        elif kind == "input_audio_buffer.append":
            appended += len(base64.b64decode(event.get("audio", "")))
        elif kind == "input_audio_buffer.commit":
            await ws.send(json.dumps({"type": "input_audio_buffer.committed", "event_id": "event_c", "item_id": "item_in",
                                      "previous_item_id": None}))
        elif kind == "response.create":
            ids = {"response_id": "resp_1", "item_id": "item_1", "output_index": 0, "content_index": 0}
            await ws.send(json.dumps({"type": "response.created", "event_id": "event_r1",
                                      "response": {"id": "resp_1", "object": "realtime.response", "status": "in_progress", "output": []}}))
            for start in range(0, len(TONE), 9600):
                await ws.send(json.dumps({"type": "response.output_audio.delta", "event_id": f"event_a{start}", **ids,
                                          "delta": base64.b64encode(TONE[start:start + 9600]).decode()}))
            await ws.send(json.dumps({"type": "response.output_audio_transcript.delta", "event_id": "event_t", **ids,
                                      "delta": f"I heard {appended} bytes."}))
            await ws.send(json.dumps({"type": "response.output_audio.done", "event_id": "event_ad", **ids}))
            await ws.send(json.dumps({"type": "response.done", "event_id": "event_d",
                                      "response": {"id": "resp_1", "object": "realtime.response", "status": "completed",
                                                   "output": [], "usage": USAGE}}))


async def main(port, log_path):
    async with serve(lambda ws: handle(ws, log_path), "127.0.0.1", port, max_size=None):
        await asyncio.get_running_loop().create_future()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else None))
