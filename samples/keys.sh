#!/usr/bin/env bash
# A key with limits and points, made, used and read back on a running Chorus (master key needed).
#   CHORUS_ADMIN=http://127.0.0.1:8080 CHORUS_MASTER_KEY=... CHORUS_MODEL=gpt-4o-mini samples/keys.sh
set -euo pipefail
admin=${CHORUS_ADMIN:-http://127.0.0.1:8080}
model=${CHORUS_MODEL:-gpt-4o-mini}
master=(-H "Authorization: Bearer $CHORUS_MASTER_KEY" -H 'Content-Type: application/json')
made=$(curl -fsS "$admin/admin/keys" "${master[@]}" -d '{"name": "sample", "rpm": 60, "max_concurrency": 2, "balance": 100}')
id=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])' <<<"$made")
key=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])' <<<"$made")
echo "made key $id"
# A call with the new key: the x-ratelimit-* headers count down.
curl -sS -D - -o /dev/null "$admin/v1/chat/completions" -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
  -d "{\"model\": \"$model\", \"messages\": [{\"role\": \"user\", \"content\": \"Hello\"}]}" | grep -i '^x-ratelimit\|^HTTP'
curl -fsS -X PATCH "$admin/admin/keys/$id" "${master[@]}" -d '{"balance": 250, "budget": 50, "budget_period": "daily"}'; echo
curl -fsS "$admin/admin/keys/$id" "${master[@]}"; echo        # balance, spend, limits
curl -fsS -X DELETE "$admin/admin/keys/$id" "${master[@]}"; echo
