// WAV files in and out of the pipeline format, for tests, tools and the CLI client.
//
//   auto pcm = voxa::audio::readWav("hello.wav");              // any rate/channels -> 16 kHz mono
//   auto pcm8k = voxa::audio::readWav("hello.wav", 8000);      // or another rate
//   voxa::audio::writeWav("out.wav", pcm);                      // mono 16-bit at kRate
//   auto bytes = voxa::audio::encodeWav(pcm);                    // same, in memory (HTTP bodies)
#pragma once
#include "audio/audio.h"

namespace voxa::audio {

/// Reads any libsndfile-readable file (WAV, FLAC, ...), mixes channels down to mono and
/// resamples to `rate` (offline, delay-compensated). Throws std::runtime_error.
Samples readWav(const std::string& path, int rate = kRate);
/// The same from bytes in memory.
Samples decodeWav(std::string_view bytes, int rate = kRate);

/// Mono 16-bit PCM WAV. Throws std::runtime_error.
void writeWav(const std::string& path, std::span<const int16_t> pcm, int rate = kRate);
std::string encodeWav(std::span<const int16_t> pcm, int rate = kRate);

}  // namespace voxa::audio
