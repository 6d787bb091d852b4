"""Two replicas on one PostgreSQL behind nginx: what one stores, the other serves; balances hold across both."""
import base64
import concurrent.futures
import json
import subprocess
import time

import requests


def admin(base, cluster, method, path, body=None):
    response = requests.request(method, f"{base}/admin/{path}", json=body, timeout=30,
                                headers={"Authorization": f"Bearer {cluster.master}"})
    assert response.status_code == 200, response.text
    return response.json()


def chat(base, key, model="gpt-4o-mini", stream=False):
    body = {"model": model, "messages": [{"role": "user", "content": "hi"}]}
    if stream:
        body["stream"] = True
    return requests.post(f"{base}/v1/chat/completions", timeout=30, headers={"Authorization": f"Bearer {key}"},
                         json=body, stream=stream)


def spoken_sample():
    """Two seconds of espeak-ng speech as WAV: a voice sample with voiced speech in it."""
    return subprocess.run(["espeak-ng", "--stdout", "Chorus replicas share their voices through the database."],
                          check=True, capture_output=True, timeout=30).stdout


def test_a_key_created_through_one_replica_works_on_the_other(cluster):
    one, two = cluster.replicas
    made = admin(one, cluster, "POST", "keys", {"name": "made-on-one"})
    answer = chat(two, made["key"])
    assert answer.status_code == 200, answer.text
    assert answer.json()["choices"][0]["message"]["content"]


def test_a_key_revoked_on_one_is_refused_by_the_other_within_the_cache_time(cluster):
    one, two = cluster.replicas
    made = admin(one, cluster, "POST", "keys", {"name": "revoked-on-one"})
    assert chat(two, made["key"]).status_code == 200  # now in the second replica's key cache
    admin(one, cluster, "DELETE", f"keys/{made['id']}")
    revoked_at = time.monotonic()
    while True:
        status = chat(two, made["key"]).status_code
        waited = time.monotonic() - revoked_at
        if status == 401:
            break
        assert status == 200
        assert waited < cluster.key_cache_seconds + 2, "the second replica still takes a revoked key"
        time.sleep(0.1)
    assert waited <= cluster.key_cache_seconds + 1


def test_fifty_concurrent_calls_over_both_replicas_against_a_balance_for_ten_succeed_exactly_ten(cluster):
    one, two = cluster.replicas
    made = admin(one, cluster, "POST", "keys", {"name": "ten-calls", "balance": 10})

    def call(index):
        return chat(cluster.replicas[index % 2], made["key"], model="priced-chat").status_code

    with concurrent.futures.ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(pool.map(call, range(50)))
    assert statuses.count(200) == 10, statuses
    assert statuses.count(429) == 40, statuses
    # Each call held its point and paid it when its usage row was written, on whichever replica served it.
    deadline = time.monotonic() + 10
    while True:
        shown = admin(two, cluster, "GET", f"keys/{made['id']}")
        if shown["balance"] == 0 and shown["spend"] == 10 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert shown["balance"] == 0 and shown["spend"] == 10, shown


def test_a_voice_added_through_one_replica_is_spoken_by_the_other(cluster):
    one, two = cluster.replicas
    made = admin(one, cluster, "POST", "keys", {"name": "voices"})
    headers = {"Authorization": f"Bearer {made['key']}"}
    created = requests.post(f"{one}/v1/audio/voices", headers=headers, timeout=60,
                            files={"audio_sample": ("me.wav", spoken_sample(), "audio/wav")}, data={"name": "shared"})
    assert created.status_code == 200, created.text
    voice = created.json()["id"]
    listed = requests.get(f"{two}/v1/audio/voices", headers=headers, timeout=30).json()
    assert voice in [v["id"] for v in listed["data"]]
    spoken = requests.post(f"{two}/v1/audio/speech", headers=headers, timeout=60,
                           json={"model": "tts-1", "voice": voice, "input": "Spoken by the other replica.", "response_format": "wav"})
    assert spoken.status_code == 200, spoken.text
    assert spoken.content[:4] == b"RIFF" and len(spoken.content) > 10_000


def test_a_url_image_stored_by_one_replica_is_served_by_the_other(cluster):
    one, two = cluster.replicas
    made = admin(one, cluster, "POST", "keys", {"name": "images"})
    generated = requests.post(f"{one}/v1/images/generations", headers={"Authorization": f"Bearer {made['key']}"}, timeout=60,
                              json={"model": "gpt-image-1", "prompt": "a red square", "size": "64x48", "response_format": "url"})
    assert generated.status_code == 200, generated.text
    url = generated.json()["data"][0]["url"]
    assert url.startswith(one + "/v1/media/"), url
    served = requests.get(two + url[len(one):], timeout=30)
    assert served.status_code == 200
    assert served.content[:8] == b"\x89PNG\r\n\x1a\n"


def test_requests_through_nginx_work_for_json_streams_and_uploads(cluster):
    made = admin(cluster.nginx, cluster, "POST", "keys", {"name": "through-nginx"})
    key = made["key"]
    # Plain JSON, over and over: nginx spreads them over both replicas (least_conn), the key works on either.
    for _ in range(6):
        answer = chat(cluster.nginx, key)
        assert answer.status_code == 200, answer.text
    with open(cluster.nginx_access_log) as f:
        answered_by = {line.split()[-1] for line in f if line.startswith("POST /v1/chat/completions 200 ")}
    assert answered_by == {replica[len("http://"):] for replica in cluster.replicas}, answered_by
    # Server-sent events pass unbuffered and whole.
    with chat(cluster.nginx, key, stream=True) as streamed:
        assert streamed.status_code == 200
        assert streamed.headers["Content-Type"].startswith("text/event-stream")
        events = [line for line in streamed.iter_lines() if line.startswith(b"data: ")]
    assert events[-1] == b"data: [DONE]"
    assert any(json.loads(e[6:])["choices"][0]["delta"].get("content") for e in events[:-1])
    # A multipart upload passes through (request buffering off) and the voice is seen by both replicas.
    headers = {"Authorization": f"Bearer {key}"}
    created = requests.post(f"{cluster.nginx}/v1/audio/voices", headers=headers, timeout=60,
                            files={"audio_sample": ("me.wav", spoken_sample(), "audio/wav")}, data={"name": "via-nginx"})
    assert created.status_code == 200, created.text
    for replica in cluster.replicas:
        listed = requests.get(f"{replica}/v1/audio/voices", headers=headers, timeout=30).json()
        assert created.json()["id"] in [v["id"] for v in listed["data"]]
    # Chorus's own errors come through as they are (status, OpenAI's shape).
    refused = chat(cluster.nginx, "sk-chorus-not-a-key")
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "invalid_api_key"


def test_an_upload_over_the_proxy_limit_is_refused_by_nginx_before_a_replica_reads_it(cluster):
    made = admin(cluster.nginx, cluster, "POST", "keys", {"name": "big-upload"})
    too_big = b"\0" * (27 * 1024 * 1024)
    response = requests.post(f"{cluster.nginx}/v1/audio/voices", headers={"Authorization": f"Bearer {made['key']}"},
                             files={"audio_sample": ("big.wav", too_big, "audio/wav")}, data={"name": "x"}, timeout=60)
    # nginx's client_max_body_size (26m) answers first, before any byte reaches a replica.
    assert response.status_code == 413
