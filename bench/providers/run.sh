#!/usr/bin/env bash
# The latency Voxa adds to each speech provider, p50/p99/max at 100 concurrent calls
# (bench/providers/run.mjs explains what is measured; table.mjs lists the providers).
#
#   bench/providers/run.sh                        # every provider, 100 calls each
#   CALLS=20 ONLY=deepgram,11labs bench/providers/run.sh
#   WAIT_QUIET=0 bench/providers/run.sh           # do not wait for an idle machine
#
# Nothing is pinned: Voxa (2 event loops), the load generator and the fakes share the
# machine's cores. Before each provider it waits up to WAIT_QUIET seconds (default 120) for
# the machine to be idle, and the table says how much CPU other processes took meanwhile.
# One JSON line per provider goes to $OUT (default build/bench/provider-latency.jsonl), the
# table to stdout. Not part of make test.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
CALLS="${CALLS:-100}"
WAIT_QUIET="${WAIT_QUIET:-120}"
OUT="${OUT:-$root/build/bench/provider-latency.jsonl}"

cmake --build build --target voxa loadgen >/dev/null
voice="$root/tests/integration/voice"
[[ -d "$voice/node_modules" ]] || (cd "$voice" && npm ci --ignore-scripts --no-audit --no-fund >/dev/null)
tmp="$(mktemp -d "${TMPDIR:-/tmp}/voxa-pbench.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
# The caller's line, spoken by flite (as bench/voice/run.sh does).
flite -t "I would like to book an appointment" -o "$tmp/utt8.wav"
sox "$tmp/utt8.wav" -r 16000 -c 1 -b 16 "$tmp/utt.wav"
mkdir -p "$(dirname "$OUT")"
args=(--utterance "$tmp/utt.wav" --calls "$CALLS" --out "$OUT" --wait-quiet "$WAIT_QUIET")
[[ -n "${ONLY:-}" ]] && args+=(--only "$ONLY")
node bench/providers/run.mjs "${args[@]}"
