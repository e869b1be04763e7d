#include "audio/echo_guard.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace voxa::audio {

namespace {
constexpr double kFloorDb = 20;         // RMS 10: below this a chunk is just quiet
constexpr double kMatch = 0.8;          // correlation that (re)estimates the echo path
constexpr double kStillMatching = 0.6;  // correlation that keeps judging chunks echo
constexpr double kMarginDb = 6;         // a chunk louder than the predicted echo by more is voice
constexpr double kRemovedDb = 10;       // the canceller took out this much: it was echo
constexpr double kGainStepDb = 3;       // an echo path louder by more is another path
constexpr double kMaxGainDb = -3;       // echo comes back weaker than it was played (a phone
                                        // hybrid loses >= 6 dB; G.168)

double toDb(double energy) { return std::max(kFloorDb, 10 * std::log10(energy + 1)); }
}  // namespace

void EchoGuard::add(double refEnergy, double inEnergy, double outEnergy) {
    ref_[pos_] = toDb(refEnergy);
    in_[pos_] = toDb(inEnergy);
    out_[pos_] = toDb(outEnergy);
    pos_ = (pos_ + 1) % kHistory;
    filled_ = std::min(filled_ + 1, kHistory);
    ++pending_;
    pendingIn_ += inEnergy;
    pendingOut_ += outEnergy;
}

double EchoGuard::refDb(size_t back) const { return ref_[(pos_ + kHistory - 1 - back) % kHistory]; }
double EchoGuard::inDb(size_t back) const { return in_[(pos_ + kHistory - 1 - back) % kHistory]; }

void EchoGuard::clearHistory() {
    filled_ = 0;
    correlation_ = 0;
}

void EchoGuard::estimatePath() {
    correlation_ = 0;
    if (filled_ < static_cast<size_t>(kWindowChunks)) return;
    const int maxLag = std::min<int>(kMaxLagChunks, static_cast<int>(filled_) - kWindowChunks);
    double mx = 0, sxx = 0;
    for (int b = 0; b < kWindowChunks; ++b) mx += inDb(b);
    mx /= kWindowChunks;
    for (int b = 0; b < kWindowChunks; ++b) sxx += (inDb(b) - mx) * (inDb(b) - mx);
    if (sxx < kWindowChunks * 9.0) return;  // a flat line (std < 3 dB): nothing to match
    double best = -1;
    int bestLag = -1;
    for (int lag = 0; lag <= maxLag; ++lag) {
        double my = 0;
        for (int b = 0; b < kWindowChunks; ++b) my += refDb(b + lag);
        my /= kWindowChunks;
        double sxy = 0, syy = 0;
        for (int b = 0; b < kWindowChunks; ++b) {
            const double dy = refDb(b + lag) - my;
            sxy += (inDb(b) - mx) * dy;
            syy += dy * dy;
        }
        if (syy < kWindowChunks * 9.0) continue;  // the assistant was (nearly) quiet here
        const double c = sxy / std::sqrt(sxx * syy);
        if (c > best) best = c, bestLag = lag;
    }
    if (bestLag < 0) return;
    correlation_ = best;
    if (best < kMatch) {
        candidateRuns_ = 0;
        return;
    }
    // Only over echo alone: the canceller (a linear filter on what was played) took most of
    // the window out. A caller's voice can match the envelope by chance, never the filter.
    double removed = 0;
    for (int b = 0; b < kWindowChunks; ++b)
        removed += in_[(pos_ + kHistory - 1 - b) % kHistory] - out_[(pos_ + kHistory - 1 - b) % kHistory];
    if (removed / kWindowChunks < kRemovedDb) {
        candidateRuns_ = 0;
        return;
    }
    // The path's level: echo minus played, over the louder played chunks (the quiet ones
    // sit on the caller's noise floor and would make the echo look louder than it is).
    double top = 0;
    for (int b = 0; b < kWindowChunks; ++b) top = std::max(top, refDb(b + bestLag));
    double sum = 0;
    int n = 0;
    for (int b = 0; b < kWindowChunks; ++b)
        if (refDb(b + bestLag) >= top - 20) sum += inDb(b) - refDb(b + bestLag), ++n;
    const double gain = n ? sum / n : 0;
    // An "echo" as loud as what was played is the caller whose voice happened to match.
    if (gain > kMaxGainDb) {
        candidateRuns_ = 0;
        return;
    }
    // Same path: same delay (+-20 ms), not suddenly louder (a caller's voice that happens to
    // match would make the path look as loud as the caller).
    if (lag_ >= 0 && std::abs(bestLag - lag_) <= 2 && gain <= gainDb_ + kGainStepDb) {
        gainDb_ = 0.7 * gainDb_ + 0.3 * gain;
        candidateRuns_ = 0;
        return;
    }
    // A first or another path (a transfer, another handset): believed once it has held for
    // kSwitchRuns judgements in a row, not on a chance match.
    if (candidateRuns_ > 0 && std::abs(bestLag - candidate_) <= 1) ++candidateRuns_;
    else candidate_ = bestLag, candidateRuns_ = 1;
    if (candidateRuns_ >= kSwitchRuns) {
        lag_ = bestLag;
        gainDb_ = gain;
        candidateRuns_ = 0;
    }
}

EchoGuard::Verdict EchoGuard::judge() {
    Verdict v;
    if (pending_ == 0) return v;
    estimatePath();
    v.correlation = correlation_;
    v.lagMs = lag_ < 0 ? -1 : lag_ * kChunkMs;
    v.gainDb = gainDb_;
    const double inDbNow = 10 * std::log10(pendingIn_ / static_cast<double>(pending_) + 1);
    const double outDbNow = 10 * std::log10(pendingOut_ / static_cast<double>(pending_) + 1);
    v.removedDb = inDbNow - outDbNow;
    // Echo only if no judged chunk is louder than the path predicts from what was played.
    bool explained = lag_ >= 0 && inDbNow > kFloorDb;
    for (size_t b = 0; explained && b < pending_ && b < filled_; ++b) {
        double played = kFloorDb;
        for (int d = -1; d <= 1; ++d) {
            const int back = static_cast<int>(b) + lag_ + d;
            if (back >= 0 && back < static_cast<int>(filled_)) played = std::max(played, refDb(back));
        }
        if (inDb(b) > played + gainDb_ + kMarginDb) explained = false;
    }
    v.echo = explained && (correlation_ >= kStillMatching || v.removedDb >= kRemovedDb);
    pending_ = 0;
    pendingIn_ = pendingOut_ = 0;
    return v;
}

}  // namespace voxa::audio
