"""A small OpenAI-compatible upstream for the SDK tests and benchmarks.

Model names pick behaviour: `hang` never answers, `fail` answers 429 with an OpenAI error; anything else answers
like OpenAI (JSON, or SSE when stream is true, 10 chunks 50 ms apart, then a usage chunk and [DONE]).
Image routes answer like OpenAI (`/images/generations|edits|variations`, b64_json PNGs of the asked size) and
AUTOMATIC1111 (`/sdapi/v1/txt2img|img2img`); model `echo-mask` answers an edit with the mask it received.
`GET /debug/last-image-request` returns what the last image request carried (fields, file parts as base64).
`GET /debug/last-chat-request` returns the JSON body of the last chat-completions request.
Run: python3 mock_upstream.py PORT
"""
import base64
import email.parser
import email.policy
import json
import threading
import zlib
import math
import struct
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SSE_CHUNKS = 10
SSE_INTERVAL = 0.05


def speech_wav(seconds=1.5, rate=24000):
    """A 440 Hz tone as 24 kHz mono s16 WAV: what a wav-only TTS provider returns."""
    count = int(seconds * rate)
    pcm = b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate))) for i in range(count))
    header = b"RIFF" + struct.pack("<I", 36 + len(pcm)) + b"WAVEfmt " + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
    return header + b"data" + struct.pack("<I", len(pcm)) + pcm


SPEECH_WAV = speech_wav()
LAST_IMAGE_REQUEST = {}
LAST_CHAT_REQUEST = {}
LOCK = threading.Lock()


