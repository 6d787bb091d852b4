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
