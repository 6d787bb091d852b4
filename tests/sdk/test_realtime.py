"""/v1/realtime through Chorus with the stock openai SDK (`client.realtime.connect`) and a raw `websockets` client,
to the mock realtime upstream (mock_realtime.py)."""
import json

import openai
from websockets.sync.client import connect


def test_sdk_realtime_session_relays_events_and_writes_one_usage_row(env, rows):
    client = openai.OpenAI(api_key=env.key, base_url=env.base_url)
    kinds = []
    with client.realtime.connect(model="gpt-realtime") as connection:
        connection.session.update(session={"type": "realtime", "output_modalities": ["audio"], "instructions": "Be brief."})
        connection.input_audio_buffer.append(audio="AAAAAA==")
        connection.input_audio_buffer.commit()
        connection.response.create()
        for event in connection:
            kinds.append(event.type)
            if event.type == "response.done":
                usage = event.response.usage
                break
    assert kinds[0] == "session.created"
    assert "session.updated" in kinds and "input_audio_buffer.committed" in kinds and "response.output_audio.delta" in kinds
    assert usage.input_tokens == 120 and usage.output_token_details.audio_tokens == 80
    got = [row for row in rows(1) if row["route"] == "/realtime"]
    assert len(got) == 1
    row = got[0]
    assert row["status"] == 200 and row["model"] == "gpt-realtime"
    assert row["prompt_tokens"] == 120 and row["completion_tokens"] == 110
    assert row["input_audio_tokens"] == 100 and row["output_audio_tokens"] == 80
    assert row["session_seconds"] > 0
    # The upstream saw the provider's key and its own model name, never the caller's key.
    with open(env.realtime_log) as log:
        seen = [json.loads(line) for line in log]
    assert seen[-1]["authorization"] == "Bearer sk-upstream-realtime"
    assert seen[-1]["path"] == "/v1/realtime?model=upstream-realtime"


def test_browser_form_key_in_subprotocol_opens_a_session(env):
    url = env.base_url.replace("http://", "ws://") + "/realtime?model=gpt-realtime"
    with connect(url, subprotocols=["realtime", f"openai-insecure-api-key.{env.key}"]) as ws:
        assert ws.subprotocol == "realtime"
        assert json.loads(ws.recv(timeout=5))["type"] == "session.created"


def test_unknown_model_is_refused_with_404(env):
    url = env.base_url.replace("http://", "ws://") + "/realtime?model=nope"
    try:
        with connect(url, additional_headers={"Authorization": f"Bearer {env.key}"}):
            raise AssertionError("the upgrade should have been refused")
    except Exception as error:  # websockets.exceptions.InvalidStatus
        response = getattr(error, "response", None)
        assert response is not None and response.status_code == 404
        assert json.loads(response.body)["error"]["code"] == "model_not_found"


def test_realtime_talk_sample_saves_the_spoken_answer(env, tmp_path):
    import os
    import struct
    import subprocess
    import sys
    import wave
    question = tmp_path / "question.wav"
    with wave.open(str(question), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(24000)
        wav.writeframes(struct.pack("<24000h", *([1000, -1000] * 12000)))
    sample = os.path.join(os.path.dirname(__file__), "..", "..", "samples", "realtime_talk.py")
    environ = dict(os.environ, CHORUS_URL=env.base_url, CHORUS_KEY=env.key, CHORUS_REALTIME_MODEL="gpt-realtime")
    done = subprocess.run([sys.executable, sample, str(question), str(tmp_path / "answer.wav")], env=environ,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "I heard 48000 bytes." in done.stdout
    with wave.open(str(tmp_path / "answer.wav")) as answer:
        assert answer.getframerate() == 24000 and answer.getnframes() == 12000
    missing = subprocess.run([sys.executable, sample, str(question)], env=dict(environ, CHORUS_REALTIME_MODEL="nope"),
                             capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert missing.returncode == 1 and "this sample needs:" in missing.stderr and "Traceback" not in missing.stderr
