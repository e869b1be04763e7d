// Admits a caller's audio at real time plus a small burst: a token bucket counted in samples.
// A client that sends faster (a script, a replayed file, a flood with a public key) cannot
// run the call's recorder, voice detector or recognizer ahead of the clock.
//
//   audio::RealtimeGate gate({.rate = 16000, .burstSeconds = 2.0});
//   size_t n = gate.admit(std::chrono::steady_clock::now(), pcm.size());
//   session.use(pcm.first(n));                  // the rest is dropped and counted
//   if (gate.droppedSeconds() > 5.0) end the call;
#pragma once
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace voxa::audio {

class RealtimeGate {
public:
    struct Options {
        int rate = 16000;            // samples per second of real time
        double burstSeconds = 2.0;   // how far ahead of the clock a sender may get (jitter)
    };
    using Clock = std::chrono::steady_clock;

    explicit RealtimeGate(Options o);

    /// How many of `samples` offered at `now` go through (a prefix); the rest are dropped.
    /// The bucket starts full and refills at `rate` per second, up to the burst.
    size_t admit(Clock::time_point now, size_t samples);

    int64_t droppedSamples() const { return dropped_; }
    double droppedSeconds() const { return static_cast<double>(dropped_) / rate_; }

private:
    int rate_;
    double capacity_;   // samples
    double tokens_;     // samples that may go through now
    Clock::time_point last_{};
    bool started_ = false;
    int64_t dropped_ = 0;
};

}  // namespace voxa::audio
