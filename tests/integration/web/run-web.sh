#!/usr/bin/env bash
# Runs the web suite (tests/integration/web): the dashboard and the browser web-call library in
# headless Debian Chromium (/usr/bin/chromium, fake microphone fed by flite) against a freshly
# started Voxa that serves the dashboard (voxa serve --web-dir web/out).
#
#   tests/integration/web/run-web.sh
#
# Env: VOXA_BIN (default <repo>/build/voxa), VOXA_WEB_DIR (default <repo>/web/out), VOXA_WEB_TEST_ARGS (extra `node --test` args, e.g.
# "--test-name-pattern=worklet"), VOXA_WEB_TESTS (test files, default all *.test.mjs here),
# CHROMIUM (default /usr/bin/chromium), VOXA_WEB_VERBOSE=1 (browser console in the output),
# VOXA_KEEP_TMP=1 to keep the temp dir. Screenshots and page-weight.json go to
# <repo>/build/test-artifacts/web/. Works from any directory. Exits with the test status.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
bin="${VOXA_BIN:-$root/build/voxa}"
web_out="${VOXA_WEB_DIR:-$root/web/out}"
artifacts="$root/build/test-artifacts/web"

log() { echo "[run-web] $*" >&2; }

if [[ ! -x "$bin" ]]; then
  log "voxa binary not found at $bin (build it with 'make build' or set VOXA_BIN)"
  exit 1
fi
for tool in node npm flite sox curl; do
  command -v "$tool" >/dev/null || { log "$tool is required"; exit 1; }
done
chromium_bin="${CHROMIUM:-/usr/bin/chromium}"
if [[ ! -x "$chromium_bin" ]]; then
  log "$chromium_bin not found (apt-get install -y --no-install-recommends chromium, or set CHROMIUM)"
  exit 1
fi
export CHROMIUM="$chromium_bin"

# npm ci when a package is missing or the lock changed since the last install.
if [[ ! -d "$here/node_modules/playwright-core" || ! -d "$here/node_modules/esbuild" || ! -d "$here/node_modules/axe-core" ||
      "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]]; then
  log "installing playwright-core, esbuild and axe-core (npm ci; no browser is downloaded)"
  (cd "$here" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund) >&2 || { log "npm ci failed"; exit 1; }
fi

if [[ ! -f "$web_out/index.html" ]]; then
  if [[ ! -f "$root/scripts/web-build.sh" ]]; then
    log "web/out is missing and scripts/web-build.sh does not exist: cannot build the dashboard"
    exit 1
  fi
  log "web/out is missing: building the dashboard (scripts/web-build.sh)"
  (cd "$root" && bash scripts/web-build.sh) >&2 || { log "scripts/web-build.sh failed"; exit 1; }
  [[ -f "$web_out/index.html" ]] || { log "scripts/web-build.sh did not produce web/out/index.html"; exit 1; }
fi

# The help is read whole first: `grep -q` would stop reading at the match and, under
# pipefail, the writer's SIGPIPE would fail the test.
serve_help=$("$bin" serve --help 2>/dev/null || true)
if ! grep -q -- '--web-dir' <<<"$serve_help"; then
  log "$bin serve has no --web-dir option: this binary cannot serve the dashboard"
  exit 1
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/voxa-web.XXXXXX")"
data_dir="$tmp/data"
mkdir -p "$data_dir" "$artifacts"
server_log="$tmp/voxa.log"
status=1

source "$here/../lib.sh"
source "$here/../suite.sh"
trap 'voxa_stop; voxa_report; exit "$status"' EXIT
trap 'exit 130' INT TERM

# Open registration: tests beyond the first owner sign up people of their own. The first
# owner comes from the one-time setup link voxa serve prints at first start.
voxa_start --data-dir "$data_dir" --web-dir "$web_out" --registration open
setup_url="$(sed -n 's/^.*owner setup link[^:]*: \(http[^ ]*\).*$/\1/p' "$server_log" | head -n 1)"
[[ -n "$setup_url" ]] || { log "voxa serve printed no owner setup link"; exit 1; }
export VOXA_SETUP_URL="$setup_url"

org="$(voxa_create_org "$data_dir" "web-tests")" || exit 1
voxa_org_limit "$org" 1000 || exit 1

export VOXA_BASE_URL="$base"
export VOXA_BIN="$bin" VOXA_WEB_DIR="$web_out"  # for tests that start a Voxa of their own (sdk.test.mjs)
export VOXA_KEY="$(json_field "$org" privateKey)" || exit 1
export VOXA_PUBLIC_KEY="$(json_field "$org" publicKey)" || exit 1
export VOXA_ARTIFACTS="$artifacts"

log "running the suite (artifacts in $artifacts)"
cd "$root"
if [[ -n "${VOXA_WEB_TESTS:-}" ]]; then
  # shellcheck disable=SC2206
  files=(${VOXA_WEB_TESTS})
else
  files=("$here"/*.test.mjs)
fi
started=$(date +%s)
# shellcheck disable=SC2086
run_node_suite node --test --test-reporter=spec --test-concurrency=1 ${VOXA_WEB_TEST_ARGS:-} "${files[@]}"
status=$?
log "suite took $(( $(date +%s) - started )) s"
voxa_check_alive
log "suite exit status $status"
exit "$status"
