"""The `ollama` Python client against Chorus's Ollama-native routes (and the OpenAI SDK against /ollama/v1)."""
import os
import subprocess
import sys

import ollama
import pytest
from mock_upstream import SSE_CHUNKS

SAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "samples")


def client(env, key=None):
    return ollama.Client(host=f"http://127.0.0.1:{env.port}", headers={"Authorization": f"Bearer {key or env.key}"})


def test_list_names_the_chat_models(env):
    names = [m.model for m in client(env).list().models]
    assert "gpt-4o-mini" in names and "priced-chat" in names
    assert "tts-1" not in names and "whisper-1" not in names


def test_chat_streams_the_upstreams_answer(env, rows):
    parts = list(client(env).chat(model="gpt-4o-mini", stream=True, messages=[{"role": "user", "content": "count"}]))
    assert len(parts) > 2
    assert all(not p.done for p in parts[:-1]) and parts[-1].done
    assert "".join(p.message.content or "" for p in parts) == "".join(f"tok{i} " for i in range(SSE_CHUNKS))
    assert parts[-1].prompt_eval_count == 7 and parts[-1].eval_count == SSE_CHUNKS and parts[-1].done_reason == "stop"
    row = rows()[-1]
    assert row["route"] == "/api/chat" and row["status"] == 200 and row["total_tokens"] == 7 + SSE_CHUNKS


def test_chat_without_streaming(env):
    reply = client(env).chat(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}],
                             options={"temperature": 0.1, "num_predict": 20})
    assert reply.message.role == "assistant" and reply.message.content == "Hello there."
    assert reply.done and reply.eval_count == 3


def test_generate(env):
    reply = client(env).generate(model="gpt-4o-mini", prompt="hi", system="be brief")
    assert reply.response == "Hello there." and reply.done
    streamed = "".join(p.response for p in client(env).generate(model="gpt-4o-mini", prompt="count", stream=True))
    assert streamed == "".join(f"tok{i} " for i in range(SSE_CHUNKS))


def test_show_and_version(env):
    assert "completion" in client(env).show("gpt-4o-mini").capabilities
    import httpx
    version = httpx.get(f"http://127.0.0.1:{env.port}/api/version", headers={"Authorization": f"Bearer {env.key}"})
    assert version.status_code == 200 and version.json()["version"]


def test_unknown_model_raises_response_error_404(env):
    with pytest.raises(ollama.ResponseError) as raised:
        client(env).chat(model="no-such-model", messages=[{"role": "user", "content": "hi"}])
    assert raised.value.status_code == 404
    assert "no-such-model" in raised.value.error
    with pytest.raises(ollama.ResponseError) as streamed:
        list(client(env).chat(model="no-such-model", stream=True, messages=[{"role": "user", "content": "hi"}]))
    assert streamed.value.status_code == 404


def test_wrong_key_raises_response_error_401(env):
    with pytest.raises(ollama.ResponseError) as raised:
        client(env, key="sk-chorus-wrong").list()
    assert raised.value.status_code == 401
    assert "API key" in raised.value.error


def test_openai_sdk_on_ollama_v1(env):
    from openai import OpenAI
    sdk = OpenAI(base_url=f"http://127.0.0.1:{env.port}/ollama/v1", api_key=env.key)
    assert "gpt-4o-mini" in [m.id for m in sdk.models.list()]
    reply = sdk.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    assert reply.choices[0].message.content == "Hello there."


def test_ollama_sample_runs(env, tmp_path):
    environ = dict(os.environ, CHORUS_URL=env.base_url, CHORUS_KEY=env.master, CHORUS_MODEL="gpt-4o-mini")
    done = subprocess.run([sys.executable, os.path.join(SAMPLES, "ollama_chat.py")], cwd=tmp_path, env=environ,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "chat: Hello there." in done.stdout and "tok0 tok1" in done.stdout and "generate: Hello there." in done.stdout


def test_ollama_sample_without_its_model_exits_with_the_gateways_message(env, tmp_path):
    environ = dict(os.environ, CHORUS_URL=env.base_url, CHORUS_KEY=env.master, CHORUS_MODEL="no-such-model")
    done = subprocess.run([sys.executable, os.path.join(SAMPLES, "ollama_chat.py")], cwd=tmp_path, env=environ,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "does not exist" in done.stderr and "this sample needs:" in done.stderr and "Traceback" not in done.stderr
