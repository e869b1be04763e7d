#!/usr/bin/env bash
# Time to first token of the model providers, cold and warm connection pool, one call and
# CALLS at once (bench/llm/run.mjs explains what is measured; its `providers` list is the
# table's rows). Numbers go to bench/RESULTS.md by hand; one JSON line per run to $OUT
# (default build/bench/llm-ttft.jsonl). Not part of make test.
#
#   bench/llm/run.sh                       # every provider: 1 call x 20 turns, 200 calls x 3
#   CALLS=50 DELAY_MS=0 TLS=0 ONLY=openai bench/llm/run.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
CALLS="${CALLS:-200}"
TURNS="${TURNS:-3}"
SINGLE_TURNS="${SINGLE_TURNS:-20}"
DELAY_MS="${DELAY_MS:-20}"
TLS="${TLS:-1}"  # 0: the driver talks plain HTTP to the fakes (no TLS front)
OUT="${OUT:-$root/build/bench/llm-ttft.jsonl}"

cmake --build build --target llm_bench >/dev/null
tmp="$(mktemp -d "${TMPDIR:-/tmp}/voxa-llmbench.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
# The fakes' TLS front: a throw-away certificate for 127.0.0.1, trusted by the driver alone.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
    -subj /CN=localhost -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
    -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>/dev/null
args=(--cert "$tmp/cert.pem" --key "$tmp/key.pem" --calls "$CALLS" --turns "$TURNS"
      --single-turns "$SINGLE_TURNS" --delay "$DELAY_MS" --tls "$TLS" --out "$OUT")
[[ -n "${ONLY:-}" ]] && args+=(--only "$ONLY")
node bench/llm/run.mjs "${args[@]}"
