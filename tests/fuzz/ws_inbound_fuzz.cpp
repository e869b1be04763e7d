// libFuzzer target: what a client sends on the WebSocket transport.
// Byte 0 picks the call's audio format; then each chunk is [len:2][binary?:1][bytes].
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "transport/ws/inbound.h"

using namespace voxa::transport::ws;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    static const int kRates[] = {8000, 16000, 24000, 48000};
    AudioFormat fmt{.mulaw = (data[0] & 1) != 0, .rate = kRates[(data[0] >> 1) & 3]};
    InboundParser parser(fmt);
    size_t i = 1;
    while (i + 3 <= size) {
        size_t len = size_t(data[i]) | (size_t(data[i + 1]) << 8);
        bool binary = data[i + 2] & 1;
        i += 3;
        len = std::min(len, size - i);
        auto r = parser.parse(binary, std::string_view(reinterpret_cast<const char*>(data + i), len));
        if (r.kind == Inbound::Message && !r.message.contains("type")) __builtin_trap();
        if (r.kind == Inbound::Audio && r.pcm.size() > 4 * kMaxAudioFrameBytes) __builtin_trap();
        i += len;
    }
    return 0;
}
