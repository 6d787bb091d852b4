"""Chat through Chorus with the official OpenAI SDK.

    CHORUS_URL=http://127.0.0.1:8080/v1 CHORUS_KEY=sk-chorus-... CHORUS_MODEL=gpt-4o-mini python3 samples/chat.py
"""
import os

from openai import OpenAI
from sample_errors import explain_errors

client = OpenAI(base_url=os.environ.get("CHORUS_URL", "http://127.0.0.1:8080/v1"), api_key=os.environ["CHORUS_KEY"])
model = os.environ.get("CHORUS_MODEL", "gpt-4o-mini")
NEEDS = "a chat model (CHORUS_MODEL, default gpt-4o-mini) on an OpenAI-compatible provider; the embedded default has none (samples/chorus.yaml)"

explain_errors(NEEDS)

reply = client.chat.completions.create(model=model, messages=[{"role": "user", "content": "Say hello in five words."}])
print("non-stream:", reply.choices[0].message.content)

print("stream: ", end="")
for chunk in client.chat.completions.create(model=model, stream=True,
                                            messages=[{"role": "user", "content": "Count to five."}]):
    if chunk.choices:
        print(chunk.choices[0].delta.content or "", end="", flush=True)
print()

print("models:", [m.id for m in client.models.list()])
