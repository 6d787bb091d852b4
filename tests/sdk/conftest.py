"""Starts the mock upstream and the real `chorus` binary for the SDK tests."""
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests"))
from processes import free_port, wait_for  # noqa: E402
CHORUS = os.environ.get("CHORUS_BIN", os.path.join(ROOT, ".build", "debug", "chorus"))
MASTER = "sk-chorus-sdk-test-master"


class Env:
    pass


@pytest.fixture(scope="session")
def env():
    e = Env()
    tmp = tempfile.mkdtemp(prefix="chorus-sdk-")
    e.upstream_port = free_port()
    e.realtime_port = free_port()
    e.realtime_log = os.path.join(tmp, "realtime.log")
    e.port = free_port()
    e.db = os.path.join(tmp, "chorus.sqlite")
    e.tmp = tmp
    e.config = os.path.join(tmp, "chorus.yaml")
    with open(e.config, "w") as f:
        f.write(f"""
server: {{host: 127.0.0.1, port: {e.port}}}
database: {e.db}
voices_dir: {tmp}/voices
media_dir: {tmp}/media
providers:
  mock:
    type: openai
    base_url: http://127.0.0.1:{e.upstream_port}/v1
    api_key: sk-upstream
    timeout: 2
    connect_timeout: 1
  wavonly:
    type: openai
    base_url: http://127.0.0.1:{e.upstream_port}/v1
    speech_formats: [wav]
  local:
    type: builtin
  sd:
    type: sdwebui
    base_url: http://127.0.0.1:{e.upstream_port}
  rtmock:
    type: openai
    base_url: http://127.0.0.1:{e.realtime_port}/v1
    api_key: sk-upstream-realtime
    connect_timeout: 2
  dead:
    type: openai
    base_url: http://127.0.0.1:{free_port()}/v1
    connect_timeout: 1
models:
  - {{name: gpt-4o-mini, provider: mock, model: upstream-chat}}
  - {{name: text-embedding-3-small, provider: mock, model: upstream-embed}}
  - {{name: hang, provider: mock, model: hang}}
  - {{name: fail, provider: mock, model: fail}}
  - {{name: dead, provider: dead, model: x}}
  - {{name: tts-1, provider: local, model: espeak}}
  - {{name: wav-tts, provider: wavonly, model: upstream-tts}}
  - {{name: whisper-1, provider: local, model: pocketsphinx}}
  - {{name: gpt-image-1, provider: mock, model: upstream-image, capabilities: [images, image_edits]}}
  - {{name: echo-mask, provider: mock, model: echo-mask, capabilities: [images, image_edits]}}
  - {{name: sd-xl, provider: sd, model: default}}
  - {{name: priced-chat, provider: mock, model: upstream-chat, price: {{per_request: 1}}}}
  - {{name: reranker, provider: mock, model: upstream-rerank, capabilities: [rerank], description: "Reranks search results", category: Search, slug: bge-rerank}}
  - {{name: gpt-realtime, provider: rtmock, model: upstream-realtime, capabilities: [realtime]}}
  - {{name: speaker-chat, provider: mock, model: speaker}}
  - {{name: local-realtime, provider: local, model: realtime, chat_model: speaker-chat}}
  - {{name: tokenizing-chat, provider: mock, model: upstream-chat, capabilities: [chat, tokenize], context_length: 8192}}
""")
    e.upstream = subprocess.Popen([sys.executable, os.path.join(os.path.dirname(__file__), "mock_upstream.py"),
                                   str(e.upstream_port)])
    e.realtime = subprocess.Popen([sys.executable, os.path.join(os.path.dirname(__file__), "mock_realtime.py"),
                                   str(e.realtime_port), e.realtime_log])
    environ = dict(os.environ, CHORUS_MASTER_KEY=MASTER)
    e.key = subprocess.check_output([CHORUS, "keys", "create", "--config", e.config, "--name", "sdk"],
                                    env=environ, text=True).strip()
    e.log = open(os.path.join(tmp, "chorus.log"), "w")
    e.chorus = subprocess.Popen([CHORUS, "serve", "--config", e.config], env=environ, stdout=e.log, stderr=e.log)
    e.base_url = f"http://127.0.0.1:{e.port}/v1"
    e.upstream_url = f"http://127.0.0.1:{e.upstream_port}/v1"
    e.upstream_root = f"http://127.0.0.1:{e.upstream_port}"
    e.log_path = e.log.name
    e.master = MASTER
    try:
        wait_for(f"http://127.0.0.1:{e.port}/health")
        wait_for(f"http://127.0.0.1:{e.upstream_port}/v1/models")
        yield e
    finally:
        e.chorus.terminate()
        e.upstream.terminate()
        e.realtime.terminate()
        e.chorus.wait(10)
        e.upstream.wait(10)
        e.realtime.wait(10)


@pytest.fixture
def rows(env):
    """Returns a function giving the usage rows written since this test started (waits for the batch writer)."""
    def count():
        with sqlite3.connect(env.db) as db:
            return db.execute("SELECT COUNT(*) FROM generation_logs").fetchone()[0]
    # Rows of the previous test may still be on their way (the writer batches every 50 ms): wait until the
    # count holds still before taking the baseline.
    start = count()
    stable_since = time.time()
    while time.time() - stable_since < 0.3:
        time.sleep(0.05)
        now = count()
        if now != start:
            start, stable_since = now, time.time()

    def fetch(expected=1, timeout=3):
        deadline = time.time() + timeout
        while True:
            with sqlite3.connect(env.db) as db:
                db.row_factory = sqlite3.Row
                got = db.execute("SELECT * FROM generation_logs ORDER BY id LIMIT -1 OFFSET ?", (start,)).fetchall()
            if len(got) >= expected or time.time() > deadline:
                return got
            time.sleep(0.05)
    return fetch
