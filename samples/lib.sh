# Shared by the curl samples: one call, and on an error answer the gateway's own message, what the sample needs,
# and a non-zero exit — not a 404 printed in passing or a JSON traceback three commands later.
#   call NEEDS curl-arguments…      prints the body on 2xx (to stdout, or where -o says)
call() {
  local needs=$1; shift
  local body status
  body=$(mktemp)
  status=$(curl -sS -o "$body" -w '%{http_code}' "$@") || { rm -f "$body"; echo "error: cannot reach Chorus at ${CHORUS_URL:-http://127.0.0.1:8080/v1} (is it running?)" >&2; exit 1; }
  if [[ $status -ge 400 ]]; then
    local message
    message=$(python3 -c 'import json,sys
try: print(json.load(open(sys.argv[1]))["error"]["message"])
except Exception: print(open(sys.argv[1], errors="replace").read()[:300])' "$body")
    rm -f "$body"
    echo "error: HTTP $status: $message" >&2
    echo "this sample needs: $needs" >&2
    exit 1
  fi
  cat "$body"
  rm -f "$body"
}
