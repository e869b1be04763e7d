#!/usr/bin/env bash
# The embedded recognizer on phone audio: builds the word-error-rate set (make-set.sh: 35
# sentences x flite slt/rms/awb + pocketsphinx-testdata's real recordings, each at 16 kHz and
# through 8 kHz mu-law and A-law) and prints WER and real-time factor for today's path and
# each narrowband fill (stt_bench). STT_BENCH_MAX=N keeps N utterances per set (quick runs).
set -euo pipefail
cd "$(dirname "$0")/../.."
cmake --build build --target stt_bench >/dev/null
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
bench/stt/make-set.sh "$dir" >/dev/null
echo "## Embedded recognizer on phone audio ($(date -u +%F), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg))"
build/bench/stt_bench "$dir/manifest.tsv" --variants today,floor,relative --max "${STT_BENCH_MAX:-1000}"
echo
echo "### The scripted templates' caller lines with their own words favoured (vocabulary.h, weight $(grep -o 'kBiasWeight = [0-9.]*' src/providers/local/vocabulary.h | cut -d' ' -f3))"
build/bench/stt_bench "$dir/manifest.tsv" --variants relative --sets rules-slt,rules-rms,rules-awb --bias-dir bench/stt --max "${STT_BENCH_MAX:-1000}"
