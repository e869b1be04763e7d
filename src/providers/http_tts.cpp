#include "providers/http_tts.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <optional>

#include "audio/resampler.h"
#include "providers/streaming.h"

namespace voxa::providers {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

bool blank(std::string_view s) { return s.find_first_not_of(" \t\r\n") == std::string_view::npos; }

/// s16le bytes of one utterance at `rate` in, samples at audio::kRate out, in chunks as they
/// arrive (an odd byte waits for the next chunk).
class Converter {
public:
    explicit Converter(int rate) : rate_(rate) {
        if (rate_ != audio::kRate) rs_.emplace(rate_, audio::kRate);
    }

    audio::Samples push(std::string_view bytes) {
        carry_.append(bytes);
        size_t n = carry_.size() / 2;
        audio::Samples in(n);
        std::memcpy(in.data(), carry_.data(), n * 2);  // little-endian s16, as the host
        carry_.erase(0, n * 2);
        if (!rs_) return in;
        inSamples_ += n;
        audio::Samples out;
        rs_->process(in, out);
        return clip(std::move(out));
    }

    /// The resampler's tail: the last few milliseconds still inside its filter.
    audio::Samples flush() {
        if (!rs_) return {};
        audio::Samples zeros(static_cast<size_t>(rs_->latencySamples()) * rate_ / audio::kRate + 8, 0), out;
        rs_->process(zeros, out);
        return clip(std::move(out));
    }

private:
    /// No more output than the input's length at the new rate (the flush's zeros are not audio).
    audio::Samples clip(audio::Samples out) {
        size_t expected = inSamples_ * audio::kRate / static_cast<size_t>(rate_);
        size_t room = expected > outSamples_ ? expected - outSamples_ : 0;
        if (out.size() > room) out.resize(room);
        outSamples_ += out.size();
        return out;
    }

    int rate_;
    std::optional<audio::Resampler> rs_;
    std::string carry_;
    size_t inSamples_ = 0, outSamples_ = 0;
};

struct State {
    std::unique_ptr<HttpTtsSpec> spec;
    TtsCallbacks cb;
    Context ctx;
    std::deque<std::pair<uint64_t, std::string>> queue;
    std::shared_ptr<net::CancelToken> inflight;
    uint64_t epoch = 0;  // bumped by cancel(): audio of an older epoch is dropped
    bool running = false;
    bool closed = false;
    bool failed = false;
};

void fail(State& st, FailureCause cause, std::string message) {
    if (st.closed || st.failed) return;
    st.failed = true;
    st.queue.clear();
    if (st.inflight) st.inflight->cancel();
    spdlog::warn(json::serialize(json::object{{"msg", st.spec->name + " failed"}, {"call", st.ctx.callId},
                                              {"cause", toString(cause)}, {"detail", printable(message, 300)}}));
    if (st.cb.onFailure) st.cb.onFailure(ProviderError{cause, std::move(message), true});
}

asio::awaitable<void> run(std::shared_ptr<State> st) {
    const HttpTtsSpec& spec = *st->spec;
    while (!st->closed && !st->failed && !st->queue.empty()) {
        uint64_t id = st->queue.front().first;
        std::string text = std::move(st->queue.front().second);
        st->queue.pop_front();
        uint64_t epoch = st->epoch;
        if (blank(text)) {  // nothing to say (and OpenAI refuses an empty input)
            if (st->cb.onDone) st->cb.onDone(id);
            continue;
        }
        auto made = st->spec->request(text);
        if (auto* e = std::get_if<ProviderError>(&made)) {
            fail(*st, e->cause, e->message);
            break;
        }
        net::HttpClientRequest req = std::move(std::get<net::HttpClientRequest>(made));
        std::string url = req.url;
        auto token = std::make_shared<net::CancelToken>();
        st->inflight = token;

        Converter conv(spec.pcmRate);
        size_t bytes = 0;
        std::string head;  // the first two bytes, to tell PCM from text
        bool text200 = false, tooLong = false;
        auto play = [&](audio::Samples pcm) {
            if (!pcm.empty() && st->cb.onAudio) st->cb.onAudio(id, std::move(pcm));
        };
        auto onChunk = [&](std::string_view chunk) {
            if (st->closed || st->failed || st->epoch != epoch || text200 || tooLong) return;
            if (spec.rejectTextBody && head.size() < 2) {
                head.append(chunk.substr(0, 2 - head.size()));
                if (head.size() == 2 && looksLikeText(head)) {
                    text200 = true;
                    token->cancel();
                    return;
                }
            }
            if (chunk.size() > spec.maxAudioBytes - bytes) {
                chunk = chunk.substr(0, spec.maxAudioBytes - bytes);
                tooLong = true;
            }
            bytes += chunk.size();
            play(conv.push(chunk));  // a 1-byte first chunk is played with the next one
            if (tooLong) token->cancel();
        };
        auto r = co_await net::fetch(std::move(req), onChunk, token);
        if (st->inflight == token) st->inflight.reset();
        if (st->closed || st->failed) break;
        if (st->epoch != epoch) continue;  // barge-in: this one was cancelled, the queue is new
        if (text200) {
            fail(*st, FailureCause::BadMessage, "the answer from " + url + " is text, not PCM audio: " + printable(head, 2));
            break;
        }
        if (!tooLong && !r.success()) {
            fail(*st, httpFailure(r, bytes > 0), "request failed: " + spec.describe(r, url));
            break;
        }
        if (bytes < 2) {
            fail(*st, FailureCause::BadMessage, "the answer from " + url + " has no audio");
            break;
        }
        if (tooLong)
            spdlog::warn(json::serialize(json::object{{"msg", spec.name + ": utterance cut"}, {"call", st->ctx.callId},
                                                      {"bytes", spec.maxAudioBytes}}));
        play(conv.flush());
        if (st->closed || st->failed || st->epoch != epoch) continue;
        if (st->cb.onDone) st->cb.onDone(id);
    }
    st->running = false;
}

class Session final : public TtsSession {
public:
    Session(std::unique_ptr<HttpTtsSpec> spec, const Context& ctx, TtsCallbacks cb) : st_(std::make_shared<State>()) {
        st_->spec = std::move(spec);
        st_->cb = std::move(cb);
        st_->ctx = ctx;
    }
    ~Session() override { close(); }

