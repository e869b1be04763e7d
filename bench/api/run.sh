#!/usr/bin/env bash
# REST load test: GET /assistant/{id} and POST /assistant on Voxa, and nginx serving a
# static file of the same size as the GET response (the ceiling), in one run.
#
#   bench/api/run.sh                 # uses build/voxa; DURATION=10 CONNECTIONS="16 64" THREADS=2
# Prints a table and writes build/bench/api.json.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BIN=${VOXA_BIN:-$ROOT/build/voxa}
DURATION=${DURATION:-10}
CONNECTIONS_LIST=${CONNECTIONS:-16 64}
WRK_THREADS=${THREADS:-2}
PORT=${PORT:-18180}
NGINX_PORT=$((PORT + 1))
WORK=$(mktemp -d /tmp/voxa-bench-api.XXXXXX)
OUT=$ROOT/build/bench
mkdir -p "$OUT"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [[ -f $WORK/nginx.pid ]] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
  sleep 0.3
  rm -rf "$WORK"
}
trap cleanup EXIT

[[ -x $BIN ]] || { echo "no $BIN: run make build" >&2; exit 1; }
"$BIN" serve --listen 127.0.0.1:$PORT --data-dir "$WORK/data" --log-level warn --no-bootstrap \
  2>"$WORK/voxa.log" >/dev/null &
pids+=($!)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.1; done
KEY=$("$BIN" admin create-org --data-dir "$WORK/data" --name bench |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["privateKey"])')
export VOXA_KEY=$KEY
BODY=$(python3 -c 'import re,sys; s=open(sys.argv[1]).read(); print(s[s.index("[[")+2:s.rindex("]]")])' bench/api/post.lua)
ID=$(curl -sf -XPOST "http://127.0.0.1:$PORT/assistant" -H "Authorization: Bearer $KEY" \
  -H 'Content-Type: application/json' -d "$BODY" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
curl -sf "http://127.0.0.1:$PORT/assistant/$ID" -H "Authorization: Bearer $KEY" >"$WORK/static.json"
SIZE=$(stat -c %s "$WORK/static.json")

# nginx: same response size, same machine, same wrk settings.
mkdir -p "$WORK/www"
cp "$WORK/static.json" "$WORK/www/assistant.json"
cat >"$WORK/nginx.conf" <<CONF
worker_processes 2;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $WORK; proxy_temp_path $WORK; fastcgi_temp_path $WORK;
  uwsgi_temp_path $WORK; scgi_temp_path $WORK;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location / { root $WORK/www; default_type application/json; }
  }
}
CONF
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
"$NGINX" -c "$WORK/nginx.conf" -p "$WORK" 2>"$WORK/nginx-start.log" || { cat "$WORK/nginx-start.log"; exit 1; }
sleep 0.3

run_wrk() { # NAME URL [script]
  local name=$1 url=$2 script=${3:-}
  local file=$WORK/wrk-$(tr -c 'a-zA-Z0-9' '_' <<<"$name").txt
  local args=(-t"$WRK_THREADS" -c"$CONN" -d"${DURATION}s" --latency)
  [[ -n $script ]] && args+=(-s "$script")
  wrk "${args[@]}" "$url" >"$file"
  local rps p99
  rps=$(awk '/Requests\/sec/ {print $2}' "$file")
  p99=$(awk '$1=="99%" {print $2}' "$file")
  local non2xx
  non2xx=$(awk '/Non-2xx/ {print $5}' "$file")
  printf '| %-28s | %5s | %10s | %8s | %8s |\n' "$name" "$CONN" "$rps" "$p99" "${non2xx:-0}"
  echo "{\"name\":\"$name\",\"connections\":$CONN,\"requestsPerSec\":$rps,\"p99\":\"$p99\",\"non2xx\":${non2xx:-0}}" >>"$WORK/results.jsonl"
}

echo "Voxa REST bench: $(nproc) cores, wrk -t$WRK_THREADS -d${DURATION}s, response $SIZE bytes"
echo "| test                         | conns |  req/s     |  p99     | non-2xx  |"
echo "|------------------------------|-------|------------|----------|----------|"
for CONN in $CONNECTIONS_LIST; do
  run_wrk "voxa GET /assistant/{id}" "http://127.0.0.1:$PORT/assistant/$ID" bench/api/get.lua
  run_wrk "nginx GET static (ceiling)" "http://127.0.0.1:$NGINX_PORT/assistant.json"
  run_wrk "voxa POST /assistant" "http://127.0.0.1:$PORT/assistant" bench/api/post.lua
done
python3 - "$WORK/results.jsonl" "$OUT/api.json" "$SIZE" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
json.dump({"responseBytes": int(sys.argv[3]), "results": rows}, open(sys.argv[2], "w"), indent=2)
PY
echo "results: $OUT/api.json"
