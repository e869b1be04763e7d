#!/usr/bin/env bash
# Builds the dashboard (web/, Next.js static export) into web/out, only when its inputs changed.
#   scripts/web-build.sh            build if needed
#   scripts/web-build.sh --force    build even if web/out is up to date
# Inputs hashed: package.json, package-lock.json, the config files, web/src/** and web/public/**.
# Dependencies are (re)installed with `npm ci` only when node_modules is missing or the lock changed.
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
    find src public -type f -print0 2>/dev/null | LC_ALL=C sort -z
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

echo "web: building"
start=$SECONDS
rm -rf out
npm run --silent build
[[ -f out/index.html ]] || { echo "web: build produced no out/index.html" >&2; exit 1; }
# A gzip copy beside each text file; the server sends it to clients that accept gzip.
find out -type f \( -name '*.js' -o -name '*.css' -o -name '*.html' -o -name '*.json' \
  -o -name '*.svg' -o -name '*.txt' -o -name '*.map' \) -size +1k -exec gzip -k -9 -n {} +
echo "$hash" > out/.build-hash
echo "web: built web/out in $((SECONDS - start)) s"
