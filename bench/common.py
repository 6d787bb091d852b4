"""Helpers shared by the benchmark scripts under bench/ (reports and mock upstreams).

Scripts in bench/<name>/ import it after putting bench/ on the path:

    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from common import QuietHandler, pct, sh
"""
import json
import subprocess
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def sh(*cmd, timeout=20):
    """A command's stdout, stripped; "" when it cannot run (for machine facts in the reports)."""
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def pct(values, q):
    """Percentile with linear interpolation (q in 0..100); NaN for no values."""
    v = sorted(values)
    if not v:
        return float("nan")
    k = (len(v) - 1) * q / 100
    lo, hi = int(k), min(int(k) + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


class QuietHandler(BaseHTTPRequestHandler):
    """Base of the mock upstreams: keep-alive HTTP/1.1, TCP_NODELAY (headers and body go out as separate writes, and
    Nagle with delayed ACKs would hold the second back ~40 ms), no access log, and a JSON answer helper."""
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def send_body(self, status, body, content_type="application/json"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def send_json(self, status, obj):
        self.send_body(status, json.dumps(obj).encode())


def make_server(host, port, handler):
    """A threading server for a mock upstream: reusable address (restarts between runs), daemon request threads."""
    ThreadingHTTPServer.allow_reuse_address = True
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


def serve(server):
    """Serves until interrupted; Ctrl-C or the bench's SIGINT ends it quietly."""
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
