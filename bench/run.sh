#!/usr/bin/env bash
# make bench: every benchmark, printing its numbers (not part of make test).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --build build --target voxa outbox_bench llm_bench vad_bench stt_bench
bench/api/run.sh
build/bench/vad_bench --benchmark_counters_tabular=true
build/bench/outbox_bench 20000 200
build/bench/outbox_bench 20000 2000
bench/voice/run.sh
bench/providers/run.sh
bench/llm/run.sh
bench/turns/run.sh
bench/stt/run.sh
