#!/usr/bin/env bash
# Builds the fuzzers with clang (libFuzzer + ASan + UBSan) and runs each of them.
#
#   scripts/fuzz.sh [seconds] [targets]   (default 60 s each, FUZZ_JOBS at a time; targets: "json_dto sse ws_inbound
#                                          twilio_stream jwt static_path multipart
#                                          provider_messages wait_function";
#                                          FUZZ_BUILD_DIR overrides build-fuzz/)
#
# json_dto: request-body validation. sse: the OpenAI stream (SSE) parser, whose seeds are
# written to the build dir (the parser needs no committed corpus).
#
# Only the schema sources are compiled; the two JSON documents are embedded with the same
# .incbin trick as CMakeLists.txt (VOXA_EMBED_CPP). New corpus entries go to the build dir,
# so tests/fuzz/corpus/json_dto/ stays the small committed seed set. Each target is one
# build_NAME function: compile_link, seeds, run_fuzzer. Exits non-zero when
# the fuzzer finds a crash, leak, timeout or UB (the reproducer is saved in the build dir).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
targets=${2:-json_dto sse ws_inbound twilio_stream jwt static_path multipart provider_messages wait_function}
out=${FUZZ_BUILD_DIR:-$root/build-fuzz}
cxx=${CXX_FUZZ:-clang++}
mkdir -p "$out/obj"

flags=(-std=c++20 -O1 -g -fno-omit-frame-pointer
       -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
       -DBOOST_JSON_NO_LIB -I"$root/src")

build_json_dto() {
    embed="$out/embedded_fuzz.cpp"
    {
        echo '#include "common/embedded.h"'
        echo 'namespace voxa::embedded {'
        for i in 0 1; do
            f=$([ $i = 0 ] && echo vapi-schemas.json || echo overlay.json)
            sym="voxa_fz_$i"
            asm=".section .rodata\\n.global $sym\\n$sym:\\n.incbin \\\"$root/src/api/spec/$f\\\"\\n"
            asm+=".global ${sym}_end\\n${sym}_end:\\n.byte 0\\n.previous\\n"
            echo "__asm__(\"$asm\");"
            echo "extern \"C\" const char $sym[]; extern \"C\" const char ${sym}_end[];"
        done
        echo 'using Files = std::vector<std::pair<std::string_view, std::string_view>>;'
        echo 'const Files& all() {'
        echo '    static const Files files = {'
        echo '        {"src/api/spec/vapi-schemas.json", {voxa_fz_0, size_t(voxa_fz_0_end - voxa_fz_0)}},'
        echo '        {"src/api/spec/overlay.json", {voxa_fz_1, size_t(voxa_fz_1_end - voxa_fz_1)}},'
        echo '    };'
        echo '    return files;'
        echo '}'
        echo '}'
    } > "$embed.tmp"
    mv "$embed.tmp" "$embed"

    compile_link json_dto "-lboost_json" "$root"/src/api/schema*.cpp \
        "$root/tests/fuzz/json_dto_fuzz.cpp" "$embed"
    seeds_dir json_dto >/dev/null
    run_fuzzer json_dto 65536 -dict="$root/tests/fuzz/json_dto.dict" "$root/tests/fuzz/corpus/json_dto"
}

