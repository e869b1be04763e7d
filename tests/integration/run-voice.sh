#!/usr/bin/env bash
# Runs the voice integration suite (tests/integration/voice) against a freshly started Voxa
# (SQLite under a temp data dir): real-time websocket calls with the embedded local
# providers, caller speech from flite, assistant audio checked with pocketsphinx.
#
#   tests/integration/run-voice.sh
#
# Env: VOXA_BIN (default <repo>/build/voxa), VOXA_VOICE_TEST_ARGS (extra `node --test` args,
# e.g. "--test-name-pattern=barge"), VOXA_VOICE_FILES (test files, default all of
# tests/integration/voice/*.test.mjs), VOXA_KEEP_TMP=1 to keep the temp dir.
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
for tool in node curl flite sox pocketsphinx_continuous; do
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
server_pid=""
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
    server_rc=$?
    # A clean shutdown is part of the test (ASan reports use-after-free at exit this way).
    if [[ "$server_rc" -ne 0 && "$status" -eq 0 ]]; then
      log "the server exited with status $server_rc on SIGTERM"
      status=1
    fi
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
trap 'cleanup; exit "$status"' EXIT
trap 'exit 130' INT TERM

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close();});'
}

unset DATABASE_URL
port="$(free_port)"
base="http://127.0.0.1:$port"
log "starting $bin serve on $base (data dir $data_dir)"
"$bin" serve --listen "127.0.0.1:$port" --data-dir "$data_dir" >"$server_log" 2>&1 &
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

out="$("$bin" admin create-org --data-dir "$data_dir" --name "voice-org")" || { log "create-org failed"; exit 1; }
out="$(printf '%s\n' "$out" | grep -m1 '^{')"
key="$(node -e 'const o=JSON.parse(process.argv[1]);if(!o.privateKey){process.exit(1)}console.log(o.privateKey)' "$out")" ||
  { log "create-org printed no privateKey"; exit 1; }
export VOXA_BASE_URL="$base"
export VOXA_BIN="$bin"   # tests that restart a server of their own (webhook-faults)
export VOXA_KEY="$key"

log "running the suite"
cd "$root"
# shellcheck disable=SC2086
node --experimental-websocket --test --test-reporter=spec --test-concurrency=4 \
  ${VOXA_VOICE_TEST_ARGS:-} ${VOXA_VOICE_FILES:-tests/integration/voice/*.test.mjs}
status=$?

if ! kill -0 "$server_pid" 2>/dev/null; then
  log "the server died during the tests"
  status=1
fi
log "suite exit status $status"
exit "$status"
