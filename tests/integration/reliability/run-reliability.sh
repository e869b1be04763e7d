#!/usr/bin/env bash
# Runs the reliability suite (tests/integration/reliability): one test file per class of
# finding of the reliability review (#20): failed database writes, restarts, fast clients,
# descriptor exhaustion, slow DNS, blocking file reads, start-up races. Each test starts the
# servers it needs (../security/lib.mjs voxa()); PostgreSQL tests start a throwaway cluster
# (lib.mjs postgres()).
#
#   tests/integration/reliability/run-reliability.sh
#
# Env: VOXA_BIN (default <repo>/build/voxa), VOXA_RELIABILITY_TESTS (test files, default
# all), VOXA_RELIABILITY_TEST_ARGS (extra `node --test` args).
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/../suite.sh"
root="$(cd "$here/../../.." && pwd)"
bin="${VOXA_BIN:-$root/build/voxa}"

log() { echo "[run-reliability] $*" >&2; }

[[ -x "$bin" ]] || { log "voxa binary not found at $bin (make build, or set VOXA_BIN)"; exit 1; }
for tool in node curl sqlite3 psql; do
  command -v "$tool" >/dev/null || { log "$tool is required"; exit 1; }
done

export VOXA_BIN="$bin"
cd "$root"
if [[ -n "${VOXA_RELIABILITY_TESTS:-}" ]]; then
  # shellcheck disable=SC2206
  files=(${VOXA_RELIABILITY_TESTS})
else
  files=("$here"/*.test.mjs)
fi
# One file at a time: several tests measure CPU or pacing and need the machine to themselves.
# shellcheck disable=SC2086
run_node_suite node --experimental-websocket --test --test-reporter=spec --test-concurrency=1 \
  ${VOXA_RELIABILITY_TEST_ARGS:-} "${files[@]}"
status=$?
log "suite exit status $status"
exit "$status"
