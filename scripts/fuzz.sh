#!/usr/bin/env bash
# Builds the fuzzers with clang (libFuzzer + ASan + UBSan) and runs each of them.
#
#   scripts/fuzz.sh [seconds] [targets]   (default 60 s each; targets: "json_dto sse ws_inbound
#                                          twilio_stream jwt multipart";
#                                          FUZZ_BUILD_DIR overrides build-fuzz/)
#
# json_dto: request-body validation. sse: the OpenAI stream (SSE) parser, whose seeds are
# written to the build dir (the parser needs no committed corpus).
#
# Only the schema sources are compiled; the two JSON documents are embedded with the same
# .incbin trick as CMakeLists.txt (VOXA_EMBED_CPP). New corpus entries go to the build dir,
# so tests/fuzz/corpus/json_dto/ stays the small committed seed set. Exits non-zero when
# the fuzzer finds a crash, leak, timeout or UB (the reproducer is saved in the build dir).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
targets=${2:-json_dto sse ws_inbound twilio_stream jwt multipart}
out=${FUZZ_BUILD_DIR:-$root/build-fuzz}
cxx=${CXX_FUZZ:-clang++}
mkdir -p "$out/obj" "$out/corpus"

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

    sources=("$root"/src/api/schema*.cpp "$root/tests/fuzz/json_dto_fuzz.cpp" "$embed")
    objects=()
    pids=()
    for src in "${sources[@]}"; do
        obj="$out/obj/$(basename "${src%.cpp}").o"
        objects+=("$obj")
        "$cxx" "${flags[@]}" -c "$src" -o "$obj" &
        pids+=($!)
        # Two compilers at a time.
        if (( ${#pids[@]} >= 2 )); then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
    done
    for pid in "${pids[@]}"; do wait "$pid"; done
    # The embedded documents change without touching embedded_fuzz.cpp; it was rebuilt above.
    "$cxx" -fsanitize=fuzzer,address,undefined "${objects[@]}" -lboost_json -o "$out/json_dto_fuzz"

    echo "fuzz: running json_dto_fuzz for ${seconds}s"
    "$out/json_dto_fuzz" \
        -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$out/" \
        -dict="$root/tests/fuzz/json_dto.dict" \
        "$out/corpus" "$root/tests/fuzz/corpus/json_dto"
}

build_sse() {
    local objects=()
    for src in "$root/src/providers/openai/sse.cpp" "$root/tests/fuzz/sse_fuzz.cpp"; do
        local obj="$out/obj/$(basename "${src%.cpp}").o"
        objects+=("$obj")
        "$cxx" "${flags[@]}" -c "$src" -o "$obj"
    done
    "$cxx" -fsanitize=fuzzer,address,undefined "${objects[@]}" -o "$out/sse_fuzz"

    # Seeds: byte 0 = piece size, byte 1 = size limit (255 = default), then the stream.
    mkdir -p "$out/corpus-sse"
    printf '\x03\xffdata: {"choices":[{"delta":{"content":"Hi"}}]}\n\ndata: [DONE]\n\n' \
        > "$out/corpus-sse/seed-openai"
    printf '\x01\xff: ping\r\nevent: e\r\nid: 1\r\ndata: a\r\ndata:b\r\n\r\ndata\rretry: 5\r\r' \
        > "$out/corpus-sse/seed-crlf"
    printf '\x05\x08\xef\xbb\xbfdata: 0123456789abcdef\n\ndata: x' > "$out/corpus-sse/seed-limits"

    echo "fuzz: running sse_fuzz for ${seconds}s"
    "$out/sse_fuzz" \
        -max_total_time="$seconds" -max_len=16384 -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$out/sse-" \
        "$out/corpus-sse"
}

build_ws_inbound() {
    local objects=()
    for src in "$root/src/transport/ws/inbound.cpp" "$root/src/audio/g711.cpp" \
               "$root/src/audio/resampler.cpp" "$root/tests/fuzz/ws_inbound_fuzz.cpp"; do
        local obj="$out/obj/$(basename "${src%.cpp}").o"
        objects+=("$obj")
        "$cxx" "${flags[@]}" -c "$src" -o "$obj"
    done
    "$cxx" -fsanitize=fuzzer,address,undefined "${objects[@]}" -lboost_json -lspeexdsp \
        -o "$out/ws_inbound_fuzz"
    mkdir -p "$out/corpus-ws"
    # format byte, then [len lo][len hi][binary] chunks: a JSON say, odd-length PCM, mu-law.
    printf '\x02\x1c\x00\x00{"type":"say","content":"hi"}\x05\x00\x01abcde' > "$out/corpus-ws/seed-pcm"
    printf '\x01\x04\x00\x01\xff\x7f\x00\x80\x0a\x00\x00{"type":1}' > "$out/corpus-ws/seed-mulaw"
    echo "fuzz: running ws_inbound_fuzz for ${seconds}s"
    "$out/ws_inbound_fuzz" \
        -max_total_time="$seconds" -max_len=140000 -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$out/ws-" \
        "$out/corpus-ws"
}

build_twilio_stream() {
    local objects=()
    for src in "$root/src/transport/twilio/media_stream.cpp" "$root/src/audio/g711.cpp" \
               "$root/src/audio/resampler.cpp" "$root/src/common/crypto.cpp" \
               "$root/tests/fuzz/twilio_stream_fuzz.cpp"; do
        local obj="$out/obj/$(basename "${src%.cpp}").o"
        objects+=("$obj")
        "$cxx" "${flags[@]}" -c "$src" -o "$obj"
    done
    "$cxx" -fsanitize=fuzzer,address,undefined "${objects[@]}" -lboost_json -lspeexdsp -lcrypto \
        -o "$out/twilio_stream_fuzz"
    mkdir -p "$out/corpus-twilio"
    printf '{"event":"connected"}\0{"event":"start","start":{"streamSid":"MZ1","callSid":"CA1","customParameters":{"token":"t"}}}\0{"event":"media","media":{"track":"inbound","payload":"//////////8="}}\0{"event":"stop"}' \
        > "$out/corpus-twilio/seed-call"
    printf '{"event":"media","media":{"payload":"not base64!"}}\0{"event":5}\0[]' > "$out/corpus-twilio/seed-bad"
    echo "fuzz: running twilio_stream_fuzz for ${seconds}s"
    "$out/twilio_stream_fuzz" \
        -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$out/twilio-" \
        "$out/corpus-twilio"
}

build_jwt() {
    local objects=()
    for src in "$root/src/auth/jwt.cpp" "$root/src/common/crypto.cpp" "$root/tests/fuzz/jwt_fuzz.cpp"; do
        local obj="$out/obj/$(basename "${src%.cpp}").o"
        objects+=("$obj")
        "$cxx" "${flags[@]}" -c "$src" -o "$obj"
    done
    "$cxx" -fsanitize=fuzzer,address,undefined "${objects[@]}" -lboost_json -lcrypto -o "$out/jwt_fuzz"
    mkdir -p "$out/corpus-jwt"
    printf 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1MSIsImV4cCI6MjAwMH0.sig' > "$out/corpus-jwt/seed-token"
    printf 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1In0.' > "$out/corpus-jwt/seed-none"
    printf '{"sub":"u1","org":"o","sid":"s","nested":{"a":[1,2.5,null,true]}}' > "$out/corpus-jwt/seed-claims"
    echo "fuzz: running jwt_fuzz for ${seconds}s"
    "$out/jwt_fuzz" \
        -max_total_time="$seconds" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$out/jwt-" \
        "$out/corpus-jwt"
}

build_multipart() {
    local objects=()
    for src in "$root/src/api/multipart.cpp" "$root/src/net/headers.cpp" "$root/tests/fuzz/multipart_fuzz.cpp"; do
        local obj="$out/obj/$(basename "${src%.cpp}").o"
        objects+=("$obj")
        "$cxx" "${flags[@]}" -c "$src" -o "$obj"
    done
    "$cxx" -fsanitize=fuzzer,address,undefined "${objects[@]}" -o "$out/multipart_fuzz"
    # Seeds: Content-Type line, then the body.
    mkdir -p "$out/corpus-multipart"
    printf 'multipart/form-data; boundary=----b0undary\n------b0undary\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nassistant\r\n------b0undary\r\nContent-Disposition: form-data; name="file"; filename="notes;v1.txt"\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nline1\r\nline2\r\n------b0undary--\r\n' \
        > "$out/corpus-multipart/seed-form"
    printf 'multipart/form-data; boundary="B"\n--B\r\nContent-Disposition: form-data; name="file"; filename="a\\"b\xc3\xa9.html"\r\nContent-Type: text/html\rX: 1\r\n\r\n<script>\r\n--B--' \
        > "$out/corpus-multipart/seed-evil"
    echo "fuzz: running multipart_fuzz for ${seconds}s"
    "$out/multipart_fuzz" \
        -max_total_time="$seconds" -max_len=16384 -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$out/multipart-" \
        "$out/corpus-multipart"
}

for target in $targets; do
    case "$target" in
        json_dto) build_json_dto ;;
        sse) build_sse ;;
        ws_inbound) build_ws_inbound ;;
        twilio_stream) build_twilio_stream ;;
        jwt) build_jwt ;;
        multipart) build_multipart ;;
        *) echo "fuzz: unknown target $target" >&2; exit 2 ;;
    esac
done
