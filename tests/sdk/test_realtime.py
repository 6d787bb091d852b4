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
