#!/usr/bin/env bash
# make bench: every benchmark, printing its numbers (not part of make test).
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -x build/voxa ]] || cmake --build build --target voxa
bench/api/run.sh
