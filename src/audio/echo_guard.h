// Is what the caller's line carries now just the assistant's own voice coming back? Judged
// from loudness envelopes, 10 ms at a time: the caller's audio against what was played.
//
//   voxa::audio::EchoGuard guard;
//   guard.add(refEnergy, inEnergy, outEnergy);  // per 10 ms chunk: mean squares of the played
//   guard.add(...);                             //   audio paired with it, of the caller's
//   EchoGuard::Verdict v = guard.judge();       //   audio, of what the canceller left
//   if (v.echo) ...                             // the chunks since the last judge() are echo
//
// How: the Pearson correlation of the caller's dB envelope with the played one over the last
// 400 ms, at lags 0-300 ms, finds the echo path's delay and loss (gain) while the line
// carries only echo. A chunk is echo when it is no louder than that path predicts from the
// played audio (+6 dB) and either the envelopes still match (correlation >= 0.6) or the
// canceller took out >= 10 dB of it. A caller talking over the assistant is louder than
// the echo and breaks the match, so double talk stays voice. The path is only (re)estimated
// over windows the canceller took >= 10 dB out of on average (echo alone), held for 500 ms
// in a row before it is believed, and never louder than -3 dB: two speech envelopes match at some lag by chance now and then (the caller
// talking over the assistant on a line without echo: 127 of 548 frames called echo without
// this rule), and a path learnt from the caller's own voice would call that voice echo.
// EchoCanceller runs one.
#pragma once
#include <array>
#include <cstddef>

namespace voxa::audio {

class EchoGuard {
public:
    static constexpr int kChunkMs = 10;
    static constexpr int kMaxLagChunks = 30;  // 300 ms: the longest echo path looked for
    static constexpr int kWindowChunks = 40;  // 400 ms of envelope per correlation

    struct Verdict {
        bool echo = false;
        double correlation = 0;  // best envelope correlation over the lags (-1..1)
        int lagMs = -1;          // the echo path's delay as estimated (-1: not known yet)
        double gainDb = 0;       // the echo path's level (echo - played), when known
        double removedDb = 0;    // how much the canceller took out of the judged chunks
    };

    /// One 10 ms chunk, energies as mean squares of s16 samples (0 .. 2^30).
    void add(double refEnergy, double inEnergy, double outEnergy);
    /// The chunks added since the last call, as one judgement (false if none were added).
    Verdict judge();
    /// Whether an echo path was found (the line has echo).
    bool pathKnown() const { return lag_ >= 0; }
    /// Forgets the envelopes (not the path estimate): the played audio stopped for a while.
    void clearHistory();

private:
    static constexpr size_t kHistory = kMaxLagChunks + kWindowChunks + 2;
    double refDb(size_t back) const;  // back = 0: the newest chunk
    double inDb(size_t back) const;
    void estimatePath();

    std::array<double, kHistory> ref_{}, in_{}, out_{};
    size_t pos_ = 0, filled_ = 0;  // ring position of the next chunk; chunks held
    size_t pending_ = 0;           // chunks since the last judge()
    double pendingIn_ = 0, pendingOut_ = 0;  // energies summed over those chunks
    double correlation_ = 0;
    int lag_ = -1;                 // chunks, -1 until the envelopes matched once
    double gainDb_ = 0;
    static constexpr int kSwitchRuns = 25;  // judgements (500 ms) a new delay must hold
    int candidate_ = -1, candidateRuns_ = 0;
};

}  // namespace voxa::audio
