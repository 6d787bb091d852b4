"""Starts what the console tests drive: the SDK suite's mock upstream (chat, images; it records the last image
request, mask included), a `chorus` server (CHORUS_BIN, default .build/debug/chorus) with the builtin local
provider for speech and transcription, and headless Chromium through Debian's chromedriver."""
import contextlib
import os
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests"))
from processes import free_port, wait_for  # noqa: E402

CHORUS = os.environ.get("CHORUS_BIN", os.path.join(ROOT, ".build", "debug", "chorus"))
MOCK_UPSTREAM = os.path.join(ROOT, "tests", "sdk", "mock_upstream.py")
MASTER = "sk-chorus-console-test-master"
CHROMIUM = os.environ.get("CHROMIUM_BIN", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER_BIN", "/usr/bin/chromedriver")


class Stack:
    """Addresses and keys of one running stack."""


def config_text(port, upstream_port, tmp):
    return f"""
server: {{host: 127.0.0.1, port: {port}}}
database: {tmp}/chorus.sqlite
voices_dir: {tmp}/voices
media_dir: {tmp}/media
providers:
  mock:
    type: openai
    base_url: http://127.0.0.1:{upstream_port}/v1
    api_key: sk-upstream
    timeout: 10
  local:
    type: builtin
models:
  - {{name: gpt-4o-mini, provider: mock, model: upstream-chat, capabilities: [chat]}}
  - {{name: tts-1, provider: local, model: espeak}}
  - {{name: wav-speaker, provider: mock, model: upstream-tts, capabilities: [speech]}}
  - {{name: whisper-1, provider: local, model: pocketsphinx}}
  - {{name: gpt-image-1, provider: mock, model: upstream-image, capabilities: [images, image_edits]}}
"""


@contextlib.contextmanager
def running_stack():
    stack = Stack()
    tmp = tempfile.mkdtemp(prefix="chorus-console-")
    stack.tmp = tmp
    stack.port = free_port()
    upstream_port = free_port()
    stack.config = os.path.join(tmp, "chorus.yaml")
    with open(stack.config, "w") as f:
        f.write(config_text(stack.port, upstream_port, tmp))
    environ = dict(os.environ, CHORUS_MASTER_KEY=MASTER)
    processes = []
    log = open(os.path.join(tmp, "chorus.log"), "w")
    try:
        processes.append(subprocess.Popen([sys.executable, MOCK_UPSTREAM, str(upstream_port)]))
        stack.key = subprocess.check_output([CHORUS, "keys", "create", "--config", stack.config, "--name", "console"],
                                            env=environ, text=True).strip()
        processes.append(subprocess.Popen([CHORUS, "serve", "--config", stack.config], env=environ,
                                          stdout=log, stderr=log))
        stack.base = f"http://127.0.0.1:{stack.port}"
        stack.upstream = f"http://127.0.0.1:{upstream_port}"
        stack.master = MASTER
        stack.log_path = log.name
        wait_for(stack.base + "/health")
        wait_for(stack.upstream + "/v1/models")
        yield stack
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        log.close()


def browser(width=1280, height=1000):
    """Headless Chromium that lets audio play without a gesture and fakes a microphone (a beep)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    # Debian's chromium and chromedriver are given by path: Selenium Manager must not try to download others.
    os.environ.setdefault("SE_OFFLINE", "true")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--autoplay-policy=no-user-gesture-required", "--use-fake-ui-for-media-stream",
                     "--use-fake-device-for-media-stream", "--mute-audio", f"--window-size={width},{height}"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
