#!/usr/bin/env bash
# Images through Chorus with curl. Needs CHORUS_KEY and an image model (see samples/images.py for a mock setup).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
BASE=${CHORUS_URL:-http://127.0.0.1:8080/v1}
MODEL=${CHORUS_IMAGE_MODEL:-gpt-image-1}
: "${CHORUS_KEY:?set CHORUS_KEY to a Chorus key (or the master key)}"
AUTH="Authorization: Bearer $CHORUS_KEY"
NEEDS="an image model '$MODEL' on an image provider (CHORUS_IMAGE_MODEL=…; the embedded default has none — samples/chorus-images-mock.yaml runs one offline)"

# Generate, answered as a URL Chorus serves without a key.
# (Each answer is taken whole first: a failed call then stops the script with the gateway's message.)
generated=$(call "$NEEDS" "$BASE/images/generations" -H "$AUTH" -H 'Content-Type: application/json' \
  -d "{\"model\": \"$MODEL\", \"prompt\": \"a lighthouse at dusk\", \"size\": \"256x256\", \"response_format\": \"url\"}")
url=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["data"][0]["url"])' "$generated")
echo "url: $url"
call "$NEEDS" "$url" > generated.png && echo "generated.png: $(wc -c < generated.png) bytes"

# Edit the generated image (multipart), answered as base64.
edited=$(call "$NEEDS (with edits)" "$BASE/images/edits" -H "$AUTH" -F model="$MODEL" -F prompt="add a moon" -F image=@generated.png \
  -F response_format=b64_json)
python3 -c 'import base64,json,sys; open("edited.png","wb").write(base64.b64decode(json.loads(sys.stdin.read())["data"][0]["b64_json"]))' <<<"$edited"
echo "edited.png: $(wc -c < edited.png) bytes"

# A bad mask is a 400 naming the field.
printf 'not a png' > notapng.png
curl -s "$BASE/images/edits" -H "$AUTH" -F model="$MODEL" -F prompt=x -F image=@generated.png -F mask=@notapng.png; echo
rm -f notapng.png
