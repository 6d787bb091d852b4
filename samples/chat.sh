#!/usr/bin/env bash
# Chat, completions, embeddings and models through Chorus with curl.
#   CHORUS_URL=http://127.0.0.1:8080/v1 CHORUS_KEY=sk-chorus-... CHORUS_MODEL=gpt-4o-mini samples/chat.sh
# Needs a chat model on an upstream provider (the embedded default has none: see samples/chorus.yaml).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
url=${CHORUS_URL:-http://127.0.0.1:8080/v1}
model=${CHORUS_MODEL:-gpt-4o-mini}
: "${CHORUS_KEY:?set CHORUS_KEY to a Chorus key (or the master key)}"
needs="a chat model '$model' on an OpenAI-compatible provider (CHORUS_MODEL=…; samples/chorus.yaml)"
auth=(-H "Authorization: Bearer $CHORUS_KEY" -H 'Content-Type: application/json')
call "$needs" "$url/chat/completions" "${auth[@]}" -d "{\"model\": \"$model\", \"messages\": [{\"role\": \"user\", \"content\": \"Hello\"}]}"; echo
call "$needs" -N "$url/chat/completions" "${auth[@]}" -d "{\"model\": \"$model\", \"stream\": true, \"messages\": [{\"role\": \"user\", \"content\": \"Count to three\"}]}"
call "$needs (with completions)" "$url/completions" "${auth[@]}" -d "{\"model\": \"$model\", \"prompt\": \"Once upon\"}"; echo
call "an embeddings model (CHORUS_EMBED_MODEL=…)" "$url/embeddings" "${auth[@]}" -d "{\"model\": \"${CHORUS_EMBED_MODEL:-$model}\", \"input\": \"some text\"}" | head -c 300; echo
call "a valid key" "$url/models" "${auth[@]}"; echo
