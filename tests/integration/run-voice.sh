#!/usr/bin/env bash
# Runs the voice integration suite (tests/integration/voice) against a freshly started Voxa
# (SQLite under a temp data dir): real-time websocket calls with the embedded local
# providers, caller speech from flite, assistant audio checked with pocketsphinx.
#
#   tests/integration/run-voice.sh
#
# Env: VOXA_BIN (default <repo>/build/voxa), VOXA_VOICE_TEST_ARGS (extra `node --test` args,
# e.g. "--test-name-pattern=barge"), VOXA_VOICE_FILES (test files, default all of
# tests/integration/voice/*.test.mjs), VOXA_VOICE_SET (see below), VOXA_KEEP_TMP=1 to keep
# the temp dir.
#
# VOXA_VOICE_SET=timing runs only the files that measure conversation timing (turn-taking
# corpus, barge-in and echo latency, endpointing, VAD, narrowband word errors): ctest runs
# them on the release build, alone (voice_timing), since ASan's slowdown on 2 cores makes
# their numbers meaningless. VOXA_VOICE_SET=functional runs every other file (voice_e2e,
# under ASan). Unset: all files.
# Needs node >= 20.10 (WebSocket behind --experimental-websocket), curl, flite, sox and
# pocketsphinx_continuous (scripts/deps.sh test). Works from any directory. Exits with the
# test status.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="${VOXA_BIN:-$root/build/voxa}"

log() { echo "[run-voice] $*" >&2; }

if [[ ! -x "$bin" ]]; then
  log "voxa binary not found at $bin (build it with 'make build' or set VOXA_BIN)"
  exit 1
fi
for tool in node npm curl flite sox pocketsphinx_continuous; do
  command -v "$tool" >/dev/null || { log "$tool is required (scripts/deps.sh test)"; exit 1; }
done
if [[ ! -f /usr/share/pocketsphinx/model/en-us/en-us.lm.bin ]]; then
  log "the pocketsphinx en-us model is required (Debian package pocketsphinx-en-us)"
  exit 1
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/voxa-voice.XXXXXX")"
data_dir="$tmp/data"
mkdir -p "$data_dir"
server_log="$tmp/voxa.log"
status=1

source "$here/lib.sh"
source "$here/suite.sh"
trap 'voxa_stop; voxa_report; exit "$status"' EXIT
trap 'exit 130' INT TERM

unset DATABASE_URL
voxa_start --data-dir "$data_dir"

out="$(voxa_create_org "$data_dir" "voice-org")" || exit 1
key="$(json_field "$out" privateKey)" || { log "create-org printed no privateKey"; exit 1; }
voxa_org_limit "$out" 1000 || exit 1
export VOXA_BASE_URL="$base"
export VOXA_BIN="$bin"   # tests that restart a server of their own (webhook-faults)
export VOXA_KEY="$key"

# ajv, for the check of what Voxa sent against Vapi's schemas (voice/schema-check.mjs); ws,
# for the fakes of WebSocket providers (voice/fake-deepgram.mjs).
if [[ ! -d "$here/voice/node_modules/ajv" || ! -d "$here/voice/node_modules/ws" ]]; then
  log "installing ajv and ws (npm ci in tests/integration/voice)"
  (cd "$here/voice" && npm ci --no-audit --no-fund) >&2 || { log "npm ci failed"; exit 1; }
fi
export VOXA_SCHEMA_LOG_DIR="$tmp/schema-log"
mkdir -p "$VOXA_SCHEMA_LOG_DIR"

timing_files=(turn-taking barge-in echo endpointing vad twilio-narrowband)
cd "$root"
if [[ -z "${VOXA_VOICE_FILES:-}" && -n "${VOXA_VOICE_SET:-}" ]]; then
  files=()
  for f in tests/integration/voice/*.test.mjs; do
    name=$(basename "$f" .test.mjs)
    timing=0
    for t in "${timing_files[@]}"; do [[ $name == "$t" ]] && timing=1; done
    case "$VOXA_VOICE_SET" in
      timing) ((timing)) && files+=("$f") ;;
      functional) ((timing)) || files+=("$f") ;;
      *) log "VOXA_VOICE_SET must be timing or functional"; exit 1 ;;
    esac
  done
  VOXA_VOICE_FILES="${files[*]}"
fi
log "running the suite"
# Files at once: each has its own Voxa and fakes (several run pocketsphinx); under ASan on
# 2 cores, 4 at once left the fakes' recognizers seconds late (a missed final, a reply that
# did not start within 20 s). VOXA_VOICE_CONCURRENCY overrides.
# shellcheck disable=SC2086
run_node_suite node --experimental-websocket --test --test-reporter=spec --test-concurrency="${VOXA_VOICE_CONCURRENCY:-2}" \
  ${VOXA_VOICE_TEST_ARGS:-} ${VOXA_VOICE_FILES:-tests/integration/voice/*.test.mjs}
status=$?
voxa_check_alive
# Every call record, server message and client message the suite saw, against Vapi's schemas.
if ! node "$here/voice/schema-check.mjs" "$VOXA_SCHEMA_LOG_DIR"; then
  log "what Voxa sent does not match Vapi's schemas (see above)"
  status=1
fi
log "suite exit status $status"
exit "$status"
