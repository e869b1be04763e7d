#!/usr/bin/env bash
# Runs the SDK integration suite (tests/integration/sdk) against a freshly started Voxa.
#
#   tests/integration/run-sdk.sh sqlite      # SQLite under a temp data dir
#   tests/integration/run-sdk.sh postgres    # throwaway PostgreSQL via scripts/pg-test-server.sh
#
# Env: VOXA_BIN (default <repo>/build/voxa), VOXA_SDK_TEST_ARGS (extra `node --test` args,
# e.g. "--test-name-pattern=files"), VOXA_KEEP_TMP=1 to keep the temp dir.
# Works from any directory. Exits with the test status.
set -uo pipefail

backend="${1:-sqlite}"
case "$backend" in
  sqlite|postgres) ;;
  *) echo "usage: $0 sqlite|postgres" >&2; exit 2 ;;
esac

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
sdk_dir="$here/sdk"
bin="${VOXA_BIN:-$root/build/voxa}"

log() { echo "[run-sdk:$backend] $*" >&2; }

if [[ ! -x "$bin" ]]; then
  log "voxa binary not found at $bin (build it with 'make build' or set VOXA_BIN)"
  exit 1
fi
command -v node >/dev/null || { log "node is required"; exit 1; }
command -v curl >/dev/null || { log "curl is required"; exit 1; }

if [[ ! -d "$sdk_dir/node_modules/@vapi-ai/server-sdk" ]]; then
  log "installing the SDK (npm ci)"
  (cd "$sdk_dir" && npm ci --no-audit --no-fund) >&2 || { log "npm ci failed"; exit 1; }
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/voxa-sdk-$backend.XXXXXX")"
# As root, pg-test-server.sh runs PostgreSQL as the "postgres" user, which must be able to
# reach its cluster dir inside this one.
chmod 0711 "$tmp"
data_dir="$tmp/data"
mkdir -p "$data_dir"
server_log="$tmp/voxa.log"
server_pid=""
pg_dir=""
status=1

cleanup() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$server_pid" 2>/dev/null; then
      log "server did not stop on SIGTERM; sending SIGKILL"
      kill -KILL "$server_pid" 2>/dev/null
    fi
    wait "$server_pid" 2>/dev/null
  fi
  if [[ -n "$pg_dir" ]]; then
    bash "$root/scripts/pg-test-server.sh" stop "$pg_dir" >/dev/null 2>&1 || log "pg-test-server stop failed"
  fi
  if [[ "$status" -ne 0 && -s "$server_log" ]]; then
    log "---- voxa server log (last 200 lines) ----"
    tail -n 200 "$server_log" >&2
    log "---- end of server log ----"
  fi
  if [[ "${VOXA_KEEP_TMP:-0}" == "1" ]]; then
    log "kept $tmp"
  else
    rm -rf "$tmp"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close();});'
}

unset DATABASE_URL
if [[ "$backend" == "postgres" ]]; then
  if [[ ! -f "$root/scripts/pg-test-server.sh" ]]; then
    log "scripts/pg-test-server.sh is missing"
    exit 1
  fi
  pg_dir="$tmp/pg"
  pg_port="$(free_port)"
  db_url="$(bash "$root/scripts/pg-test-server.sh" start "$pg_dir" "$pg_port" | tail -n 1)"
  if [[ "$db_url" != postgres* ]]; then
    log "pg-test-server.sh did not print a database URL (got: '$db_url')"
    exit 1
  fi
  export DATABASE_URL="$db_url"
  log "PostgreSQL at $DATABASE_URL"
fi

# A tiny web root for the static-file tests (the real dashboard has its own suite).
web_dir="$tmp/web"
mkdir -p "$web_dir/calls" "$web_dir/_next/static"
echo '<!doctype html><title>voxa-test-index</title>' >"$web_dir/index.html"
echo '<!doctype html><title>voxa-test-calls</title>' >"$web_dir/calls/index.html"
echo 'console.log(1)' >"$web_dir/_next/static/app.js"
gzip -k "$web_dir/_next/static/app.js"
echo 'secret' >"$web_dir/.hidden"
export VOXA_TEST_WEB_DIR="$web_dir" VOXA_SERVER_LOG="$server_log"

port="$(free_port)"
base="http://127.0.0.1:$port"
log "starting $bin serve on $base (data dir $data_dir)"
"$bin" serve --listen "127.0.0.1:$port" --data-dir "$data_dir" --web-dir "$web_dir" >"$server_log" 2>&1 &
server_pid=$!

up=0
for _ in $(seq 1 200); do   # 200 x 0.1 s = 20 s
  if ! kill -0 "$server_pid" 2>/dev/null; then
    log "server exited during startup"
    break
  fi
  if curl -fsS -o /dev/null --max-time 1 "$base/health" 2>/dev/null; then up=1; break; fi
  sleep 0.1
done
if [[ "$up" != 1 ]]; then
  log "server did not become healthy within 20 s"
  exit 1
fi

create_org() {
  local out
  out="$("$bin" admin create-org --data-dir "$data_dir" --name "$1")" || { log "create-org $1 failed"; return 1; }
  out="$(printf '%s\n' "$out" | grep -m1 '^{')"
  [[ -n "$out" ]] || { log "create-org $1 printed no JSON"; return 1; }
  printf '%s' "$out"
}
field() { node -e 'const o=JSON.parse(process.argv[1]);const v=o[process.argv[2]];if(!v){process.exit(1)}console.log(v)' "$1" "$2"; }

org_a="$(create_org "sdk-org-a")" || exit 1
org_b="$(create_org "sdk-org-b")" || exit 1
export VOXA_BASE_URL="$base"
export VOXA_KEY_A="$(field "$org_a" privateKey)" || exit 1
export VOXA_PUBLIC_KEY_A="$(field "$org_a" publicKey)" || exit 1
export VOXA_ORG_A="$(field "$org_a" orgId)" || exit 1
export VOXA_KEY_B="$(field "$org_b" privateKey)" || exit 1
export VOXA_ORG_B="$(field "$org_b" orgId)" || exit 1

log "running the suite"
cd "$root"
# shellcheck disable=SC2086
node --test --test-reporter=spec --test-concurrency=1 ${VOXA_SDK_TEST_ARGS:-} tests/integration/sdk/*.test.mjs
status=$?

if ! kill -0 "$server_pid" 2>/dev/null; then
  log "the server died during the tests"
  status=1
fi
log "suite exit status $status"
exit "$status"
