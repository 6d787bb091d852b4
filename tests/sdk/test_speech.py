"""audio.speech with the official SDK: every format, from the embedded engine and from a wav-only upstream."""
import json
import os
import subprocess
import tempfile

import openai
import pytest

CODECS = {"mp3": "mp3", "opus": "opus", "aac": "aac", "flac": "flac", "wav": "pcm_s16le"}


def probe(data, fmt):
    with tempfile.NamedTemporaryFile(suffix="." + fmt, delete=False) as f:
        f.write(data)
    try:
        raw = ["-f", "s16le", "-ar", "24000", "-ac", "1"] if fmt == "pcm" else []
        out = subprocess.check_output(["ffprobe", "-v", "error", *raw, "-show_entries",
                                       "stream=codec_name,sample_rate,channels:format=duration", "-of", "json", f.name])
        info = json.loads(out)
        stream = info["streams"][0]
        duration = len(data) / 48000 if fmt == "pcm" else float(info["format"]["duration"])
        return stream["codec_name"], int(stream["sample_rate"]), stream["channels"], duration
    finally:
        os.unlink(f.name)


@pytest.fixture
def client(env):
    return openai.OpenAI(base_url=env.base_url, api_key=env.key, max_retries=0, timeout=30)


@pytest.mark.parametrize("model,expected", [("tts-1", None), ("wav-tts", 1.5)])
@pytest.mark.parametrize("fmt", ["mp3", "opus", "aac", "flac", "wav", "pcm"])
def test_speech_every_format(client, model, expected, fmt, rows):
    audio = client.audio.speech.create(model=model, voice="alloy", input="Hello from Chorus.", response_format=fmt)
    codec, rate, channels, duration = probe(audio.content, fmt)
    if fmt != "pcm":
        assert codec == CODECS[fmt]
        assert rate == (48000 if fmt == "opus" else 24000)
        assert channels == 1
    if expected:
        assert abs(duration - expected) < 0.15, duration
    else:
        assert 0.5 < duration < 5, duration
    row = rows()[0]
    assert row["route"] == "/audio/speech" and row["characters"] == 18


def test_speech_streaming_response(client):
    with client.audio.speech.with_streaming_response.create(model="wav-tts", voice="nova", input="Streaming.",
                                                            response_format="mp3") as response:
        chunks = list(response.iter_bytes())
    assert len(chunks) >= 1
    assert probe(b"".join(chunks), "mp3")[0] == "mp3"


def test_speech_bad_voice_sample_names_the_param(client):
    with pytest.raises(openai.BadRequestError) as info:
        client.audio.speech.create(model="tts-1", voice="alloy", input="x", extra_body={"audio_sample": "%%%"})
    assert info.value.body["param"] == "audio_sample"
