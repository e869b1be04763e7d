#!/usr/bin/env bash
# make bench: the turn-taking corpus (issue #14) against Voxa and LiveKit Agents, side by side;
# prints the markdown table for bench/RESULTS.md ("Turn-taking").
#
#   bench/turns/run.sh                                  # build/voxa, full corpus x3, both
#   VOXA_BIN=/path/to/voxa REPS=1 TARGETS=voxa bench/turns/run.sh
#
# Env: VOXA_BIN (default build/voxa), LOG_LEVEL (warn; the server log stays in the printed tmp dir), REPS (3), SIZE (full; small = the make-test corpus), ONLY (plan kinds), TARGETS (voxa,livekit), CONCURRENCY (2 calls
# at a time), OUT (JSON of every event, default build/bench/turns-results.json). Needs flite,
# sox, pocketsphinx_continuous, and `npm ci --ignore-scripts` in bench/peer/livekit (done here
# when node_modules is missing). Not part of make test (turn-taking.test.mjs is).
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="${VOXA_BIN:-$root/build/voxa}"
log() { echo "[turns] $*" >&2; }
[[ -x "$bin" ]] || { log "voxa binary not found at $bin"; exit 1; }
for tool in node flite sox pocketsphinx_continuous curl; do
  command -v "$tool" >/dev/null || { log "$tool is required (scripts/deps.sh test)"; exit 1; }
done
if [[ ",${TARGETS:-voxa,livekit}," == *,livekit,* && ! -d "$root/bench/peer/livekit/node_modules/@livekit/agents" ]]; then
  (cd "$root/bench/peer/livekit" && npm ci --ignore-scripts --no-audit --no-fund) >&2 || { log "npm ci in bench/peer/livekit failed"; exit 1; }
fi
if [[ ! -d "$root/tests/integration/voice/node_modules/ws" ]]; then
  (cd "$root/tests/integration/voice" && npm ci --no-audit --no-fund) >&2 || { log "npm ci in tests/integration/voice failed"; exit 1; }
fi

# The bridge's transcriber: pocketsphinx with the model loaded once (bench/peer/livekit/ps-recognizer.c).
export VOXA_PS_RECOGNIZER="$root/build/bench/ps-recognizer"
mkdir -p "$root/build/bench"
# shellcheck disable=SC2046
cc -O2 -o "$VOXA_PS_RECOGNIZER" "$root/bench/peer/livekit/ps-recognizer.c" $(pkg-config --cflags --libs pocketsphinx sphinxbase) ||
  { log "cannot build ps-recognizer (libpocketsphinx-dev, libsphinxbase-dev)"; exit 1; }

tmp="$(mktemp -d "${TMPDIR:-/tmp}/voxa-turns.XXXXXX")"
server_log="$tmp/voxa.log"
status=1
source "$root/tests/integration/lib.sh"
trap 'voxa_stop; voxa_report; exit "$status"' EXIT
trap 'exit 130' INT TERM
unset DATABASE_URL
voxa_start --data-dir "$tmp/data" --log-level "${LOG_LEVEL:-warn}"
org="$(voxa_create_org "$tmp/data" turns)" || exit 1
voxa_org_limit "$org" 100 || exit 1
export VOXA_BASE_URL="$base" VOXA_KEY="$(json_field "$org" privateKey)"
export VOXA_SCHEMA_LOG_DIR="$tmp/schema-log"
mkdir -p "$VOXA_SCHEMA_LOG_DIR" "$(dirname "${OUT:-$root/build/bench/turns-results.json}")"
log "$(git -C "$root" rev-parse --short HEAD 2>/dev/null) $bin; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
node --experimental-websocket "$here/run.mjs" --reps "${REPS:-3}" --targets "${TARGETS:-voxa,livekit}" \
  --size "${SIZE:-full}" --only "${ONLY:-}" --concurrency "${CONCURRENCY:-2}" --json "${OUT:-$root/build/bench/turns-results.json}"
status=$?
exit "$status"
