// Acoustic echo cancellation for one call: removes the assistant's own voice, coming back on
// the caller's line (a phone hybrid, a speakerphone), from the caller's audio, with what was
// played as the far-end reference. webrtc-audio-processing 0.3's full AEC with the extended
// filter (128 ms) and delay-agnostic mode, which finds the echo path's delay itself; plus an
// EchoGuard (echo_guard.h) that judges what is left.
//
//   voxa::audio::EchoCanceller aec;
//   aec.playFar(played);                       // every frame handed to the transport
//   auto r = aec.processNear(callerFrame);     // caller audio, cleaned in place
//   if (r.echo) ...                            // it was the assistant's own voice
//   aec.pause();                               // nothing played for a while: stop feeding
//                                              // both sides; the filter is kept
//
// Both sides take any whole number of 10 ms chunks at kRate. The two streams are paired by
// sample count, not by arrival: each caller chunk is processed right after the oldest played
// chunk not yet paired, so network jitter (caller audio late, then in a burst) does not move
// the echo under the filter (tested: 36-40 dB instead of 12-25 dB). After a pause of the
// caller's audio, reference piled up is dropped so the pairing comes back to the present.
//
// Until the guard finds an echo path, caller chunks quieter than -60 dBFS skip the APM on
// both sides together: a line without echo (headset, most VoIP) costs next to nothing.
//
// Costs (measured, tests/unit/audio/echo_canceller_test.cpp): ~350 KB per instance, made at
// the first caller chunk that goes through the APM (a few KB before); ~80-100
// us of CPU per 20 ms frame on a line with echo, a few us on a quiet one; the pipeline runs
// it only around assistant speech (pipeline/echo_stage.h). Single-threaded: one call's loop.
#pragma once
#include <memory>
#include <optional>
#include <span>

#include "audio/audio.h"

namespace voxa::audio {

class EchoCanceller {
public:
    struct Options {
        /// webrtc's echo metrics (ERLE, ERL, delay): ~20 % more CPU, so for tests and tools.
        bool metrics = false;
    };
    struct Result {
        bool echo = false;       // the guard's verdict on the frame (EchoGuard::Verdict)
        double inDb = 0;         // the caller's frame before and after cancellation
        double outDb = 0;        //   (dB of the mean square, s16 units; RMS 100 = 40 dB)
        double correlation = 0;  // envelope match with the played audio
        int lagMs = -1;          // echo path delay the guard found (-1: none yet)
        double gainDb = 0;       // and its level (echo - played), once found
    };
    struct Metrics {
        int erleDb = 0;   // echo return loss enhancement (average): what the AEC removes
        int erlDb = 0;    // echo return loss: played -> echo
        int delayMs = 0;  // median delay the AEC found
    };

    explicit EchoCanceller(Options o);
    EchoCanceller() : EchoCanceller(Options{}) {}
    ~EchoCanceller();
    EchoCanceller(const EchoCanceller&) = delete;
    EchoCanceller& operator=(const EchoCanceller&) = delete;

    /// What was played to the caller (zeros for quiet frames while the AEC runs).
    void playFar(std::span<const int16_t> pcm);
    /// The caller's audio, cleaned in place; frames shorter than 10 ms are a caller bug.
    Result processNear(std::span<int16_t> pcm);
    /// Forgets unpaired reference and the guard's envelopes; keeps the adapted filter.
    void pause();
    /// With Options::metrics: webrtc's numbers so far.
    std::optional<Metrics> metrics() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace voxa::audio
