#!/usr/bin/env bash
# Speech and voices through Chorus with curl (embedded default: no upstream needed).
#   CHORUS_URL=http://127.0.0.1:8080/v1 CHORUS_KEY=sk-chorus-... samples/speech.sh
set -euo pipefail
url=${CHORUS_URL:-http://127.0.0.1:8080/v1}
auth=(-H "Authorization: Bearer $CHORUS_KEY")
curl -sS "$url/audio/speech" "${auth[@]}" -H 'Content-Type: application/json' \
  -d '{"model": "tts-1", "input": "Hello from Chorus.", "voice": "nova", "response_format": "mp3"}' -o hello.mp3
echo "hello.mp3: $(wc -c < hello.mp3) bytes"
curl -sSN "$url/audio/speech" "${auth[@]}" -H 'Content-Type: application/json' \
  -d '{"model": "tts-1", "input": "Streaming events.", "voice": "echo", "stream_format": "sse"}' | cut -c1-80
curl -sS "$url/audio/voices" "${auth[@]}" | cut -c1-300; echo
# A voice from a recording (LibriVox, samples/speech/), then speech in it: the embedded engine matches its pitch
# and speaking rate with an espeak-ng voice; a cloning provider would clone it.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
voice=$(curl -sS "$url/audio/voices" "${auth[@]}" -F name=Reader -F audio_sample=@"$here/speech/sense-and-sensibility-0870.flac" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')
curl -sS "$url/audio/speech" "${auth[@]}" -H 'Content-Type: application/json' \
  -d "{\"model\": \"tts-1\", \"input\": \"In a voice like the reader's.\", \"voice\": {\"id\": \"$voice\"}}" -o matched.mp3
echo "matched.mp3: $(wc -c < matched.mp3) bytes in voice $voice"
curl -sS -X DELETE "$url/audio/voices/$voice" "${auth[@]}"; echo
