#include "providers/local/tts_worker.h"

#include <cctype>

#include "providers/local/linear_resampler.h"

namespace voxa::providers::local {

namespace asio = boost::asio;

std::vector<std::string> splitSentences(const std::string& text) {
    std::vector<std::string> out;
    std::string cur;
    auto flush = [&] {
        size_t b = cur.find_first_not_of(" \t\r\n");
        if (b != std::string::npos) {
            size_t e = cur.find_last_not_of(" \t\r\n");
            out.push_back(cur.substr(b, e - b + 1));
        }
        cur.clear();
    };
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '\n') {
            flush();
            continue;
        }
        cur += c;
        bool end = c == '.' || c == '!' || c == '?' || c == ';';
        if (end && (i + 1 == text.size() || std::isspace(static_cast<unsigned char>(text[i + 1]))))
            flush();
    }
    flush();
    return out;
}

TtsWorker::TtsWorker(const Context& ctx, TtsCallbacks cb, SynthFn synth)
    : executor_(ctx.executor),
      // Without a compute pool (misconfiguration) the session only reports errors, so the
      // strand then never runs synthesis on the event loop.
      strand_(ctx.compute ? asio::any_io_executor(ctx.compute->get_executor()) : ctx.executor),
      cb_(std::move(cb)),
      synth_(std::move(synth)) {}

void TtsWorker::speak(uint64_t id, std::string text) {
    uint64_t gen = gen_;
    asio::post(strand_, [self = shared_from_this(), id, text = std::move(text), gen] {
        self->run(id, text, gen);
    });
}

void TtsWorker::fail(uint64_t id, std::string err) {
    deliver(gen_, [id, err = std::move(err)](TtsCallbacks& cb) {
        if (cb.onError) cb.onError(id, err);
    });
}

void TtsWorker::run(uint64_t id, const std::string& text, uint64_t gen) {
    if (closed_ || gen_ != gen) return;  // cancelled while queued
    std::unique_ptr<LinearResampler> rs;
    auto sink = [&](std::span<const int16_t> pcm, int rate) {
        if (closed_ || gen_ != gen) return false;
        if (!rs) rs = std::make_unique<LinearResampler>(rate, audio::kRate);
        audio::Samples out;
        out.reserve(size_t(pcm.size() * double(audio::kRate) / rate) + 2);
        rs->process(pcm, out);
        if (!out.empty()) {
            deliver(gen, [id, out = std::move(out)](TtsCallbacks& cb) mutable {
                if (cb.onAudio) cb.onAudio(id, std::move(out));
            });
        }
        return true;
    };
    for (const auto& sentence : splitSentences(text)) {
        if (closed_ || gen_ != gen) return;
        auto err = synth_(sentence, sink);
        if (!err.empty()) {
            deliver(gen, [id, err](TtsCallbacks& cb) {
                if (cb.onError) cb.onError(id, err);
            });
            return;
        }
    }
    if (closed_ || gen_ != gen) return;
    deliver(gen, [id](TtsCallbacks& cb) {
        if (cb.onDone) cb.onDone(id);
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
