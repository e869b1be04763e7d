#!/usr/bin/env bash
# Runs the security regression suite (tests/integration/security): one test file per class
# of finding, each starting the Voxa servers it needs (lib.mjs voxa()) with the flags that
# finding is about, and some driving headless Debian Chromium through playwright-core.
#
#   tests/integration/security/run-security.sh
#
# Env: VOXA_BIN (default <repo>/build/voxa), VOXA_SECURITY_TESTS (test files, default all),
# VOXA_SECURITY_TEST_ARGS (extra `node --test` args), CHROMIUM (default /usr/bin/chromium).
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/../suite.sh"
root="$(cd "$here/../../.." && pwd)"
bin="${VOXA_BIN:-$root/build/voxa}"
web_dir="$root/tests/integration/web"

log() { echo "[run-security] $*" >&2; }

[[ -x "$bin" ]] || { log "voxa binary not found at $bin (make build, or set VOXA_BIN)"; exit 1; }
for tool in node npm curl; do
  command -v "$tool" >/dev/null || { log "$tool is required"; exit 1; }
done
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
[[ -x "$CHROMIUM" ]] || { log "$CHROMIUM not found (scripts/deps.sh test)"; exit 1; }
# playwright-core comes from the web suite's lock file (no browser is downloaded).
if [[ ! -d "$web_dir/node_modules/playwright-core" ]]; then
  log "installing playwright-core (npm ci in tests/integration/web)"
  (cd "$web_dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund) >&2 || { log "npm ci failed"; exit 1; }
fi
if [[ ! -f "$root/web/out/index.html" ]]; then
  log "web/out is missing: building the dashboard (scripts/web-build.sh)"
  (cd "$root" && bash scripts/web-build.sh) >&2 || { log "scripts/web-build.sh failed"; exit 1; }
fi

export VOXA_BIN="$bin"
export VOXA_WEB_OUT="$root/web/out"
cd "$root"
if [[ -n "${VOXA_SECURITY_TESTS:-}" ]]; then
  # shellcheck disable=SC2206
  files=(${VOXA_SECURITY_TESTS})
else
  files=("$here"/*.test.mjs)
fi
# shellcheck disable=SC2086
run_node_suite node --experimental-websocket --test --test-reporter=spec --test-concurrency=2 \
  ${VOXA_SECURITY_TEST_ARGS:-} "${files[@]}"
status=$?
log "suite exit status $status"
exit "$status"
