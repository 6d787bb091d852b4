"""The official openai SDK against a live Chorus in front of an OpenAI-compatible upstream."""
import http.client
import json
import time

import openai
import pytest


@pytest.fixture
def client(env):
    return openai.OpenAI(base_url=env.base_url, api_key=env.key, max_retries=0, timeout=10)


def test_chat_completion(client, rows):
    reply = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "Say hello"}])
    assert reply.choices[0].message.content == "Hello there."
    assert reply.usage.total_tokens == 14
    row = rows()[0]
    assert row["route"] == "/chat/completions" and row["status"] == 200 and row["total_tokens"] == 14
    assert row["prompt_summary"] == "Say hello"


def test_chat_completion_stream(client, rows):
    started = time.monotonic()
    stream = client.chat.completions.create(model="gpt-4o-mini", stream=True,
                                            messages=[{"role": "user", "content": "count"}])
    first_at = None
    text = ""
    for chunk in stream:
        if first_at is None:
            first_at = time.monotonic() - started
        if chunk.choices:
            text += chunk.choices[0].delta.content or ""
    total = time.monotonic() - started
    assert text == "".join(f"tok{i} " for i in range(10))
    # The upstream spends ~600 ms producing the stream; the first chunk must arrive long before it finishes.
    assert first_at < total / 2, (first_at, total)
    row = rows()[0]
    assert row["stream"] == 1 and row["total_tokens"] == 17


def raw_post(base_url, path, body, key):
    host, port = base_url.split("//")[1].split("/")[0].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    conn.request("POST", "/v1" + path, body=body, headers={"Authorization": f"Bearer {key}",
                                                           "Content-Type": "application/json"})
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, data


def test_streamed_bytes_equal_upstream_bytes(env):
    body = json.dumps({"model": "upstream-chat", "stream": True, "messages": []})
    direct_status, direct = raw_post(env.upstream_url, "/chat/completions", body, "x")
    via_body = json.dumps({"model": "gpt-4o-mini", "stream": True, "messages": []})
    status, via = raw_post(env.base_url, "/chat/completions", via_body, env.key)
    assert direct_status == status == 200
    assert via == direct


def test_completions_embeddings_models(client, rows):
    completion = client.completions.create(model="gpt-4o-mini", prompt="Hello")
    assert completion.choices[0].text == " world"
    embedding = client.embeddings.create(model="text-embedding-3-small", input="some text")
    assert embedding.data[0].embedding == [0.1, -0.2, 0.3]
    ids = [m.id for m in client.models.list()]
    assert {"gpt-4o-mini", "text-embedding-3-small"} <= set(ids)
    assert {r["route"] for r in rows(3)} >= {"/completions", "/embeddings", "/models"}


def test_bad_key_is_authentication_error(env, rows):
    bad = openai.OpenAI(base_url=env.base_url, api_key="sk-chorus-wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as info:
        bad.chat.completions.create(model="gpt-4o-mini", messages=[])
    assert "Incorrect API key" in str(info.value)
    assert rows()[0]["status"] == 401


def test_unknown_model_is_not_found(client, rows):
    with pytest.raises(openai.NotFoundError) as info:
        client.chat.completions.create(model="gpt-9", messages=[])
    assert "gpt-9" in str(info.value)
    assert rows()[0]["status"] == 404


def test_malformed_json_is_bad_request(env, rows):
    status, data = raw_post(env.base_url, "/chat/completions", '{"model": "gpt-4o-mini", ', env.key)
    assert status == 400
    assert json.loads(data)["error"]["code"] == "invalid_json"
    assert rows()[0]["status"] == 400


def test_unreachable_upstream_is_502(client, rows):
    with pytest.raises(openai.APIStatusError) as info:
        client.chat.completions.create(model="dead", messages=[])
    assert info.value.status_code == 502
    assert "Could not reach provider" in str(info.value)
    assert rows()[0]["status"] == 502


def test_hanging_upstream_is_504(client, rows):
    started = time.monotonic()
    with pytest.raises(openai.APIStatusError) as info:
        client.chat.completions.create(model="hang", messages=[])
    assert info.value.status_code == 504
    assert time.monotonic() - started < 6
    assert rows()[0]["status"] == 504


def test_upstream_error_passes_through(client, rows):
    with pytest.raises(openai.RateLimitError) as info:
        client.chat.completions.create(model="fail", messages=[])
    assert "Upstream says slow down" in str(info.value)
    assert rows()[0]["status"] == 429


def test_keys_never_reach_the_log_or_database(env, client):
    client.chat.completions.create(model="gpt-4o-mini", messages=[])
    for path in (env.db, env.db + "-wal", env.log_path):
        try:
            data = open(path, "rb").read()
        except FileNotFoundError:
            continue
        assert env.key.encode() not in data, path
