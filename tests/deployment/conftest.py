"""Two `chorus serve` replicas on one scratch PostgreSQL, a mock upstream, and nginx in front from deploy/nginx.conf.

Everything is started once for the session and stopped at its end, whatever happened (a failed start included).
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests"))
from processes import free_port, wait_for  # noqa: E402
CHORUS = os.environ.get("CHORUS_BIN", os.path.join(ROOT, ".build", "debug", "chorus"))
MOCK = os.path.join(ROOT, "tests", "sdk", "mock_upstream.py")
MASTER = "sk-chorus-deploy-test-master"
KEY_CACHE_SECONDS = 1


class Cluster:
    """What the tests talk to: the replicas' and nginx's base URLs, and the master key."""


def config(tmp, index, port, database, upstream_port):
    path = os.path.join(tmp, f"chorus-{index}.yaml")
    # Each replica has its own voices and media folders, as two machines have: what one serves of the other's
    # comes through the database (blob_storage: database, the PostgreSQL default).
    with open(path, "w") as f:
        f.write(f"""
server:
  host: 127.0.0.1
  port: {port}
  public_url: http://127.0.0.1:{port}
  key_cache_seconds: {KEY_CACHE_SECONDS}
  replicas: 2
database: "{database}"
voices_dir: {tmp}/voices-{index}
media_dir: {tmp}/media-{index}
providers:
  mock:
    type: openai
    base_url: http://127.0.0.1:{upstream_port}/v1
    api_key: sk-upstream
    timeout: 10
  local:
    type: builtin
models:
  - {{name: gpt-4o-mini, provider: mock, model: upstream-chat}}
  - {{name: priced-chat, provider: mock, model: upstream-chat, price: {{per_request: 1}}}}
  - {{name: gpt-image-1, provider: mock, model: upstream-image, capabilities: [images, image_edits]}}
  - {{name: tts-1, provider: local, model: espeak}}
""")
    return path


def nginx_config(tmp, listen, replicas):
    """deploy/nginx.conf with the test's ports, inside a minimal nginx.conf of the test's own."""
    with open(os.path.join(ROOT, "deploy", "nginx.conf")) as f:
        site = f.read()
    servers = iter(replicas)
    site = re.sub(r"server 127\.0\.0\.1:\d+", lambda _: f"server 127.0.0.1:{next(servers)}", site)
    site = re.sub(r"listen 80;", f"listen 127.0.0.1:{listen};", site)
    with open(os.path.join(tmp, "chorus-site.conf"), "w") as f:
        f.write(site)
    main = os.path.join(tmp, "nginx.conf")
    with open(main, "w") as f:
        f.write(f"""
daemon off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
{"user root;" if os.getuid() == 0 else ""}
events {{ worker_connections 256; }}
http {{
    # Which replica answered each request: the test through nginx checks both did.
    log_format chorus '$request_method $uri $status $upstream_addr';
    access_log {tmp}/nginx-access.log chorus;
    client_body_temp_path {tmp}/nginx-body;
    proxy_temp_path {tmp}/nginx-proxy;
    include {tmp}/chorus-site.conf;
}}
""")
    return main


def stop(process):
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


@pytest.fixture(scope="session")
def cluster():
    assert os.access(CHORUS, os.X_OK), f"no chorus binary at {CHORUS} (swift build)"
    tmp = tempfile.mkdtemp(prefix="chorus-deploy-")
    os.chmod(tmp, 0o777)
    pg_env = dict(os.environ, CHORUS_PG_DATA=os.path.join(tmp, "pg"), CHORUS_PG_PORT=str(free_port()))
    scratch = os.path.join(ROOT, "scripts", "postgres-scratch")
    processes = []
    logs = []
    c = Cluster()
    c.tmp = tmp
    c.master = MASTER
    c.key_cache_seconds = KEY_CACHE_SECONDS
    try:
        database = subprocess.check_output([scratch, "start"], env=pg_env, text=True, timeout=120).strip()
        upstream_port = free_port()
        processes.append(subprocess.Popen([sys.executable, MOCK, str(upstream_port)]))
        ports = [free_port(), free_port()]
        environ = dict(os.environ, CHORUS_MASTER_KEY=MASTER)
        for index, port in enumerate(ports):
            log = open(os.path.join(tmp, f"chorus-{index}.log"), "w")
            logs.append(log)
            path = config(tmp, index, port, database, upstream_port)
            processes.append(subprocess.Popen([CHORUS, "serve", "--config", path], env=environ, stdout=log, stderr=log))
        c.replicas = [f"http://127.0.0.1:{port}" for port in ports]
        for url in c.replicas:
            wait_for(url + "/health", timeout=90)
        wait_for(f"http://127.0.0.1:{upstream_port}/v1/models")
        nginx_port = free_port()
        main = nginx_config(tmp, nginx_port, ports)
        subprocess.run(["nginx", "-t", "-q", "-c", main, "-p", tmp], check=True, timeout=30)
        processes.append(subprocess.Popen(["nginx", "-c", main, "-p", tmp]))
        c.nginx = f"http://127.0.0.1:{nginx_port}"
        c.nginx_access_log = os.path.join(tmp, "nginx-access.log")
        wait_for(c.nginx + "/health")
        yield c
    finally:
        for process in reversed(processes):
            stop(process)
        for log in logs:
            log.close()
        subprocess.run([scratch, "stop"], env=pg_env, timeout=60)
        if os.environ.get("CHORUS_KEEP_DEPLOY_TMP") != "1":
            shutil.rmtree(tmp, ignore_errors=True)
