"""Speech to text through Chorus with the official OpenAI SDK — a round trip on the embedded default.

    CHORUS_URL=http://127.0.0.1:8080/v1 CHORUS_KEY=sk-chorus-... python3 samples/transcribe.py
"""
import io
import os

from openai import OpenAI

client = OpenAI(base_url=os.environ.get("CHORUS_URL", "http://127.0.0.1:8080/v1"), api_key=os.environ["CHORUS_KEY"])
audio = client.audio.speech.create(model="tts-1", voice="alloy", input="Hello world. This is a test of the gateway.",
                                   response_format="mp3").content
for fmt in ["json", "text", "srt", "vtt", "verbose_json"]:
    result = client.audio.transcriptions.create(model=os.environ.get("CHORUS_STT_MODEL", "whisper-1"),
                                                file=("hello.mp3", io.BytesIO(audio)), response_format=fmt)
    print(f"--- {fmt}\n{result if isinstance(result, str) else result.text}")
