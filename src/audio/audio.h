// Audio inside Voxa: one format in the whole pipeline, converted only at the edges.
//
//   auto pcm = voxa::audio::g711::decodeUlaw(bytes);   // transport edge: 8 kHz mu-law -> s16
//   voxa::audio::Resampler up(8000, voxa::audio::kRate);
//   voxa::audio::Samples wide;
//   up.process(pcm, wide);                              // 8 kHz -> 16 kHz, streaming, 5 ms latency
//   voxa::audio::WebRtcVad vad;                         // 10/20/30 ms frames, mode 0-3
//   bool speech = vad.isSpeech(std::span(wide).first(voxa::audio::kFrameSamples));
//
// Headers: g711.h, resampler.h, vad.h, pacer.h (output pacing), recorder.h (call recordings),
// wav.h (files). Including this one includes them all. Everything here is cheap and
// synchronous: it runs on the call's event loop.
#pragma once
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace voxa::audio {

/// The pipeline's one audio format.
inline constexpr int kRate = 16000;          // Hz, mono, signed 16-bit
inline constexpr int kFrameMs = 20;
inline constexpr int kFrameSamples = kRate * kFrameMs / 1000;  // 320

using Samples = std::vector<int16_t>;

/// Exactly one 20 ms frame in the pipeline format; fixed size so handing one out never allocates.
struct Frame {
    std::array<int16_t, kFrameSamples> samples{};

    std::span<const int16_t> view() const { return samples; }
};

/// Milliseconds <-> samples at the pipeline rate (or another rate).
constexpr int64_t msToSamples(int64_t ms, int rate = kRate) { return ms * rate / 1000; }
constexpr int64_t samplesToMs(int64_t n, int rate = kRate) { return n * 1000 / rate; }

}  // namespace voxa::audio

// The building blocks. They include this header first, so the definitions above are visible.
#include "audio/g711.h"
#include "audio/pacer.h"
#include "audio/recorder.h"
#include "audio/resampler.h"
#include "audio/vad.h"
#include "audio/wav.h"
