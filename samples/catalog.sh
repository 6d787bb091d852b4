#!/usr/bin/env bash
# The public model catalog (no key needed): search, filters, pages, one model, the categories.
#   CHORUS_URL=http://127.0.0.1:8080/v1 samples/catalog.sh
# Works on any Chorus, the embedded default included.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
url=${CHORUS_URL:-http://127.0.0.1:8080/v1}
root=${url%/v1}
needs="a running Chorus (the catalog needs no key)"
echo "== every model, 5 a page"
call "$needs" "$root/api/models?per_page=5"; echo
echo "== speech models"
call "$needs" "$root/api/models?type=speech"; echo
echo "== search: 'tts'"
call "$needs" -G "$root/api/models" --data-urlencode "q=tts"; echo
first=$(call "$needs" "$root/api/models?per_page=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"][0]["slug"])')
echo "== one model by slug: $first"
call "$needs" "$root/api/models/$first"; echo
echo "== categories"
call "$needs" "$root/api/categories"; echo
