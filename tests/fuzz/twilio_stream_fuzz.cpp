// libFuzzer target: what Twilio sends on a Media Stream (JSON text frames), one message per
// NUL-separated chunk, through one parser (the resampler keeps state across messages).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "transport/twilio/media_stream.h"

using namespace voxa::transport::twilio;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    MediaStreamParser parser;
    std::string_view all(reinterpret_cast<const char*>(data), size);
    while (!all.empty()) {
        size_t nul = all.find('\0');
        std::string_view msg = all.substr(0, nul);
        auto ev = parser.parse(msg);
        // 1 s of 8 kHz mu-law at most -> at most ~1 s of 16 kHz audio (plus resampler slack).
        if (ev.kind == TwilioEvent::Media && ev.pcm.size() > 16000 + 64) __builtin_trap();
        if (ev.kind == TwilioEvent::Error && ev.error.empty()) __builtin_trap();
        if (nul == std::string_view::npos) break;
        all.remove_prefix(nul + 1);
    }
    MediaStreamWriter w("MZ1");
    int16_t pcm[320] = {};
    if (size >= 2) pcm[0] = static_cast<int16_t>(data[0] | (data[1] << 8));
    if (w.media(pcm).empty()) __builtin_trap();
    return 0;
}
