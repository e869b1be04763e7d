// Shared machinery of the local TTS sessions (flite, espeak-ng): a per-session strand over
// ctx.compute that synthesizes utterances in speak() order, one sentence per task,
// resamples to audio::kRate and posts chunks to ctx.executor.
//
//   auto session = std::make_unique<WorkerTtsSession>(ctx, callbacks, synthFn, "");
//   session->speak(1, text);   // cut to kMaxUtteranceBytes (logged), split by tts_text.h
//   session->cancel();         // barge-in: queued sentences dropped, the current one stops
//
// What one call can cost the process is bounded:
//  - work: each task synthesizes one sentence of at most kMaxSentenceBytes with words of at
//    most kMaxWordBytes (tts_text.h), then re-posts itself, so calls sharing the compute
//    pool take turns sentence by sentence and nobody waits behind a whole long reply;
//  - pace: a session stays at most kMaxLeadSeconds of audio ahead of real time (then its next
//    sentence waits on a timer on ctx.executor), so a long text costs CPU and memory as it
//    is played, not all at once;
//  - cancel/close: a generation counter; queued work stamped with an older generation is
//    dropped, and the engines' streaming callbacks (PcmSink) stop the sentence in progress;
//  - shutdown: ctx.stopping (set by the server when it stops) makes every queued task
//    return at once, so joining the compute pool waits for one sentence at most.
#pragma once
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "providers/local/linear_resampler.h"
#include "providers/local/tts_text.h"
#include "providers/providers.h"

namespace voxa::providers::local {

/// How far (seconds of audio) synthesis may run ahead of playback before it waits.
inline constexpr double kMaxLeadSeconds = 10;

/// Receives PCM at `rate`; returns false when synthesis should stop (cancelled/closed).
using PcmSink = std::function<bool(std::span<const int16_t> pcm, int rate)>;
/// Synthesizes one sentence into `sink` on a compute thread; returns "" or an error.
using SynthFn = std::function<std::string(const std::string& sentence, const PcmSink& sink)>;

class TtsWorker : public std::enable_shared_from_this<TtsWorker> {
public:
    TtsWorker(const Context& ctx, TtsCallbacks cb, SynthFn synth);

    void speak(uint64_t id, std::string text);
    /// Executor only. Drops queued and in-flight utterances.
    void cancel();
    void close();
    /// Reports `err` for utterance `id` (on the executor) instead of speaking.
    void fail(uint64_t id, std::string err);

private:
    struct Job {
        uint64_t id;
        uint64_t gen;
        std::string text;                 // split into `sentences` when the job starts
        std::vector<std::string> sentences;
        size_t next = 0;
        bool started = false;
        std::optional<LinearResampler> rs;  // the engine's rate -> audio::kRate
    };
    using Clock = std::chrono::steady_clock;

    bool live(uint64_t gen) const {
        return !closed_ && gen_ == gen && !(stopping_ && stopping_->load());
    }
    void enqueue(Job job);   // strand
    void step();             // strand: one sentence of the front job, then the next step
    void next();             // strand: schedule step(), now or once the lead is small
    template <class F>
    void deliver(uint64_t gen, F fn) {
        auto self = shared_from_this();
        boost::asio::post(executor_, [self, gen, fn = std::move(fn)]() mutable {
            if (!self->closed_ && self->gen_ == gen) fn(self->cb_);
        });
    }

    boost::asio::any_io_executor executor_;
    boost::asio::strand<boost::asio::any_io_executor> strand_;
    boost::asio::steady_timer pace_;  // executor_ only
    TtsCallbacks cb_;
    SynthFn synth_;
    std::string callId_;
    const std::atomic<bool>* stopping_;
    std::atomic<uint64_t> gen_{0};
    std::atomic<bool> closed_{false};
    // Strand only:
    std::deque<Job> jobs_;
    bool busy_ = false;            // a step() is queued, running or waiting on pace_
    Clock::time_point playEnd_{};  // when the audio produced so far ends, played back to back
    uint64_t playGen_ = 0;
};

/// A TtsSession over a TtsWorker (or one that fails every speak() with `error`).
class WorkerTtsSession final : public TtsSession {
public:
    WorkerTtsSession(const Context& ctx, TtsCallbacks cb, SynthFn synth, std::string error);
    ~WorkerTtsSession() override { close(); }
    void speak(uint64_t id, std::string text) override;
    void cancel() override { worker_->cancel(); }
    void close() override { worker_->close(); }

private:
    std::shared_ptr<TtsWorker> worker_;
    std::string error_;
};

}  // namespace voxa::providers::local
