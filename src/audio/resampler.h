// Streaming sample-rate conversion (speexdsp polyphase filter): constant latency, output on
// every call, so 20 ms in gives ~20 ms out. One instance per direction per call.
//
//   voxa::audio::Resampler up(8000, voxa::audio::kRate);   // throws on a bad rate
//   voxa::audio::Samples wide;
//   up.process(narrow, wide);           // appends; 160 in -> 320 out (±1 per call)
//   auto whole = voxa::audio::Resampler::convert(file, 44100, voxa::audio::kRate);  // offline
#pragma once
#include <memory>

#include "audio/audio.h"

namespace voxa::audio {

class Resampler {
public:
    static constexpr int kDefaultQuality = 5;  // speexdsp 0..10; 5 ~ 10 us per 20 ms frame

    /// Rates in Hz (1000..384000; telephony/web rates are the tested ones). Equal rates make a
    /// zero-cost pass-through. Throws std::invalid_argument on a bad rate or quality.
    Resampler(int inRate, int outRate, int quality = kDefaultQuality);
    ~Resampler();
    Resampler(Resampler&&) noexcept;
    Resampler& operator=(Resampler&&) noexcept;

    /// Converts `in` and appends the result to `out`. Keeps filter state between calls, so
    /// feed consecutive chunks of one stream; any chunk size works.
    void process(std::span<const int16_t> in, Samples& out);
    /// Forgets the stream history (e.g. a new utterance after barge-in); rates are kept.
    void reset();

    int inRate() const { return inRate_; }
    int outRate() const { return outRate_; }
    bool passthrough() const { return impl_ == nullptr; }
    /// Filter delay in output samples (0 for pass-through).
    int latencySamples() const;

    /// Offline conversion of a whole buffer: delay-compensated and length-exact
    /// (round(n * outRate / inRate)), for files and tests rather than live streams.
    static Samples convert(std::span<const int16_t> in, int inRate, int outRate,
                           int quality = kDefaultQuality);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    int inRate_;
    int outRate_;
};

}  // namespace voxa::audio
