"""Talk to a realtime model through Chorus with the official OpenAI SDK: send a WAV, save the spoken answer.

    CHORUS_URL=http://127.0.0.1:8080/v1 CHORUS_KEY=sk-chorus-... CHORUS_REALTIME_MODEL=gpt-realtime \\
        python3 samples/realtime_talk.py question.wav answer.wav

Needs `pip install "openai[realtime]"` and ffmpeg when the WAV is not already 24 kHz mono 16-bit.
"""
import base64
import json
import os
import subprocess
import sys
import wave

from openai import OpenAI

NEEDS = ("a model with capabilities: [realtime] (CHORUS_REALTIME_MODEL, default gpt-realtime) on a provider that "
         "speaks OpenAI's Realtime API; the embedded default has none")
RATE = 24000


def pcm16_24k(path):
    """The WAV as PCM16 mono 24 kHz (what the session is told to expect), converted by ffmpeg when it is not."""
    with wave.open(path) as wav:
        if (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (RATE, 1, 2):
            return wav.readframes(wav.getnframes())
    return subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-f", "s16le", "-ac", "1", "-ar", str(RATE), "-"],
                          check=True, capture_output=True).stdout


def main():
    source, target = (sys.argv[1:3] + ["answer.wav"])[:2] if len(sys.argv) > 1 else (None, None)
    if source is None:
        sys.exit("usage: realtime_talk.py question.wav [answer.wav]")
    client = OpenAI(base_url=os.environ.get("CHORUS_URL", "http://127.0.0.1:8080/v1"), api_key=os.environ["CHORUS_KEY"])
    audio = pcm16_24k(source)
    answer, transcript = bytearray(), []
    with client.realtime.connect(model=os.environ.get("CHORUS_REALTIME_MODEL", "gpt-realtime")) as connection:
        connection.session.update(session={"type": "realtime", "output_modalities": ["audio"],
                                           "audio": {"input": {"format": {"type": "audio/pcm", "rate": RATE},
                                                               "turn_detection": None}}})
        for start in range(0, len(audio), RATE * 2):   # one second a piece
            connection.input_audio_buffer.append(audio=base64.b64encode(audio[start:start + RATE * 2]).decode())
        connection.input_audio_buffer.commit()
        connection.response.create()
        for event in connection:
            if event.type == "response.output_audio.delta":
                answer += base64.b64decode(event.delta)
            elif event.type == "response.output_audio_transcript.delta":
                transcript.append(event.delta)
            elif event.type == "error":
                sys.exit(f"error: {event.error.message}")
            elif event.type == "response.done":
                print("usage:", event.response.usage)
                break
    with wave.open(target, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(bytes(answer))
    print(f"answer: {''.join(transcript)!r}; {len(answer) / (RATE * 2):.2f} s of audio in {target}")


if __name__ == "__main__":
    try:
        main()
    except Exception as error:
        # A refused upgrade (websockets' InvalidStatus) carries Chorus's JSON error answer.
        response = getattr(error, "response", None)
        body = getattr(response, "body", None)
        if not body:
            raise
        try:
            message = json.loads(body)["error"]["message"]
        except (ValueError, KeyError, TypeError):
            message = body.decode(errors="replace")
        print(f"error: {message}\nthis sample needs: {NEEDS}", file=sys.stderr)
        sys.exit(1)