# compile_link NAME LIBS SOURCES...: compiles each source (two at a time) and links
# $out/NAME_fuzz with libFuzzer and the sanitizers.
compile_link() {
    local name=$1 libs=$2
    shift 2
    local objects=() pids=()
    for src in "$@"; do
        local dir; dir=$(basename "$(dirname "$src")")
        local obj="$out/obj/$name-$dir-$(basename "${src%.cpp}").o"
        objects+=("$obj")
        "$cxx" "${flags[@]}" -c "$src" -o "$obj" &
        pids+=($!)
        if (( ${#pids[@]} >= 2 )); then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
    done
    for pid in "${pids[@]}"; do wait "$pid"; done
    # shellcheck disable=SC2086
    "$cxx" -fsanitize=fuzzer,address,undefined "${objects[@]}" $libs -o "$out/${name}_fuzz"
}

# run_fuzzer NAME MAX_LEN [args]: queues a run of $out/NAME_fuzz over $out/corpus-NAME (where
# new inputs go) and any further corpus dirs in args (committed seeds, read only). The queued
# runs start once every target is built, FUZZ_JOBS (default: the cores) at a time.
queued=()
run_fuzzer() {
    local name=$1 max_len=$2
    shift 2
    local cmd
    printf -v cmd '%q ' "$out/${name}_fuzz" \
        -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$out/$name-" "$out/corpus-$name" "$@"
    queued+=("$name" "$cmd")
}

# seeds_dir NAME: creates and prints the corpus dir of NAME (seeds go there, new inputs too).
seeds_dir() { mkdir -p "$out/corpus-$1"; echo "$out/corpus-$1"; }

build_sse() {
    compile_link sse "" "$root/src/providers/openai/sse.cpp" "$root/tests/fuzz/sse_fuzz.cpp"
    # Seeds: byte 0 = piece size, byte 1 = size limit (255 = default), then the stream.
    local d; d=$(seeds_dir sse)
    printf '\x03\xffdata: {"choices":[{"delta":{"content":"Hi"}}]}\n\ndata: [DONE]\n\n' > "$d/seed-openai"
    printf '\x01\xff: ping\r\nevent: e\r\nid: 1\r\ndata: a\r\ndata:b\r\n\r\ndata\rretry: 5\r\r' > "$d/seed-crlf"
    printf '\x05\x08\xef\xbb\xbfdata: 0123456789abcdef\n\ndata: x' > "$d/seed-limits"
    run_fuzzer sse 16384
}

build_ws_inbound() {
    compile_link ws_inbound "-lboost_json -lspeexdsp" "$root/src/transport/ws/inbound.cpp" \
        "$root/src/audio/g711.cpp" "$root/src/audio/resampler.cpp" "$root/tests/fuzz/ws_inbound_fuzz.cpp"
    # format byte, then [len lo][len hi][binary] chunks: a JSON say, odd-length PCM, mu-law.
    local d; d=$(seeds_dir ws_inbound)
    printf '\x02\x1c\x00\x00{"type":"say","content":"hi"}\x05\x00\x01abcde' > "$d/seed-pcm"
    printf '\x01\x04\x00\x01\xff\x7f\x00\x80\x0a\x00\x00{"type":1}' > "$d/seed-mulaw"
    run_fuzzer ws_inbound 140000
}

build_twilio_stream() {
    compile_link twilio_stream "-lboost_json -lspeexdsp -lcrypto" \
        "$root/src/transport/twilio/media_stream.cpp" "$root/src/audio/g711.cpp" \
        "$root/src/audio/resampler.cpp" "$root/src/common/crypto.cpp" \
        "$root/tests/fuzz/twilio_stream_fuzz.cpp"
    local d; d=$(seeds_dir twilio_stream)
    printf '{"event":"connected"}\0{"event":"start","start":{"streamSid":"MZ1","callSid":"CA1","customParameters":{"token":"t"}}}\0{"event":"media","media":{"track":"inbound","payload":"//////////8="}}\0{"event":"stop"}' \
        > "$d/seed-call"
    printf '{"event":"media","media":{"payload":"not base64!"}}\0{"event":5}\0[]' > "$d/seed-bad"
    run_fuzzer twilio_stream 65536
}

# The cloud speech providers' wire formats (providers/*/protocol.cpp): byte 0 picks the
# provider, then "<config>\0<message from the provider>".
build_provider_messages() {
    compile_link provider_messages "-lboost_json -lcrypto" \
        "$root/src/providers/elevenlabs/protocol.cpp" "$root/src/providers/cartesia/protocol.cpp" \
        "$root/src/providers/deepgram/protocol.cpp" "$root/src/providers/deepgram/tts_protocol.cpp" \
        "$root/src/providers/assemblyai/protocol.cpp" "$root/src/providers/google/protocol.cpp" \
        "$root/src/providers/anthropic/protocol.cpp" "$root/src/providers/openai/sse.cpp" \
        "$root/src/providers/endpoints.cpp" "$root/src/providers/streaming.cpp" \
        "$root/src/common/crypto.cpp" "$root/src/common/text.cpp" \
        "$root/tests/fuzz/provider_messages_fuzz.cpp"
    local d; d=$(seeds_dir provider_messages)
    printf '\x00{"voiceId":"v","model":"eleven_flash_v2_5","stability":0.5,"speed":1.1}\0{"audio":"AAABAAIA","contextId":"voxa-1"}' > "$d/seed-11labs-audio"
    printf '\x00{}\0{"isFinal":true,"contextId":"voxa-1"}' > "$d/seed-11labs-final"
    printf '\x00{}\0{"error":"invalid_api_key","message":"bad \x01key"}' > "$d/seed-11labs-error"
    printf '\x01{"voiceId":"a","model":"sonic-2","language":"en"}\0{"type":"chunk","data":"AAABAA==","done":false,"context_id":"voxa-1"}' > "$d/seed-cartesia-chunk"
    printf '\x01{}\0{"type":"error","status_code":401,"error":"bad key","done":true,"context_id":"voxa-1"}' > "$d/seed-cartesia-error"
    printf '\x01{}\0{"type":"done","done":true,"context_id":"voxa-1"}' > "$d/seed-cartesia-done"
    printf '\x02{"voiceId":"thalia","model":"aura-2"}\0{"type":"Flushed","sequence_id":1}' > "$d/seed-aura-flushed"
    printf '\x03{"model":"nova-3","keyterm":["Voxa"],"smartFormat":true}\0{"type":"Results","channel":{"alternatives":[{"transcript":"hi","confidence":0.9}]},"is_final":true,"speech_final":true,"start":0,"duration":1}' > "$d/seed-deepgram-results"
    printf '\x03{}\0{"type":"Error","description":"bad \x01"}' > "$d/seed-deepgram-error"
    printf '\x04{"formatTurns":true,"keytermsPrompt":["a b"],"language":"multi"}\0{"type":"Turn","turn_order":0,"end_of_turn":true,"turn_is_formatted":true,"transcript":"Hi.","words":[{"text":"Hi.","confidence":0.9,"word_is_final":true}]}' > "$d/seed-assemblyai-turn"
    printf '\x04{}\0{"type":"Begin","id":"x","expires_at":1}' > "$d/seed-assemblyai-begin"
    printf '\x05{"model":"gemini-3-flash-preview","messages":[{"role":"system","content":"s"},{"role":"user","content":"hi"},{"role":"assistant","tool_calls":[{"id":"call_1","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"call_1","content":"ok"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","additionalProperties":false,"properties":{"a":{"type":["string","null"]}}}}}]}\0{"candidates":[{"content":{"parts":[{"text":"Hi"}],"role":"model"}}]}\n{"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","args":{"a":1}},"thoughtSignature":"c2ln"}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":3,"candidatesTokenCount":2}}' > "$d/seed-google-stream"
    printf '\x05{}\0{"error":{"code":400,"message":"API key not valid","status":"INVALID_ARGUMENT","details":[{"reason":"API_KEY_INVALID"}]}}' > "$d/seed-google-error"
    printf '\x05{}\0{"promptFeedback":{"blockReason":"SAFETY"}}' > "$d/seed-google-blocked"
    printf '\x06{"messages":[{"role":"system","content":"S"},{"role":"assistant","content":"Hi","tool_calls":[{"id":"t1","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"t1","content":"r"}],"tools":[{"type":"function","function":{"name":"f","parameters":{}}}]}\0event: message_start\ndata: {"type":"message_start","message":{"usage":{"input_tokens":3,"cache_read_input_tokens":9}}}\n\nevent: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"t","name":"f","input":{}}}\n\nevent: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{\\"a\\":"}}\n\nevent: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\nevent: message_stop\ndata: {"type":"message_stop"}\n\n' > "$d/seed-anthropic-tool"
    printf '\x06{}\0event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}\n\nevent: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n' > "$d/seed-anthropic-error"
    run_fuzzer provider_messages 65536
}

build_jwt() {
    compile_link jwt "-lboost_json -lcrypto" "$root/src/auth/jwt.cpp" "$root/src/common/crypto.cpp" \
        "$root/tests/fuzz/jwt_fuzz.cpp"
    local d; d=$(seeds_dir jwt)
    printf 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1MSIsImV4cCI6MjAwMH0.sig' > "$d/seed-token"
    printf 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1In0.' > "$d/seed-none"
    printf '{"sub":"u1","org":"o","sid":"s","nested":{"a":[1,2.5,null,true]}}' > "$d/seed-claims"
    run_fuzzer jwt 8192
}

# The dashboard's static path resolver, over a fixture root with symlinks out of it.
build_static_path() {
    compile_link static_path "" "$root/src/net/static_path.cpp" "$root/src/common/url.cpp" \
        "$root/tests/fuzz/static_path_fuzz.cpp"
    local d i=0; d=$(seeds_dir static_path)
    for seed in '//etc/passwd' '/%2e%2e/%2e%2e/etc/passwd' '/_next/static/a.js' '/link' \
                '/x/secret' '/r/etc/passwd' '/a%5c..%5csecret' '/index.html%00.js' \
                '/%c0%ae%c0%ae/secret' '/./index.html' '/' '/_next/static/'; do
        printf '%s' "$seed" > "$d/seed-$i"
        i=$((i + 1))
    done
    run_fuzzer static_path 2048
}

build_multipart() {
    compile_link multipart "" "$root/src/api/multipart.cpp" "$root/src/net/headers.cpp" \
        "$root/tests/fuzz/multipart_fuzz.cpp"
    # Seeds: Content-Type line, then the body.
    local d; d=$(seeds_dir multipart)
    printf 'multipart/form-data; boundary=----b0undary\n------b0undary\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nassistant\r\n------b0undary\r\nContent-Disposition: form-data; name="file"; filename="notes;v1.txt"\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nline1\r\nline2\r\n------b0undary--\r\n' \
        > "$d/seed-form"
    printf 'multipart/form-data; boundary="B"\n--B\r\nContent-Disposition: form-data; name="file"; filename="a\\"b\xc3\xa9.html"\r\nContent-Type: text/html\rX: 1\r\n\r\n<script>\r\n--B--' \
        > "$d/seed-evil"
    run_fuzzer multipart 16384
}

# Vapi's waitFunction (pipeline/wait_function.cpp): a bounded mathjs subset.
build_wait_function() {
    compile_link wait_function "" "$root/src/pipeline/wait_function.cpp" \
        "$root/tests/fuzz/wait_function_fuzz.cpp"
    local d i=0; d=$(seeds_dir wait_function)
    for seed in '20 + 500 * sqrt(x) + 2500 * x^3' '70 + 4000 * x' '200 + 8000 * x' \
                '4000 * (1 - cos(pi * x))' '-2^-x^2 / (e - PI)' 'max(1, min(x, 2.5e3), abs(-x))' \
                'log(x, 10) + exp(sin(x)) + pow(x, .5)' '((((x))))' '1..2' 'sqrt(1, 2)'; do
        printf '%s' "$seed" > "$d/seed-$i"
        i=$((i + 1))
    done
    run_fuzzer wait_function 2048 -dict="$root/tests/fuzz/wait_function.dict"
}

for target in $targets; do
    case "$target" in
        json_dto) build_json_dto ;;
        sse) build_sse ;;
        ws_inbound) build_ws_inbound ;;
        twilio_stream) build_twilio_stream ;;
        jwt) build_jwt ;;
        static_path) build_static_path ;;
        multipart) build_multipart ;;
        provider_messages) build_provider_messages ;;
        wait_function) build_wait_function ;;
        *) echo "fuzz: unknown target $target" >&2; exit 2 ;;
    esac
done

# Run the queued fuzzers, each logging to $out/NAME.log; a failure prints its log's tail.
jobs_max=${FUZZ_JOBS:-$(nproc)}
for ((i = 0; i < ${#queued[@]}; i += 2)); do
    name=${queued[i]}
    while (($(jobs -rp | wc -l) >= jobs_max)); do sleep 0.2; done
    echo "fuzz: running ${name}_fuzz for ${seconds}s"
    rm -f "$out/$name.status"
    (
        set +e
        eval "${queued[i + 1]}" >"$out/$name.log" 2>&1
        echo $? >"$out/$name.status"
    ) &
done
wait
status=0
for ((i = 0; i < ${#queued[@]}; i += 2)); do
    name=${queued[i]}
    if [[ "$(cat "$out/$name.status" 2>/dev/null)" == 0 ]]; then
        echo "fuzz: ${name}_fuzz: $(grep -E '^Done [0-9]+ runs' "$out/$name.log" | tail -n 1)"
    else
        echo "fuzz: ${name}_fuzz FAILED (log: $out/$name.log)" >&2
        tail -n 60 "$out/$name.log" >&2
        status=1
    fi
done
exit "$status"
