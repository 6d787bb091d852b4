#!/usr/bin/env bash
# Images through Chorus with curl. Needs CHORUS_KEY and an image model (see samples/images.py for a mock setup).
set -euo pipefail
BASE=${CHORUS_URL:-http://127.0.0.1:8080/v1}
MODEL=${CHORUS_IMAGE_MODEL:-gpt-image-1}
AUTH="Authorization: Bearer $CHORUS_KEY"

# Generate, answered as a URL Chorus serves without a key.
url=$(curl -sf "$BASE/images/generations" -H "$AUTH" -H 'Content-Type: application/json' \
  -d "{\"model\": \"$MODEL\", \"prompt\": \"a lighthouse at dusk\", \"size\": \"256x256\", \"response_format\": \"url\"}" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["data"][0]["url"])')
echo "url: $url"
curl -sf "$url" -o generated.png && echo "generated.png: $(wc -c < generated.png) bytes"

# Edit the generated image (multipart), answered as base64.
curl -sf "$BASE/images/edits" -H "$AUTH" -F model="$MODEL" -F prompt="add a moon" -F image=@generated.png \
  -F response_format=b64_json | python3 -c 'import base64,json,sys; open("edited.png","wb").write(base64.b64decode(json.load(sys.stdin)["data"][0]["b64_json"]))'
echo "edited.png: $(wc -c < edited.png) bytes"

# A bad mask is a 400 naming the field.
printf 'not a png' > notapng.png
curl -s "$BASE/images/edits" -H "$AUTH" -F model="$MODEL" -F prompt=x -F image=@generated.png -F mask=@notapng.png; echo
rm -f notapng.png
