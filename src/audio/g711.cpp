#include "audio/g711.h"

#include <algorithm>
#include <bit>

namespace voxa::audio::g711 {
namespace {

// Both laws are 8 segments of 16 steps each; the step doubles from one segment to the next.
// mu-law adds a bias (132 = 33 << 2) so that segment 0 starts at zero; A-law makes segment 0
// linear instead. Codes are transmitted inverted (mu-law) or with even bits flipped (A-law).
constexpr int kUlawBias = 0x84;
constexpr int kUlawClip = 32635;  // largest magnitude whose biased value still fits 15 bits
constexpr uint8_t kAlawToggle = 0x55;

constexpr int16_t ulawDecodeOne(uint8_t code) {
    const int v = static_cast<uint8_t>(~code);
    const int segment = (v >> 4) & 0x7;
    const int magnitude = ((((v & 0x0F) << 3) + kUlawBias) << segment) - kUlawBias;
    return static_cast<int16_t>((v & 0x80) ? -magnitude : magnitude);
}

constexpr int16_t alawDecodeOne(uint8_t code) {
    const int v = code ^ kAlawToggle;
    const int segment = (v >> 4) & 0x7;
    int magnitude = ((v & 0x0F) << 4) + 8;  // +8 = middle of the quantisation step
    if (segment > 0) magnitude = (magnitude + 0x100) << (segment - 1);
    return static_cast<int16_t>((v & 0x80) ? magnitude : -magnitude);
}

template <int16_t (*Decode)(uint8_t)>
constexpr std::array<int16_t, 256> makeTable() {
    std::array<int16_t, 256> t{};
    for (int i = 0; i < 256; ++i) t[i] = Decode(static_cast<uint8_t>(i));
    return t;
}

constexpr auto kUlawTable = makeTable<ulawDecodeOne>();
constexpr auto kAlawTable = makeTable<alawDecodeOne>();

// Appends the decoded bytes; one resize, then a table lookup per byte.
template <typename Byte>
void decodeInto(std::span<const Byte> in, Samples& out, const std::array<int16_t, 256>& table) {
    const size_t base = out.size();
    out.resize(base + in.size());
    int16_t* dst = out.data() + base;
    for (size_t i = 0; i < in.size(); ++i) dst[i] = table[static_cast<uint8_t>(in[i])];
}

template <uint8_t (*Encode)(int16_t)>
void encodeInto(std::span<const int16_t> in, std::string& out) {
    const size_t base = out.size();
    out.resize(base + in.size());
    char* dst = out.data() + base;
    for (size_t i = 0; i < in.size(); ++i) dst[i] = static_cast<char>(Encode(in[i]));
}

}  // namespace

uint8_t linearToUlaw(int16_t sample) {
    const bool negative = sample < 0;
    const int magnitude = std::min(negative ? -int{sample} : int{sample}, kUlawClip) + kUlawBias;
    // The biased magnitude is in [132, 32767]: its top bit (7..14) picks the segment.
    const int segment = std::bit_width(static_cast<unsigned>(magnitude)) - 8;
    const int mantissa = (magnitude >> (segment + 3)) & 0x0F;
    return static_cast<uint8_t>(((segment << 4) | mantissa) ^ (negative ? 0x7F : 0xFF));
}

int16_t ulawToLinear(uint8_t code) { return kUlawTable[code]; }

uint8_t linearToAlaw(int16_t sample) {
    const bool negative = sample < 0;
    // One's-complement magnitude for negatives keeps the two halves symmetric: -1 -> 0.
    const int magnitude = negative ? -int{sample} - 1 : int{sample};
    const int segment = std::bit_width(static_cast<unsigned>(magnitude | 0xFF)) - 8;  // 0..7
    const int mantissa = (magnitude >> (segment == 0 ? 4 : segment + 3)) & 0x0F;
    return static_cast<uint8_t>(((segment << 4) | mantissa) ^ (negative ? kAlawToggle
                                                                        : kAlawToggle | 0x80));
}

int16_t alawToLinear(uint8_t code) { return kAlawTable[code]; }

void decodeUlaw(std::span<const uint8_t> in, Samples& out) { decodeInto(in, out, kUlawTable); }
void decodeAlaw(std::span<const uint8_t> in, Samples& out) { decodeInto(in, out, kAlawTable); }
void decodeUlaw(std::string_view in, Samples& out) {
    decodeInto(std::span<const char>(in), out, kUlawTable);
}
void decodeAlaw(std::string_view in, Samples& out) {
    decodeInto(std::span<const char>(in), out, kAlawTable);
}
void encodeUlaw(std::span<const int16_t> in, std::string& out) {
    encodeInto<linearToUlaw>(in, out);
}
void encodeAlaw(std::span<const int16_t> in, std::string& out) {
    encodeInto<linearToAlaw>(in, out);
}

Samples decodeUlaw(std::string_view in) {
    Samples out;
    decodeUlaw(in, out);
    return out;
}
Samples decodeAlaw(std::string_view in) {
    Samples out;
    decodeAlaw(in, out);
    return out;
}
std::string encodeUlaw(std::span<const int16_t> in) {
    std::string out;
    encodeUlaw(in, out);
    return out;
}
std::string encodeAlaw(std::span<const int16_t> in) {
    std::string out;
    encodeAlaw(in, out);
    return out;
}

}  // namespace voxa::audio::g711
