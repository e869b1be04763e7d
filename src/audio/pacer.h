// Real-time output pacing without timers: the transport's 20 ms steady_timer calls next() once
// per tick and sends whatever frame it gets; TTS pushes audio as fast as it arrives.
//
//   voxa::audio::Pacer pacer;            voxa::audio::JitterStats stats;
//   pacer.push(ttsChunk);                // any length, pipeline format
//   pacer.flush();                       // end of utterance: pad the tail frame with silence
//   stats.tick(Clock::now()); if (pacer.next(frame)) send(frame);   // on every timer tick
//   pacer.clear();                       // barge-in: drop everything queued
#pragma once
#include <chrono>

#include "audio/audio.h"

namespace voxa::audio {

/// FIFO of assistant audio handed out in whole 20 ms frames (a growable ring buffer:
/// no allocation in steady state, clear() is O(1)).
class Pacer {
public:
    /// initialMs: ring capacity to start with; it doubles when a push does not fit.
    explicit Pacer(int initialMs = 2000);

    void push(std::span<const int16_t> pcm);
    /// Ends the current utterance: a partial last frame is padded with silence so next()
    /// can hand it out. Without flush() a partial frame waits for more audio.
    void flush();
    /// Fills `out` with the next frame. false if less than a frame is queued; that counts as
    /// an underrun only inside an utterance (audio pushed and not yet flushed), not when idle.
    bool next(Frame& out);
    /// Drops everything queued (barge-in) and closes the current utterance.
    void clear();

    size_t queuedSamples() const { return size_; }
    int64_t queuedMs() const { return samplesToMs(static_cast<int64_t>(size_)); }
    bool empty() const { return size_ == 0; }
    /// True between the first push() of an utterance and its flush()/clear().
    bool inUtterance() const { return open_; }

    uint64_t framesOut() const { return framesOut_; }
    uint64_t underruns() const { return underruns_; }

private:
    void grow(size_t need);

    std::vector<int16_t> ring_;  // capacity is a power of two so wrapping is a mask
    size_t head_ = 0;            // index of the oldest queued sample
    size_t size_ = 0;
    bool open_ = false;
    uint64_t framesOut_ = 0;
    uint64_t underruns_ = 0;
};

/// Send-time jitter of a periodic tick against its ideal schedule anchor + n * period.
/// Fixed memory (a 0.1 ms histogram up to 100 ms, larger values in one overflow bucket).
class JitterStats {
public:
    using Clock = std::chrono::steady_clock;

    explicit JitterStats(std::chrono::microseconds period = std::chrono::milliseconds(kFrameMs));

    /// Records one tick at its actual time; the first tick (or the first after reanchor())
    /// defines the schedule. Jitter is |actual - ideal|.
    void tick(Clock::time_point actual);
    /// Starts a new schedule at the next tick, e.g. when output resumes after being idle.
    void reanchor() { anchored_ = false; }

    uint64_t ticks() const { return ticks_; }
    /// Percentile (0..100) of jitter in ms, resolved to 0.1 ms; 0 with no ticks.
    double percentileMs(double p) const;
    double p50Ms() const { return percentileMs(50); }
    double p99Ms() const { return percentileMs(99); }
    double maxMs() const { return static_cast<double>(maxUs_) / 1000.0; }
    /// Signed drift of the latest tick (positive = late), useful to spot a drifting timer.
    double lastOffsetMs() const { return static_cast<double>(lastOffsetUs_) / 1000.0; }

private:
    static constexpr int kBucketUs = 100;
    static constexpr size_t kBuckets = 1000;  // 0..100 ms; the last one is overflow

    std::chrono::microseconds period_;
    Clock::time_point anchor_{};
    bool anchored_ = false;
    int64_t sinceAnchor_ = 0;  // ticks since the anchor
    uint64_t ticks_ = 0;
    int64_t maxUs_ = 0;
    int64_t lastOffsetUs_ = 0;
    std::array<uint32_t, kBuckets + 1> histogram_{};
};

}  // namespace voxa::audio
