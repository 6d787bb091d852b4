"""images.generate / images.edit with the official SDK against an OpenAI-compatible mock upstream and a mock
AUTOMATIC1111, with masks checked pixel by pixel where they arrive (decoded with the ffmpeg CLI)."""
import base64
import io
import json
import struct
import subprocess
import urllib.request
import zlib

import openai
import pytest


@pytest.fixture
def client(env):
    return openai.OpenAI(base_url=env.base_url, api_key=env.key, max_retries=0, timeout=60)


def png(width, height, pixels):
    """An 8-bit PNG from a list of rows of RGBA tuples."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + b"".join(bytes(p) for p in row) for row in pixels)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def solid(width, height):
    return png(width, height, [[(30, 90, 200, 255)] * width for _ in range(height)])


def size_of(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n", data[:16]
    return struct.unpack(">II", data[16:24])


def rgba(data, width, height):
    """Pixels as ffmpeg decodes them: a list of RGBA tuples, row by row."""
    out = subprocess.run(["ffmpeg", "-v", "error", "-i", "-", "-f", "rawvideo", "-pix_fmt", "rgba", "-"],
                         input=data, capture_output=True, check=True).stdout
    assert len(out) == width * height * 4
    return [tuple(out[i:i + 4]) for i in range(0, len(out), 4)]


def last_upstream_request(env):
    with urllib.request.urlopen(env.upstream_root + "/debug/last-image-request") as response:
        return json.load(response)


def test_generate_b64_json_returns_a_png_of_the_requested_size(client, rows):
    result = client.images.generate(model="gpt-image-1", prompt="a lighthouse", size="256x128", n=2,
                                    response_format="b64_json")
    assert len(result.data) == 2
    assert size_of(base64.b64decode(result.data[0].b64_json)) == (256, 128)
    row = rows()[0]
    assert row["route"] == "/images/generations" and row["images"] == 2 and row["image_size"] == "256x128"


def test_generate_url_loads_without_a_key_and_holds_the_png(client, env):
    result = client.images.generate(model="gpt-image-1", prompt="a lighthouse", size="96x64", response_format="url")
    url = result.data[0].url
    assert url.startswith(f"http://127.0.0.1:{env.port}/v1/media/img_")
    with urllib.request.urlopen(url) as response:
        assert response.headers["Content-Type"] == "image/png"
        assert size_of(response.read()) == (96, 64)


def test_edit_one_image_without_mask(client, env):
    result = client.images.edit(model="gpt-image-1", image=("photo.png", solid(64, 64), "image/png"),
                                prompt="add a hat", response_format="b64_json")
    assert size_of(base64.b64decode(result.data[0].b64_json)) == (64, 64)
    sent = last_upstream_request(env)
    assert [f["name"] for f in sent["files"]] == ["image"]
    assert sent["fields"]["prompt"] == "add a hat" and sent["fields"]["model"] == "upstream-image"


def test_edit_several_images_go_upstream_as_image_array(client, env):
    images = [("a.png", solid(32, 32), "image/png"), ("b.png", solid(32, 32), "image/png")]
    client.images.edit(model="gpt-image-1", image=images, prompt="combine", response_format="b64_json")
    sent = last_upstream_request(env)
    assert [f["name"] for f in sent["files"]] == ["image[]", "image[]"]


def test_white_edits_mask_arrives_as_alpha_zero_exactly_where_white(client, env):
    width, height = 24, 16
    mask = png(width, height, [[(255, 255, 255, 255) if x < 10 else (0, 0, 0, 255) for x in range(width)]
                               for _ in range(height)])
    result = client.images.edit(model="echo-mask", image=("photo.png", solid(width, height), "image/png"),
                                mask=("mask.png", mask, "image/png"), prompt="paint the left", response_format="b64_json")
    forwarded = base64.b64decode(result.data[0].b64_json)
    pixels = rgba(forwarded, width, height)
    for index, pixel in enumerate(pixels):
        assert pixel[3] == (0 if index % width < 10 else 255), index


def test_alpha_mask_arrives_at_sd_webui_as_white_edits(client, env):
    width, height = 20, 12
    mask = png(width, height, [[(0, 0, 0, 0) if x >= 15 else (0, 0, 0, 255) for x in range(width)]
                               for _ in range(height)])
    client.images.edit(model="sd-xl", image=("photo.png", solid(width, height), "image/png"),
                       mask=("mask.png", mask, "image/png"), prompt="a cat", response_format="b64_json")
    sent = last_upstream_request(env)
    assert sent["path"] == "/sdapi/v1/img2img"
    assert len(sent["fields"]["init_images"]) == 1 and sent["fields"]["inpainting_fill"] == 1
    pixels = rgba(base64.b64decode(sent["fields"]["mask"]), width, height)
    for index, pixel in enumerate(pixels):
        assert pixel[0] == (255 if index % width >= 15 else 0), index


@pytest.mark.parametrize("case", ["wrong_size", "not_png", "truncated", "huge"])
def test_bad_masks_and_images_are_400_naming_the_field_and_the_gateway_keeps_serving(client, case):
    image = solid(16, 16)
    mask = None
    field = "mask"
    if case == "wrong_size":
        mask = solid(8, 16)
    elif case == "not_png":
        mask = b"GIF89a" + b"\x00" * 32
    elif case == "truncated":
        image, field = image[:-20], "image"
    elif case == "huge":
        header = solid(1, 1)
        ihdr = b"IHDR" + struct.pack(">IIBBBBB", 100000, 100000, 8, 6, 0, 0, 0)
        image = header[:8] + struct.pack(">I", 13) + ihdr + struct.pack(">I", zlib.crc32(ihdr) & 0xFFFFFFFF) + header[33:]
        field = "image"
    kwargs = {"mask": ("mask.png", mask, "image/png")} if mask is not None else {}
    with pytest.raises(openai.BadRequestError) as raised:
        client.images.edit(model="gpt-image-1", image=("photo.png", image, "image/png"), prompt="p", **kwargs)
    assert raised.value.body["param"] == field
    assert client.images.generate(model="gpt-image-1", prompt="still up", response_format="b64_json").data


def test_chat_with_image_modality_returns_message_images(client):
    completion = client.chat.completions.create(
        model="gpt-image-1", modalities=["image"], messages=[{"role": "user", "content": "a red fox"}])
    images = completion.choices[0].message.model_extra["images"]
    assert images[0]["image_url"]["url"].startswith("data:image/png;base64,")
