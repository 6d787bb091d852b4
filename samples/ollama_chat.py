"""Chat through Chorus with the `ollama` Python client (Ollama's native API: /api/tags, /api/chat, /api/generate).

    CHORUS_HOST=http://127.0.0.1:8080 CHORUS_KEY=sk-chorus-... CHORUS_MODEL=gpt-4o-mini python3 samples/ollama_chat.py

CHORUS_HOST is the server's root (no /v1). CHORUS_URL (as the other samples take it) works too: its /v1 is dropped.
"""
import os

from ollama import Client
from sample_errors import explain_errors

host = os.environ.get("CHORUS_HOST") or os.environ.get("CHORUS_URL", "http://127.0.0.1:8080").removesuffix("/").removesuffix("/v1")
client = Client(host=host, headers={"Authorization": f"Bearer {os.environ['CHORUS_KEY']}"})
model = os.environ.get("CHORUS_MODEL", "gpt-4o-mini")
NEEDS = "a chat model (CHORUS_MODEL, default gpt-4o-mini) on an OpenAI-compatible provider; the embedded default has none (samples/chorus.yaml)"

explain_errors(NEEDS)

print("models:", [m.model for m in client.list().models])

reply = client.chat(model=model, messages=[{"role": "user", "content": "Say hello in five words."}])
print("chat:", reply.message.content)

print("stream: ", end="")
for part in client.chat(model=model, stream=True, messages=[{"role": "user", "content": "Count to five."}]):
    print(part.message.content or "", end="", flush=True)
print()

print("generate:", client.generate(model=model, prompt="Name a colour.", options={"temperature": 0.2}).response)
