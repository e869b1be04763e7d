// libFuzzer target: the SSE parser (scripts/fuzz.sh builds and runs it).
//
// Input: byte 0 picks a piece size and byte 1 a size limit; the rest is the stream. The
// same bytes are parsed whole and in pieces, and the events must be identical: where the
// network cuts a stream must never change what the provider sees.
#include "providers/openai/sse.h"

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

using voxa::providers::openai::SseEvent;
using voxa::providers::openai::SseParser;

namespace {

bool same(const std::vector<SseEvent>& a, const std::vector<SseEvent>& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (a[i].data != b[i].data || a[i].event != b[i].event || a[i].id != b[i].id)
            return false;
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    size_t piece = data[0] % 17 + 1;
    // Small limits exercise the overflow paths; 255 means "default".
    size_t limit = data[1] == 255 ? 4 * 1024 * 1024 : data[1] + 1;
    std::string_view input(reinterpret_cast<const char*>(data + 2), size - 2);

    SseParser whole(limit);
    std::vector<SseEvent> a;
    bool okWhole = whole.feed(input, a);
    whole.finish(a);

    SseParser pieces(limit);
    std::vector<SseEvent> b;
    bool okPieces = true;
    for (size_t at = 0; at < input.size(); at += piece)
        okPieces = pieces.feed(input.substr(at, piece), b) && okPieces;
    pieces.finish(b);

    if (okWhole != okPieces || !same(a, b)) __builtin_trap();
    for (auto& e : a) {
        if (e.data.size() > limit) __builtin_trap();
        (void)e.isDone();
    }
    return 0;
}
