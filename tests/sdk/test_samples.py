"""The samples against a live Chorus: they work where their models exist, and otherwise stop with the gateway's
message and what they need (exit status non-zero), not a stray 404 or a traceback."""
import os
import subprocess
import sys

SAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "samples")


def run(env, command, tmp_path, **extra):
    environ = dict(os.environ, CHORUS_URL=env.base_url, CHORUS_KEY=env.master, **extra)
    return subprocess.run(command, cwd=tmp_path, env=environ, capture_output=True, text=True, timeout=60)


def test_speech_sample_works_on_the_embedded_engine(env, tmp_path):
    done = run(env, ["bash", os.path.join(SAMPLES, "speech.sh")], tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "hello.mp3").stat().st_size > 1000


def test_curl_samples_without_their_model_exit_nonzero_with_the_gateways_message(env, tmp_path):
    for script, variable in [("chat.sh", "CHORUS_MODEL"), ("images.sh", "CHORUS_IMAGE_MODEL")]:
        done = run(env, ["bash", os.path.join(SAMPLES, script)], tmp_path, **{variable: "no-such-model"})
        assert done.returncode != 0, script
        assert "The model 'no-such-model' does not exist" in done.stderr, done.stderr
        assert "this sample needs:" in done.stderr
        assert "Traceback" not in done.stderr


def test_sdk_samples_without_their_model_exit_nonzero_with_the_gateways_message(env, tmp_path):
    for script, variable in [("chat.py", "CHORUS_MODEL"), ("images.py", "CHORUS_IMAGE_MODEL")]:
        done = run(env, [sys.executable, os.path.join(SAMPLES, script)], tmp_path, **{variable: "no-such-model"})
        assert done.returncode != 0, script
        assert "does not exist" in done.stderr and "this sample needs:" in done.stderr, done.stderr
        assert "Traceback" not in done.stderr


def test_long_context_sample_streams_progress_then_the_answer(env, tmp_path):
    long_text = tmp_path / "long.txt"
    long_text.write_text("".join(f"Line {i}: the lighthouse keeper writes the weather down.\n" for i in range(4000)))
    done = run(env, [sys.executable, os.path.join(SAMPLES, "long_context.py"), str(long_text), "Summarise."], tmp_path)
    assert done.returncode == 0, done.stderr
    assert "map round 0:" in done.stderr and "chunks" in done.stderr
    assert done.stdout.strip(), "the combined answer is printed"
    missing = run(env, [sys.executable, os.path.join(SAMPLES, "long_context.py"), str(long_text)], tmp_path,
                  CHORUS_MODEL="no-such-model")
    assert missing.returncode != 0 and "this sample needs:" in missing.stderr and "Traceback" not in missing.stderr
