"""audio.transcriptions / audio.translations with the official SDK on the embedded engine (a round trip from
the embedded TTS), in every response_format."""
import io

import openai
import pytest


@pytest.fixture(scope="module")
def speech(env):
    client = openai.OpenAI(base_url=env.base_url, api_key=env.key, max_retries=0, timeout=60)
    return client.audio.speech.create(model="tts-1", voice="alloy", response_format="mp3",
                                      input="Hello world. This is a test of the gateway.").content


@pytest.fixture
def client(env):
    return openai.OpenAI(base_url=env.base_url, api_key=env.key, max_retries=0, timeout=60)


@pytest.mark.parametrize("fmt", ["json", "verbose_json", "text", "srt", "vtt"])
def test_transcription_formats(client, speech, fmt, rows):
    result = client.audio.transcriptions.create(model="whisper-1", file=("speech.mp3", io.BytesIO(speech)),
                                                response_format=fmt)
    if fmt in ("json", "verbose_json"):
        assert result.text.strip()
        if fmt == "verbose_json":
            assert result.duration > 1 and result.segments
    else:
        assert isinstance(result, str) and result.strip()
        if fmt == "vtt":
            assert result.startswith("WEBVTT")
        if fmt == "srt":
            assert result.startswith("1\n")
    row = [r for r in rows(2) if r["route"] == "/audio/transcriptions"][0]
    assert row["audio_seconds"] > 1


def test_translation(client, speech):
    result = client.audio.translations.create(model="whisper-1", file=("speech.mp3", io.BytesIO(speech)))
    assert result.text.strip()


def test_text_file_is_refused_naming_file(client):
    with pytest.raises(openai.BadRequestError) as info:
        client.audio.transcriptions.create(model="whisper-1", file=("notes.txt", io.BytesIO(b"not audio")))
    assert info.value.body["param"] == "file"
