#!/usr/bin/env bash
# Voice load benchmark: Voxa and LiveKit Agents (Node) side by side, same load generator,
# same audio, same fake STT/LLM/TTS delays (bench/voice/loadgen.cpp explains the metrics).
#
#   bench/voice/run.sh                      # Voxa at 1..2000 calls, LiveKit at 1..LK_MAX
#   VOXA_NS="1 100" LK_NS="1 10" bench/voice/run.sh
#
# Each point starts a fresh server (fresh RSS), runs the whole script on every call, and
# writes one JSON line to $OUT (default build/bench/voice-results.jsonl); the table is
# printed at the end (bench/voice/table.mjs). Not part of make test.
#
# Calls per core: the server under test is pinned to CPU 1 (Voxa with one event loop; the
# LiveKit bridge is one Node process) and the load generator to CPU 0, so the generator's
# own cost (a third of the total at 1,000 calls) does not count against either. WHOLE_NS
# adds points with nothing pinned and Voxa on both cores, generator included.
#
# Long calls (#16): LONG_NS calls of LONG_SECONDS each (default 200 of 600 s, pinned as
# above), the server's RSS per active call printed every LONG_SAMPLE_SECONDS: a call's memory
# must not grow with its length (recordings are streamed to disk). VOXA_BIN runs another
# server binary (e.g. an older build, to compare); NO_BUILD=1 skips building voxa and loadgen;
# LONG_ARGS adds loadgen options (LONG_ARGS=--no-recording: what a call costs without one).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
VOXA_NS="${VOXA_NS-1 10 100 300 600 800}"
LK_NS="${LK_NS-1 10 25 50}"
WHOLE_NS="${WHOLE_NS-1000}"
LONG_NS="${LONG_NS-200}" LONG_SECONDS="${LONG_SECONDS:-600}" LONG_SAMPLE_SECONDS="${LONG_SAMPLE_SECONDS:-60}"
VOXA_BIN="${VOXA_BIN:-build/voxa}"
LOCAL_NS="${LOCAL_NS-1 10}"  # the embedded engines (pocketsphinx, scripted model, flite)
SERVER_CPU="${SERVER_CPU:-1}" GEN_CPU="${GEN_CPU:-0}"
OUT="${OUT:-$root/build/bench/voice-results.jsonl}"
STT_MS="${STT_MS:-100}" LLM_MS="${LLM_MS:-200}" GAP_MS="${GAP_MS:-10}" TTS_MS="${TTS_MS:-100}"
delays=(--stt-ms "$STT_MS" --llm-ms "$LLM_MS" --gap-ms "$GAP_MS" --tts-ms "$TTS_MS")

[[ -n "${NO_BUILD:-}" ]] || cmake --build build --target voxa loadgen >/dev/null
tmp="$(mktemp -d "${TMPDIR:-/tmp}/voxa-bench.XXXXXX")"
pid=""
cleanup() {
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close();});'; }
wait_port() { for _ in $(seq 1 200); do (echo >"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }

# The caller's line, spoken by flite (the same file for both systems).
flite -t "I would like to book an appointment" -o "$tmp/utt8.wav"
sox "$tmp/utt8.wav" -r 16000 -c 1 -b 16 "$tmp/utt.wav"
: >"$OUT"
: >"${OUT%.jsonl}.server.log"

run_voxa() {  # n label pin(0|1) [loadgen args...]
  local n="$1" label="$2" pin="$3" port key srv=() gen=()
  shift 3
  if [[ "$pin" == 1 ]]; then srv=(taskset -c "$SERVER_CPU"); gen=(taskset -c "$GEN_CPU"); fi
  port="$(free_port)"
  rm -rf "$tmp/data" && mkdir -p "$tmp/data"
  local threads=()
  [[ "$pin" == 1 ]] && threads=(--threads 1)
  "${srv[@]}" "$VOXA_BIN" serve "${threads[@]}" --listen "127.0.0.1:$port" --data-dir "$tmp/data" \
    --log-level warn >"$tmp/voxa.log" 2>&1 &
  pid=$!
  wait_port "$port"
  local org
  org="$("$VOXA_BIN" admin create-org --data-dir "$tmp/data" --name bench | grep -m1 '^{')"
  key="$(node -e 'console.log(JSON.parse(process.argv[1]).privateKey)' "$org")"
  # More calls at once than Vapi's default concurrencyLimit of 10.
  curl -fsS -o /dev/null -X PATCH "http://127.0.0.1:$port/org/$(node -e 'console.log(JSON.parse(process.argv[1]).orgId)' "$org")" \
    -H "Authorization: Bearer $key" -H "Content-Type: application/json" --data "{\"concurrencyLimit\":$((n + 10))}"
  echo "$label: $n calls" >&2
  # Voxa's VAD ends speech after 18 silent 20 ms frames (0.35 s rounded up to the frame).
  "${gen[@]}" build/bench/loadgen --target voxa --label "$label" --url "http://127.0.0.1:$port" \
    --key "$key" --calls "$n" --utterance "$tmp/utt.wav" --pid "$pid" --vad-wait-ms 360 \
    "${delays[@]}" "$@" >>"$OUT" || true
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; pid=""
  { echo "== $label: $n calls"; cat "$tmp/voxa.log"; } >>"${OUT%.jsonl}.server.log"  # warnings, errors
}
for n in $VOXA_NS; do run_voxa "$n" "voxa (1 core)" 1; done

lk="$root/bench/peer/livekit"
if [[ -n "$LK_NS" && -f "$lk/package-lock.json" ]]; then
  [[ -d "$lk/node_modules" ]] || (cd "$lk" && npm ci --ignore-scripts --no-audit --no-fund >/dev/null)
  for n in $LK_NS; do
    port="$(free_port)"
    taskset -c "$SERVER_CPU" node "$lk/bridge.mjs" --port "$port" --stt-delay-ms "$STT_MS" \
      --llm-ttft-ms "$LLM_MS" --llm-token-gap-ms "$GAP_MS" --tts-ttfb-ms "$TTS_MS" \
      >"$tmp/lk.out" 2>"$tmp/lk.log" &
    pid=$!
    wait_port "$port"
    echo "livekit-agents: $n calls" >&2
    # Silero decides on 32 ms windows: 0.35 s of silence is 11 windows (352 ms).
    taskset -c "$GEN_CPU" build/bench/loadgen --target ws --label "livekit-agents (1 core)" \
      --ws "ws://127.0.0.1:$port/" --calls "$n" --utterance "$tmp/utt.wav" --pid "$pid" \
      --vad-wait-ms 352 "${delays[@]}" >>"$OUT" || true
    kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; pid=""
  done
fi
for n in $WHOLE_NS; do run_voxa "$n" "voxa (2 cores, generator on them too)" 0; done
for n in $LONG_NS; do
  run_voxa "$n" "voxa, ${LONG_SECONDS} s calls (1 core)" 1 --call-seconds "$LONG_SECONDS" \
    --sample-seconds "$LONG_SAMPLE_SECONDS" ${LONG_ARGS:-}
done
# Real engines: overhead is not meaningful here (no configured delays), turn latency is.
for n in $LOCAL_NS; do
  run_voxa "$n" "voxa, embedded engines (2 cores)" 0 --assistant bench/voice/local-assistant.json \
    --stt-ms 0 --llm-ms 0 --gap-ms 0 --tts-ms 0
done
node bench/voice/table.mjs "$OUT"
