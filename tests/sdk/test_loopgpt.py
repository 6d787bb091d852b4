"""The LoopGpt-style chat API as its clients call it, with plain `requests` against the real binary: a two-turn
conversation whose second upstream request carries the first turn, another key shut out, that API's error shape."""
import json
import os
import subprocess
import sys
import urllib.request

import requests

SAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "samples")


def chat_api(env):
    return f"http://127.0.0.1:{env.port}/api/v1/chat"


def new_key(env, name):
    request = urllib.request.Request(f"http://127.0.0.1:{env.port}/admin/keys", method="POST",
                                     data=json.dumps({"name": name}).encode(),
                                     headers={"Authorization": f"Bearer {env.master}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.load(answer)["key"]


def session(key):
    s = requests.Session()
    s.headers["X-API-Key"] = key
    return s


def last_chat_request(env):
    return requests.get(f"{env.upstream_root}/debug/last-chat-request", timeout=5).json()


def test_two_turns_carry_the_history_and_another_key_gets_404(env, rows):
    alice = session(new_key(env, "sdk-loopgpt-alice"))
    first = alice.post(f"{chat_api(env)}/send", json={"model_id": "gpt-4o-mini", "message": "Remember the number 7."}, timeout=10)
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["success"] is True and body["message"] == "Success"
    conversation = body["data"]["conversation_id"]
    assert body["data"]["response"] == body["data"]["message"] == "Hello there."

    second = alice.post(f"{chat_api(env)}/send", timeout=10,
                        json={"model_id": "gpt-4o-mini", "message": "Which number?", "conversation_id": conversation})
    assert second.status_code == 200, second.text
    data = second.json()["data"]
    assert data["conversation_id"] == conversation and data["response"] == "Hello there."
    assert data["usage"]["tokens"] == 14 and data["usage"]["cost"] == 0
    sent = last_chat_request(env)
    assert sent["model"] == "upstream-chat"
    assert [(m["role"], m["content"]) for m in sent["messages"]] == [
        ("user", "Remember the number 7."), ("assistant", "Hello there."), ("user", "Which number?")]

    listed = alice.get(f"{chat_api(env)}/conversations", timeout=10).json()["data"]
    assert [c["id"] for c in listed["conversations"]] == [conversation] and listed["total"] == 1
    shown = alice.get(f"{chat_api(env)}/conversations/{conversation}", timeout=10).json()["data"]
    assert [m["role"] for m in shown["messages"]] == ["user", "assistant", "user", "assistant"]

    bob = session(new_key(env, "sdk-loopgpt-bob"))
    read = bob.get(f"{chat_api(env)}/conversations/{conversation}", timeout=10)
    assert read.status_code == 404 and read.json() == {"success": False, "message": "Conversation not found"}
    continued = bob.post(f"{chat_api(env)}/send", timeout=10,
                         json={"model_id": "gpt-4o-mini", "message": "What did they say?", "conversation_id": conversation})
    assert continued.status_code == 404 and continued.json()["success"] is False
    assert last_chat_request(env)["messages"][-1]["content"] == "Which number?", "the refused call never went upstream"
    assert bob.get(f"{chat_api(env)}/conversations", timeout=10).json()["data"]["total"] == 0

    sends = [row for row in rows(9) if row["route"] == "/chat/send"]
    assert [row["status"] for row in sends] == [200, 200, 404]
    assert sends[0]["model"] == "gpt-4o-mini" and sends[0]["total_tokens"] == 14


def test_errors_use_the_success_false_shape(env):
    anyone = session("sk-chorus-not-a-key")
    refused = anyone.post(f"{chat_api(env)}/send", json={"model_id": "gpt-4o-mini", "message": "hi"}, timeout=10)
    assert refused.status_code == 401 and refused.json() == {"success": False, "message": "Invalid API key"}
    master = session(env.master)
    empty = master.post(f"{chat_api(env)}/send", json={"model_id": "gpt-4o-mini", "message": " "}, timeout=10)
    assert empty.status_code == 400 and empty.json()["message"] == "Message cannot be empty"
    missing = master.post(f"{chat_api(env)}/send", json={"message": "hi"}, timeout=10)
    assert missing.status_code == 422 and "model_id" in missing.json()["message"]
    down = master.post(f"{chat_api(env)}/send", json={"model_id": "dead", "message": "hi"}, timeout=10)
    assert down.status_code == 502 and down.json()["request_id"] == down.headers["x-request-id"]
    assert down.headers["x-request-id"] in down.json()["message"]


def test_sample_has_a_two_turn_conversation_and_lists_it(env, tmp_path):
    environ = dict(os.environ, CHORUS_URL=env.base_url, CHORUS_KEY=new_key(env, "sdk-loopgpt-sample"))
    done = subprocess.run([sys.executable, os.path.join(SAMPLES, "loopgpt_chat.py")], cwd=tmp_path, env=environ,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "second: Hello there." in done.stdout and "conversations (1):" in done.stdout, done.stdout
    missing = subprocess.run([sys.executable, os.path.join(SAMPLES, "loopgpt_chat.py")], cwd=tmp_path,
                             env=dict(environ, CHORUS_MODEL="no-such-model"), capture_output=True, text=True, timeout=60)
    assert missing.returncode == 1 and "no-such-model" in missing.stderr and "Traceback" not in missing.stderr
