#!/usr/bin/env bash
# Chat, completions, embeddings and models through Chorus with curl.
#   CHORUS_URL=http://127.0.0.1:8080/v1 CHORUS_KEY=sk-chorus-... CHORUS_MODEL=gpt-4o-mini samples/chat.sh
set -euo pipefail
url=${CHORUS_URL:-http://127.0.0.1:8080/v1}
model=${CHORUS_MODEL:-gpt-4o-mini}
auth=(-H "Authorization: Bearer $CHORUS_KEY" -H 'Content-Type: application/json')
curl -sS "$url/chat/completions" "${auth[@]}" -d "{\"model\": \"$model\", \"messages\": [{\"role\": \"user\", \"content\": \"Hello\"}]}"; echo
curl -sSN "$url/chat/completions" "${auth[@]}" -d "{\"model\": \"$model\", \"stream\": true, \"messages\": [{\"role\": \"user\", \"content\": \"Count to three\"}]}"
curl -sS "$url/completions" "${auth[@]}" -d "{\"model\": \"$model\", \"prompt\": \"Once upon\"}"; echo
curl -sS "$url/embeddings" "${auth[@]}" -d "{\"model\": \"${CHORUS_EMBED_MODEL:-$model}\", \"input\": \"some text\"}" | head -c 300; echo
curl -sS "$url/models" "${auth[@]}"; echo
