#!/usr/bin/env bash
# Builds the dashboard (web/, Next.js static export) into web/out, and the browser SDK
# (web/sdk: voxa-web.js, its UMD bundle, widget.js, the worklets) into web/out/sdk, which
# Voxa serves at /sdk/ -- only when their inputs changed.
#   scripts/web-build.sh            build if needed
#   scripts/web-build.sh --force    build even if web/out is up to date
# Inputs hashed: package.json, package-lock.json, the config files, web/src/**, web/public/**,
# and web/sdk's package files, build.mjs and src/**.
# Dependencies are (re)installed with `npm ci` only when node_modules is missing or the lock
# changed (each of web/ and web/sdk/ has its own lock; the SDK's only one is esbuild).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
web="$root/web"
cd "$web"

export NEXT_TELEMETRY_DISABLED=1

force=0
[[ "${1:-}" == "--force" ]] && force=1

command -v node >/dev/null || { echo "web: node is not installed (need Node.js 18.17+)" >&2; exit 1; }
command -v npm >/dev/null || { echo "web: npm is not installed" >&2; exit 1; }

hash_inputs() {
  {
    for f in package.json package-lock.json next.config.mjs tsconfig.json tailwind.config.ts postcss.config.mjs .eslintrc.json; do
      [[ -f "$f" ]] && printf '%s\0' "$f"
    done
    for f in sdk/package.json sdk/package-lock.json sdk/build.mjs; do
      [[ -f "$f" ]] && printf '%s\0' "$f"
    done
    { find src public sdk/src -type f -print0 2>/dev/null || true; } | LC_ALL=C sort -z
  } | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1
}

hash="$(hash_inputs)"
if [[ $force -eq 0 && -f out/.build-hash && "$(cat out/.build-hash)" == "$hash" && -f out/index.html ]]; then
  echo "web: up to date"
  exit 0
fi

lock_hash="$(sha256sum package-lock.json package.json | sha256sum | cut -d' ' -f1)"
stamp="node_modules/.voxa-deps-stamp"
if [[ ! -d node_modules || ! -f "$stamp" || "$(cat "$stamp")" != "$lock_hash" ]]; then
  echo "web: installing dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_hash" > "$stamp"
fi

sdk_lock_hash="$(sha256sum sdk/package-lock.json sdk/package.json | sha256sum | cut -d' ' -f1)"
sdk_stamp="sdk/node_modules/.voxa-deps-stamp"
if [[ ! -d sdk/node_modules || ! -f "$sdk_stamp" || "$(cat "$sdk_stamp")" != "$sdk_lock_hash" ]]; then
  echo "web: installing the SDK's dependencies (npm ci)"
  (cd sdk && npm ci --no-audit --no-fund --loglevel=error)
  echo "$sdk_lock_hash" > "$sdk_stamp"
fi

echo "web: building"
start=$SECONDS
rm -rf out
(cd sdk && node build.mjs)
npm run --silent build
[[ -f out/index.html ]] || { echo "web: build produced no out/index.html" >&2; exit 1; }
mkdir -p out/sdk
cp sdk/dist/*.js sdk/dist/sizes.json out/sdk/
# A gzip copy beside each text file; the server sends it to clients that accept gzip.
find out -type f \( -name '*.js' -o -name '*.css' -o -name '*.html' -o -name '*.json' \
  -o -name '*.svg' -o -name '*.txt' -o -name '*.map' \) -size +1k -exec gzip -k -9 -n {} +
echo "$hash" > out/.build-hash
echo "web: built web/out in $((SECONDS - start)) s"
