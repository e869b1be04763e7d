#include "providers/local/tts_worker.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace voxa::providers::local {

namespace asio = boost::asio;

TtsWorker::TtsWorker(const Context& ctx, TtsCallbacks cb, SynthFn synth)
    : executor_(ctx.executor),
      // Without a compute pool (misconfiguration) the session only reports errors, so the
      // strand then never runs synthesis on the event loop.
      strand_(ctx.compute ? asio::any_io_executor(ctx.compute->get_executor()) : ctx.executor),
      pace_(ctx.executor),
      cb_(std::move(cb)),
      synth_(std::move(synth)),
      callId_(ctx.callId),
      stopping_(ctx.stopping) {}

void TtsWorker::speak(uint64_t id, std::string text) {
    size_t total = text.size();
    if (size_t dropped = truncateUtterance(text)) {
        spdlog::warn("call {}: local voice: text of {} bytes cut to its first {} (at most {} "
                     "bytes are spoken per message)",
                     callId_, total, total - dropped, kMaxUtteranceBytes);
    }
    Job job{.id = id, .gen = gen_, .text = std::move(text)};
    asio::post(strand_, [self = shared_from_this(), job = std::move(job)]() mutable {
        self->enqueue(std::move(job));
    });
}

void TtsWorker::cancel() {
    ++gen_;
    pace_.cancel();  // a step waiting for playback to catch up runs now (and drops its job)
}

void TtsWorker::close() {
    closed_ = true;
    ++gen_;
    pace_.cancel();
}

void TtsWorker::fail(uint64_t id, std::string err) {
    deliver(gen_, [id, err = std::move(err)](TtsCallbacks& cb) {
        if (cb.onError) cb.onError(id, err);
    });
}

void TtsWorker::enqueue(Job job) {
    jobs_.push_back(std::move(job));
    if (!busy_) {
        busy_ = true;
        step();
    }
}

void TtsWorker::step() {
    // Cancelled or closed work (everything, once the server is stopping) is dropped unheard.
    while (!jobs_.empty() && !live(jobs_.front().gen)) jobs_.pop_front();
    if (jobs_.empty()) {
        busy_ = false;
        return;
    }
    Job& job = jobs_.front();
    const uint64_t gen = job.gen;
    if (playGen_ != gen) {  // after a barge-in nothing of ours is waiting to be played
        playGen_ = gen;
        playEnd_ = Clock::time_point{};
    }
    if (!job.started) {
        job.started = true;
        job.sentences = splitSentences(job.text);
        std::string().swap(job.text);
    }
    if (job.next < job.sentences.size()) {
        auto sink = [this, &job, gen](std::span<const int16_t> pcm, int rate) {
            if (!live(gen)) return false;  // the engine stops the sentence here
            if (!job.rs) job.rs.emplace(rate, audio::kRate);
            audio::Samples out;
            out.reserve(size_t(pcm.size() * double(audio::kRate) / rate) + 2);
            job.rs->process(pcm, out);
            if (!out.empty()) {
                auto len = std::chrono::duration_cast<Clock::duration>(
                    std::chrono::duration<double>(double(out.size()) / audio::kRate));
                playEnd_ = std::max(playEnd_, Clock::now()) + len;
                deliver(gen, [id = job.id, out = std::move(out)](TtsCallbacks& cb) mutable {
                    if (cb.onAudio) cb.onAudio(id, std::move(out));
                });
            }
            return true;
        };
        auto err = synth_(job.sentences[job.next], sink);
        ++job.next;
        if (!err.empty()) {
            deliver(gen, [id = job.id, err](TtsCallbacks& cb) {
                if (cb.onError) cb.onError(id, err);
            });
            jobs_.pop_front();
            next();
            return;
        }
    }
    if (job.next >= job.sentences.size()) {
        if (live(gen)) {
            deliver(gen, [id = job.id](TtsCallbacks& cb) {
                if (cb.onDone) cb.onDone(id);
            });
        }
        jobs_.pop_front();
    }
    next();
}

void TtsWorker::next() {
    // Re-posted rather than looped: sessions sharing the compute pool take turns.
    if (jobs_.empty()) {
        busy_ = false;
        return;
    }
    auto self = shared_from_this();
    auto lead = playEnd_ - Clock::now();
    auto maxLead = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(kMaxLeadSeconds));
    if (lead <= maxLead) {
        asio::post(strand_, [self] { self->step(); });
        return;
    }
    // Far enough ahead of playback: wait on the call's loop, where cancel()/close() cut the
    // wait short (a stopped server never runs the timer, so it holds no compute work). The
    // lead belongs to generation playGen_: once that is cancelled there is nothing to wait for.
    asio::post(executor_, [self, gen = playGen_, wait = lead - maxLead] {
        auto resume = [self] { asio::post(self->strand_, [self] { self->step(); }); };
        if (self->closed_ || self->gen_ != gen) return resume();
        self->pace_.expires_after(wait);
        self->pace_.async_wait([resume](boost::system::error_code) { resume(); });
    });
}

WorkerTtsSession::WorkerTtsSession(const Context& ctx, TtsCallbacks cb, SynthFn synth,
                                   std::string error)
    : worker_(std::make_shared<TtsWorker>(ctx, std::move(cb), std::move(synth))),
      error_(std::move(error)) {
    if (error_.empty() && !ctx.compute) error_ = "local TTS needs a compute pool";
}

void WorkerTtsSession::speak(uint64_t id, std::string text) {
    if (!error_.empty()) {
        worker_->fail(id, error_);
        return;
    }
    worker_->speak(id, std::move(text));
}

}  // namespace voxa::providers::local
