"""Speech through Chorus with the official OpenAI SDK — works on the embedded default (no upstream needed).

    CHORUS_URL=http://127.0.0.1:8080/v1 CHORUS_KEY=sk-chorus-... python3 samples/speech.py
Writes hello.<format> for every response_format, streamed.mp3, and matched.mp3 in a voice made from a recording.
"""
import os
import pathlib

from openai import OpenAI

client = OpenAI(base_url=os.environ.get("CHORUS_URL", "http://127.0.0.1:8080/v1"), api_key=os.environ["CHORUS_KEY"])
model = os.environ.get("CHORUS_TTS_MODEL", "tts-1")

for fmt in ["mp3", "opus", "aac", "flac", "wav", "pcm"]:
    audio = client.audio.speech.create(model=model, voice="nova", input="Hello from Chorus.", response_format=fmt)
    name = f"hello.{fmt}"
    audio.write_to_file(name)
    print(name, len(audio.content), "bytes")

with client.audio.speech.with_streaming_response.create(model=model, voice="onyx", response_format="mp3",
                                                        input="This arrives while it is being spoken.") as response:
    response.stream_to_file("streamed.mp3")
print("streamed.mp3 written")

voices = client.get("/audio/voices", cast_to=object)
print("voices:", [v["id"] for v in voices["data"]])

# A voice from a recording (LibriVox, samples/speech/): the embedded engine matches its pitch and speaking rate with
# an espeak-ng voice (a cloning provider would clone it). The OpenAI SDK has no voices API, so the raw client posts it.
recording = pathlib.Path(__file__).parent / "speech" / "sense-and-sensibility-0870.flac"
voice = client.post("/audio/voices", cast_to=object, body={"name": "Reader"},
                    files=[("audio_sample", (recording.name, recording.read_bytes()))],
                    options={"headers": {"Content-Type": "multipart/form-data"}})
client.audio.speech.create(model=model, voice={"id": voice["id"]}, input="In a voice like the reader's.",
                           response_format="mp3").write_to_file("matched.mp3")
print("matched.mp3 written in voice", voice["id"])
client.delete(f"/audio/voices/{voice['id']}", cast_to=object)
