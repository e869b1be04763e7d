// G.711 mu-law (PCMU) and A-law (PCMA) codecs: one byte per sample, used by telephony edges.
//
//   voxa::audio::Samples pcm;
//   voxa::audio::g711::decodeUlaw(payload, pcm);        // appends 1 sample per byte
//   std::string wire;
//   voxa::audio::g711::encodeUlaw(pcm, wire);           // appends 1 byte per sample
#pragma once
#include "audio/audio.h"

namespace voxa::audio::g711 {

/// Single-sample conversions (16-bit linear, bit-exact with the ITU G.711 segment tables
/// as implemented by spandsp; encoding saturates, so every int16 has a code).
uint8_t linearToUlaw(int16_t sample);
int16_t ulawToLinear(uint8_t code);
uint8_t linearToAlaw(int16_t sample);
int16_t alawToLinear(uint8_t code);

/// Buffer conversions. They append to `out` (reserve once, reuse across frames).
void decodeUlaw(std::span<const uint8_t> in, Samples& out);
void decodeAlaw(std::span<const uint8_t> in, Samples& out);
void encodeUlaw(std::span<const int16_t> in, std::string& out);
void encodeAlaw(std::span<const int16_t> in, std::string& out);

/// Byte strings (what base64-decoded media payloads are) decode the same way.
void decodeUlaw(std::string_view in, Samples& out);
void decodeAlaw(std::string_view in, Samples& out);

/// Convenience forms that return a fresh buffer.
Samples decodeUlaw(std::string_view in);
Samples decodeAlaw(std::string_view in);
std::string encodeUlaw(std::span<const int16_t> in);
std::string encodeAlaw(std::span<const int16_t> in);

}  // namespace voxa::audio::g711
