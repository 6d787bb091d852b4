"""Images through Chorus with the official OpenAI SDK: generate (url and b64_json), edit with a mask, several
images, and an image from the chat route.

Needs an image model. Without an OpenAI key or a Stable Diffusion WebUI, use the mock provider the tests use:
    python3 tests/sdk/mock_upstream.py 9100 &
    CHORUS_MASTER_KEY=sk-chorus-demo-master chorus serve --config samples/chorus-images-mock.yaml &
    CHORUS_KEY=sk-chorus-demo-master python3 samples/images.py
Writes generated.png, edited.png, chat.png in the working directory.
"""
import base64
import os
import struct
import urllib.request
import zlib

from openai import OpenAI
from sample_errors import explain_errors

client = OpenAI(base_url=os.environ.get("CHORUS_URL", "http://127.0.0.1:8080/v1"), api_key=os.environ["CHORUS_KEY"])
model = os.environ.get("CHORUS_IMAGE_MODEL", "gpt-image-1")
NEEDS = "an image model (CHORUS_IMAGE_MODEL, default gpt-image-1); without an upstream, the mock setup in this file's docstring"

explain_errors(NEEDS)


def png(width, height, pixel):
    """An RGBA PNG where pixel(x, y) gives each (r, g, b, a): enough to make a photo stand-in and a mask."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    rows = b"".join(b"\x00" + b"".join(bytes(pixel(x, y)) for x in range(width)) for y in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


# Generate: a URL Chorus serves (no key needed to load it), then base64.
url = client.images.generate(model=model, prompt="a lighthouse at dusk", size="256x256", response_format="url").data[0].url
print("url:", url)
with urllib.request.urlopen(url) as response, open("generated.png", "wb") as out:
    out.write(response.read())
b64 = client.images.generate(model=model, prompt="a lighthouse at dusk", size="256x256", response_format="b64_json")
print("b64_json:", len(b64.data[0].b64_json), "characters")

# Edit with a black/white mask (white = edit); Chorus converts it to what the provider wants.
photo = png(256, 256, lambda x, y: (40, 90 + y // 4, 200, 255))
mask = png(256, 256, lambda x, y: (255, 255, 255, 255) if x < 128 else (0, 0, 0, 255))
edited = client.images.edit(model=model, image=("photo.png", photo, "image/png"), mask=("mask.png", mask, "image/png"),
                            prompt="paint the left half red", response_format="b64_json")
open("edited.png", "wb").write(base64.b64decode(edited.data[0].b64_json))
print("edited.png written")

# Several images at once (image[] upstream).
combined = client.images.edit(model=model, image=[("a.png", photo, "image/png"), ("b.png", photo, "image/png")],
                              prompt="combine them", response_format="b64_json")
print("combined:", len(combined.data), "image(s)")

# Chat with modalities=["image"] on an image model answers with message.images (data URLs).
chat = client.chat.completions.create(model=model, modalities=["image"],
                                      messages=[{"role": "user", "content": "a red fox in the snow"}])
data_url = chat.choices[0].message.model_extra["images"][0]["image_url"]["url"]
open("chat.png", "wb").write(base64.b64decode(data_url.split(",", 1)[1]))
print("chat.png written")
