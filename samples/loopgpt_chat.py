"""A two-turn conversation through Chorus's LoopGpt-style chat API with plain `requests`, then the key's
conversations.

    CHORUS_URL=http://127.0.0.1:8080 CHORUS_KEY=sk-chorus-... CHORUS_MODEL=gpt-4o-mini python3 samples/loopgpt_chat.py

CHORUS_URL may end in /v1 like the other samples' (it is removed); CHORUS_MODEL is a catalog id, slug or name.
"""
import os
import sys

import requests

root = os.environ.get("CHORUS_URL", "http://127.0.0.1:8080").rstrip("/").removesuffix("/v1")
chat_api = root + "/api/v1/chat"
model = os.environ.get("CHORUS_MODEL", "gpt-4o-mini")
NEEDS = "a chat model (CHORUS_MODEL, default gpt-4o-mini) on an OpenAI-compatible provider; the embedded default has none (samples/chorus.yaml)"

session = requests.Session()
session.headers["X-API-Key"] = os.environ["CHORUS_KEY"]


def call(method, path, **kwargs):
    """The `data` of a success envelope; an error envelope ends the sample with its message (exit status 1)."""
    answer = session.request(method, chat_api + path, timeout=120, **kwargs)
    try:
        body = answer.json()
    except ValueError:
        body = {"message": f"HTTP {answer.status_code}: {answer.text[:200]}"}
    if not body.get("success"):
        print(f"error: {body.get('message')}\nthis sample needs: {NEEDS}", file=sys.stderr)
        sys.exit(1)
    return body["data"]


first = call("POST", "/send", json={"model_id": model, "message": "Name three colours of the rainbow."})
print("first: ", first["response"])
second = call("POST", "/send", json={"model_id": model, "message": "And the other ones?",
                                     "conversation_id": first["conversation_id"]})
print("second:", second["response"])
print("usage: ", second["usage"])

listed = call("GET", "/conversations", params={"page": 1, "per_page": 5})
print(f"conversations ({listed['total']}):")
for conversation in listed["conversations"]:
    print(f"  #{conversation['id']} {conversation['title']!r}: {conversation['message_count']} messages, {conversation['model']}")
