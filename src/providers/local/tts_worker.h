// Shared machinery of the local TTS sessions (flite, espeak-ng): a per-session strand over
// ctx.compute that synthesizes utterances in speak() order, sentence by sentence, resamples
// to audio::kRate and posts chunks to ctx.executor. A generation counter implements
// cancel(): work and callbacks stamped with an older generation are dropped.
#pragma once
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "providers/providers.h"

namespace voxa::providers::local {

/// Receives PCM at `rate`; returns false when synthesis should stop (cancelled/closed).
using PcmSink = std::function<bool(std::span<const int16_t> pcm, int rate)>;
/// Synthesizes one sentence into `sink` on a compute thread; returns "" or an error.
using SynthFn = std::function<std::string(const std::string& sentence, const PcmSink& sink)>;

/// Splits text at sentence ends (. ! ? ; followed by space, or a newline) so a long reply
/// starts sounding after its first sentence and a global engine lock is held briefly.
std::vector<std::string> splitSentences(const std::string& text);

class TtsWorker : public std::enable_shared_from_this<TtsWorker> {
public:
    TtsWorker(const Context& ctx, TtsCallbacks cb, SynthFn synth);

    void speak(uint64_t id, std::string text);
    /// Executor only. Drops queued and in-flight utterances.
    void cancel() { ++gen_; }
    void close() {
        closed_ = true;
        ++gen_;
    }
    /// Reports `err` for utterance `id` (on the executor) instead of speaking.
    void fail(uint64_t id, std::string err);

private:
    void run(uint64_t id, const std::string& text, uint64_t gen);
    template <class F>
    void deliver(uint64_t gen, F fn) {
        auto self = shared_from_this();
        boost::asio::post(executor_, [self, gen, fn = std::move(fn)]() mutable {
            if (!self->closed_ && self->gen_ == gen) fn(self->cb_);
        });
    }

    boost::asio::any_io_executor executor_;
    boost::asio::strand<boost::asio::any_io_executor> strand_;
    TtsCallbacks cb_;
    SynthFn synth_;
    std::atomic<uint64_t> gen_{0};
    std::atomic<bool> closed_{false};
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
