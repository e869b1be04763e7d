#!/usr/bin/env bash
# Fails when the build or the tests need a Debian package that scripts/deps.sh does not
# install in the right set (see scripts/check-deps.mjs). Part of make test.
#   scripts/check-deps.sh [SOURCE_DIR]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec node "$here/check-deps.mjs" "$@"