    void speak(uint64_t id, std::string text) override {
        auto& st = *st_;
        if (st.closed || st.failed) return;
        st.queue.emplace_back(id, utf8Prefix(std::move(text), st.spec->maxTextBytes));
        if (st.running) return;
        st.running = true;
        asio::co_spawn(st.ctx.executor, run(st_), asio::detached);
    }

    void cancel() override {
        auto& st = *st_;
        ++st.epoch;
        st.queue.clear();
        if (st.inflight) st.inflight->cancel();
    }

    void close() override {
        auto& st = *st_;
        if (st.closed) return;
        cancel();
        st.closed = true;
    }

private:
    std::shared_ptr<State> st_;
};

}  // namespace

std::string HttpTtsSpec::describe(const net::HttpClientResult& r, const std::string& url) const {
    if (!r.ok()) return std::string(net::toString(r.errorKind)) + ": " + r.error + " (" + url + ")";
    return "HTTP " + std::to_string(r.status) + " from " + url + ": " + printable(r.body, 200);
}

std::unique_ptr<TtsSession> makeHttpTtsSession(std::unique_ptr<HttpTtsSpec> spec, const Context& ctx,
                                               TtsCallbacks cb) {
    return std::make_unique<Session>(std::move(spec), ctx, std::move(cb));
}

bool looksLikeText(std::string_view b) {
    if (b.size() < 2 || (b[0] != '{' && b[0] != '<')) return false;
    unsigned char c = static_cast<unsigned char>(b[1]);
    return (c >= 0x20 && c < 0x7f) || c == '\n' || c == '\r' || c == '\t';
}

std::string utf8Prefix(std::string s, size_t max) {
    if (s.size() <= max) return s;
    size_t n = max;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;  // s[n] continues a sequence
    s.resize(n);
    return s;
}

}  // namespace voxa::providers