def png(width, height, rgb=(200, 40, 40)):
    """A solid RGB PNG, written by hand so the tests need no imaging library."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    row = b"\x00" + bytes(rgb) * width
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(row * height)) + chunk(b"IEND", b""))


def parse_multipart(content_type, body):
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
    fields, files = {}, []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        data = part.get_payload(decode=True) or b""
        if part.get_filename() is None:
            fields[name] = data.decode()
        else:
            files.append({"name": name, "filename": part.get_filename(), "content_type": part.get_content_type(),
                          "b64": base64.b64encode(data).decode()})
    return fields, files


# What the `speaker` chat model answers (the offline realtime engine's test): words the embedded recogniser hears well.
SPOKEN_ANSWER = "Please turn off the lights in the kitchen. The quick brown fox jumps over the lazy dog."


def bag_of_words(text, dimensions=256):
    """Each lowercased word adds 1 to the dimension its CRC-32 picks."""
    vector = [0.0] * dimensions
    for word in "".join(c if c.isalnum() else " " for c in text.lower()).split():
        vector[zlib.crc32(word.encode()) % dimensions] += 1
    return vector


def sse_events(model):
    events = []
    if model == "speaker":
        words = SPOKEN_ANSWER.split(" ")
        for i, word in enumerate(words):
            piece = word if i == 0 else " " + word
            chunk = {"id": "chatcmpl-2", "object": "chat.completion.chunk", "created": 1700000000, "model": model,
                     "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
            events.append(b"data: " + json.dumps(chunk, separators=(",", ":")).encode() + b"\n\n")
        events.append(b"data: [DONE]\n\n")
        return events
    for i in range(SSE_CHUNKS):
        chunk = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1700000000, "model": model,
                 "choices": [{"index": 0, "delta": {"content": f"tok{i} "}, "finish_reason": None}]}
        events.append(b"data: " + json.dumps(chunk, separators=(",", ":")).encode() + b"\n\n")
    usage = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1700000000, "model": model, "choices": [],
             "usage": {"prompt_tokens": 7, "completion_tokens": SSE_CHUNKS, "total_tokens": 7 + SSE_CHUNKS}}
    events.append(b"data: " + json.dumps(usage, separators=(",", ":")).encode() + b"\n\n")
    events.append(b"data: [DONE]\n\n")
    return events


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send_json(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/debug/last-image-request":
            with LOCK:
                return self.send_json(200, LAST_IMAGE_REQUEST)
        if self.path == "/debug/last-chat-request":
            with LOCK:
                return self.send_json(200, LAST_CHAT_REQUEST)
        self.send_json(200, {"object": "list", "data": []})

    def images(self, body):
        content_type = self.headers.get("Content-Type", "")
        if content_type.startswith("multipart/"):
            fields, files = parse_multipart(content_type, body)
        else:
            fields, files = json.loads(body or b"{}"), []
        with LOCK:
            LAST_IMAGE_REQUEST.clear()
            LAST_IMAGE_REQUEST.update({"path": self.path, "fields": fields, "files": files})
        if self.path.startswith("/sdapi/"):
            image = png(int(fields.get("width", 512)), int(fields.get("height", 512)))
            if fields.get("mask"):
                image = base64.b64decode(fields["mask"])
            count = int(fields.get("batch_size", 1))
            return self.send_json(200, {"images": [base64.b64encode(image).decode()] * count, "parameters": {}, "info": "{}"})
        size = fields.get("size") or "64x64"
        width, height = (int(v) for v in (size if size != "auto" else "64x64").split("x"))
        image = png(width, height)
        if fields.get("model") == "echo-mask":
            image = next(base64.b64decode(f["b64"]) for f in files if f["name"] == "mask")
        count = int(fields.get("n", 1))
        return self.send_json(200, {"created": 1700000000, "size": size,
                                    "data": [{"b64_json": base64.b64encode(image).decode()}] * count,
                                    "usage": {"input_tokens": 12, "output_tokens": 34, "total_tokens": 46}})

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        if "/images/" in self.path or self.path.startswith("/sdapi/"):
            return self.images(self.rfile.read(length))
        try:
            req = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            return self.send_json(400, {"error": {"message": "bad json", "type": "invalid_request_error"}})
        model = req.get("model", "?")
        if self.path.endswith("/chat/completions"):
            with LOCK:
                LAST_CHAT_REQUEST.clear()
                LAST_CHAT_REQUEST.update(req)
        if model == "hang":
            time.sleep(30)
            return
        if model == "fail":
            return self.send_json(429, {"error": {"message": "Upstream says slow down", "type": "rate_limit_error",
                                                  "param": None, "code": "rate_limit_exceeded"}})
        if self.path.endswith("/audio/speech"):
            self.send_response(200)
            self.send_header("Content-Type", "audio/wav")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for i in range(0, len(SPEECH_WAV), 4800):
                piece = SPEECH_WAV[i:i + 4800]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                self.wfile.flush()
                time.sleep(0.02)
            self.wfile.write(b"0\r\n\r\n")
            return
        if self.path.endswith("/chat/completions") and req.get("stream"):
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for event in sse_events(model):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(event), event))
                self.wfile.flush()
                time.sleep(SSE_INTERVAL)
            self.wfile.write(b"0\r\n\r\n")
            return
        if self.path.endswith("/rerank"):
            words = set(req.get("query", "").lower().split())
            docs = [d if isinstance(d, str) else d.get("text", "") for d in req.get("documents", [])]
            scored = sorted(((len(words & set(d.lower().replace(".", " ").split())) / max(len(words), 1), i)
                             for i, d in enumerate(docs)), key=lambda p: (-p[0], p[1]))
            results = [{"index": i, "relevance_score": score, **({"document": {"text": docs[i]}}
                                                                  if req.get("return_documents") else {})}
                       for score, i in scored[:req.get("top_n") or len(docs)]]
            return self.send_json(200, {"id": "rerank-1", "model": model, "results": results,
                                        "usage": {"total_tokens": sum(len(d.split()) for d in docs)}})
        if self.path == "/tokenize":
            return self.send_json(200, {"tokens": list(req.get("prompt", "").encode()),
                                        "count": len(req.get("prompt", "").encode()), "max_model_len": 8192})
        if self.path == "/detokenize":
            return self.send_json(200, {"prompt": bytes(req.get("tokens", [])).decode(errors="replace")})
        if self.path.endswith("/embeddings"):
            if isinstance(req.get("input"), list):
                # A list (the RAG datastores send theirs so): a hashed bag of words per input, so texts that share
                # words are similar.
                inputs = req["input"]
                return self.send_json(200, {"object": "list", "model": model, "data": [
                    {"object": "embedding", "index": i, "embedding": bag_of_words(text)} for i, text in enumerate(inputs)],
                    "usage": {"prompt_tokens": 4 * len(inputs), "total_tokens": 4 * len(inputs)}})
            return self.send_json(200, {"object": "list", "model": model, "data": [
                {"object": "embedding", "index": 0, "embedding": [0.1, -0.2, 0.3]}],
                "usage": {"prompt_tokens": 4, "total_tokens": 4}})
        if self.path.endswith("/completions") and not self.path.endswith("/chat/completions"):
            return self.send_json(200, {"id": "cmpl-1", "object": "text_completion", "created": 1700000000,
                                        "model": model, "choices": [{"text": " world", "index": 0, "logprobs": None,
                                                                     "finish_reason": "stop"}],
                                        "usage": {"prompt_tokens": 2, "completion_tokens": 1, "total_tokens": 3}})
        return self.send_json(200, {"id": "chatcmpl-1", "object": "chat.completion", "created": 1700000000,
                                    "model": model, "choices": [{"index": 0, "finish_reason": "stop",
                                                                 "message": {"role": "assistant", "content": "Hello there."}}],
                                    "usage": {"prompt_tokens": 11, "completion_tokens": 3, "total_tokens": 14}})


if __name__ == "__main__":
    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
