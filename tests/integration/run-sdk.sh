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
pg_dir=""
status=1

source "$here/lib.sh"
source "$here/suite.sh"
cleanup() {
  voxa_stop
  if [[ -n "$pg_dir" ]]; then
    bash "$root/scripts/pg-test-server.sh" stop "$pg_dir" >/dev/null 2>&1 || log "pg-test-server stop failed"
  fi
  voxa_report
}
trap 'cleanup; exit "$status"' EXIT
trap 'exit 130' INT TERM

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

# Open registration (each accounts test signs up an owner of a new org) and a rate limit
# above what the accounts tests send from this one address; both are tested on their
# defaults by tests/integration/security/auth.test.mjs.
voxa_start --data-dir "$data_dir" --web-dir "$web_dir" --registration open --auth-rate-limit 1000

org_a="$(voxa_create_org "$data_dir" "sdk-org-a")" || exit 1
org_b="$(voxa_create_org "$data_dir" "sdk-org-b")" || exit 1
voxa_org_limit "$org_a" 1000 && voxa_org_limit "$org_b" 1000 || exit 1
export VOXA_BASE_URL="$base"
export VOXA_KEY_A="$(json_field "$org_a" privateKey)" || exit 1
export VOXA_PUBLIC_KEY_A="$(json_field "$org_a" publicKey)" || exit 1
export VOXA_ORG_A="$(json_field "$org_a" orgId)" || exit 1
export VOXA_KEY_B="$(json_field "$org_b" privateKey)" || exit 1
export VOXA_ORG_B="$(json_field "$org_b" orgId)" || exit 1

log "running the suite"
cd "$root"
# shellcheck disable=SC2086
run_node_suite node --test --test-reporter=spec --test-concurrency=1 ${VOXA_SDK_TEST_ARGS:-} tests/integration/sdk/*.test.mjs
status=$?
voxa_check_alive
log "suite exit status $status"
exit "$status"
