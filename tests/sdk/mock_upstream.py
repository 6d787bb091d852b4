"""A small OpenAI-compatible upstream for the SDK tests and benchmarks.

Model names pick behaviour: `hang` never answers, `fail` answers 429 with an OpenAI error; anything else answers
like OpenAI (JSON, or SSE when stream is true, 10 chunks 50 ms apart, then a usage chunk and [DONE]).
Run: python3 mock_upstream.py PORT
"""
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SSE_CHUNKS = 10
SSE_INTERVAL = 0.05


def sse_events(model):
    events = []
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
        self.send_json(200, {"object": "list", "data": []})

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        try:
            req = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            return self.send_json(400, {"error": {"message": "bad json", "type": "invalid_request_error"}})
        model = req.get("model", "?")
        if model == "hang":
            time.sleep(30)
            return
        if model == "fail":
            return self.send_json(429, {"error": {"message": "Upstream says slow down", "type": "rate_limit_error",
                                                  "param": None, "code": "rate_limit_exceeded"}})
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
        if self.path.endswith("/embeddings"):
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
