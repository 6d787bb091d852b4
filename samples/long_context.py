"""Process a text longer than a model's context through Chorus's long-context route (map per chunk, then reduce),
printing the progress as it streams. The text is a file given as the first argument (default: Chorus's README).

    CHORUS_URL=http://127.0.0.1:8080/v1 CHORUS_KEY=sk-chorus-... CHORUS_MODEL=gpt-4o-mini \
        python3 samples/long_context.py [book.txt] ["What does this text say about X?"]
"""
import json
import os
import sys

import requests

url = os.environ.get("CHORUS_URL", "http://127.0.0.1:8080/v1")
root = url.removesuffix("/v1")
headers = {"Authorization": f"Bearer {os.environ['CHORUS_KEY']}"}
model = os.environ.get("CHORUS_MODEL", "gpt-4o-mini")
NEEDS = f"a chat model '{model}' (CHORUS_MODEL), ideally with its context_length in the config"

path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "README.md")
prompt = sys.argv[2] if len(sys.argv) > 2 else "List the main topics this text covers, one line each."
with open(path, encoding="utf-8") as file:
    text = file.read()

answer = requests.post(f"{root}/lollms/v1/long_context_process", headers=headers, timeout=600, stream=True,
                       json={"model": model, "text": text, "prompt": prompt, "stream": True})
if answer.status_code >= 400:
    try:
        message = answer.json()["error"]["message"]
    except (ValueError, KeyError, TypeError):
        message = answer.text[:300]
    sys.exit(f"error: HTTP {answer.status_code}: {message}\nthis sample needs: {NEEDS}")

for line in answer.iter_lines(decode_unicode=True):
    if not line.startswith("data: "):
        continue
    event = json.loads(line[len("data: "):])
    if event["type"] == "long_context.progress":
        print(f"{event['stage']} round {event['round']}: {event['completed']}/{event['total']}", file=sys.stderr)
    elif event["type"] == "error":
        sys.exit(f"error: {event['error']['message']}\nthis sample needs: {NEEDS}")
    elif event["type"] == "long_context.done":
        usage = event["usage"]
        print(f"{len(text)} characters in {event['chunks']} chunks, {usage['calls']} calls, "
              f"{usage['total_tokens']} tokens, cost {usage['cost']}", file=sys.stderr)
        print(event["text"])
