"""Keys with limits and points, as the official openai SDK sees them: refusals raise RateLimitError with OpenAI's
codes, and the x-ratelimit headers are there for the SDK's raw responses."""
import json
import urllib.request

import openai
import pytest


def admin(env, method, path, body=None):
    request = urllib.request.Request(f"http://127.0.0.1:{env.port}/admin/{path}", method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Authorization": f"Bearer {env.master}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.load(answer)


def test_balance_spent_raises_rate_limit_error_with_insufficient_quota(env, rows):
    made = admin(env, "POST", "keys", {"name": "sdk-points", "balance": 2})
    client = openai.OpenAI(base_url=env.base_url, api_key=made["key"], max_retries=0, timeout=10)
    for _ in range(2):
        client.chat.completions.create(model="priced-chat", messages=[{"role": "user", "content": "hi"}])
    with pytest.raises(openai.RateLimitError) as refused:
        client.chat.completions.create(model="priced-chat", messages=[{"role": "user", "content": "hi"}])
    assert refused.value.code == "insufficient_quota"
    assert "No points remaining" in refused.value.message
    shown = admin(env, "GET", f"keys/{made['id']}")
    assert shown["balance"] == 0 and shown["spend"] == 2
    assert [row["cost"] for row in rows(3) if row["route"] == "/chat/completions"][:2] == [1, 1]


def test_rpm_headers_and_rate_limit_error(env):
    made = admin(env, "POST", "keys", {"name": "sdk-rpm", "rpm": 2})
    client = openai.OpenAI(base_url=env.base_url, api_key=made["key"], max_retries=0, timeout=10)
    raw = client.chat.completions.with_raw_response.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    assert raw.headers["x-ratelimit-limit-requests"] == "2"
    assert raw.headers["x-ratelimit-remaining-requests"] == "1"
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    with pytest.raises(openai.RateLimitError) as refused:
        client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    assert refused.value.code == "rate_limit_exceeded"
    assert int(refused.value.response.headers["retry-after"]) >= 1
