#include "providers/openai/openai_tts.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <deque>

#include "audio/resampler.h"
#include "common/json_fields.h"
#include "net/http_client.h"
#include "providers/endpoints.h"
#include "providers/openai/openai_llm.h"
#include "providers/streaming.h"

namespace voxa::providers::openai {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

using json_fields::str;

constexpr const char* kDefaultUrl = "https://api.openai.com/v1";
constexpr size_t kMaxSpeechBytes = size_t{kMaxSpeechSeconds} * kSpeechRate * 2;

/// At most `max` bytes of `s`, never ending inside a UTF-8 sequence.
std::string utf8Prefix(std::string s, size_t max) {
    if (s.size() <= max) return s;
    size_t n = max;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;  // s[n] continues a sequence
    s.resize(n);
    return s;
}

bool blank(std::string_view s) { return s.find_first_not_of(" \t\r\n") == std::string_view::npos; }

/// 24 kHz PCM bytes of one utterance in, 16 kHz samples out, in chunks as they arrive.
class Converter {
public:
    Converter() : rs_(kSpeechRate, audio::kRate) {}

    audio::Samples push(std::string_view bytes) {
        carry_.append(bytes);
        size_t n = carry_.size() / 2;
        audio::Samples in(n), out;
        std::memcpy(in.data(), carry_.data(), n * 2);  // little-endian s16, as the host
        carry_.erase(0, n * 2);
        inSamples_ += n;
        rs_.process(in, out);
        return clip(std::move(out));
    }

    /// The filter's tail: the last few milliseconds still inside it.
    audio::Samples flush() {
        audio::Samples zeros(static_cast<size_t>(rs_.latencySamples()) * kSpeechRate / audio::kRate + 8, 0), out;
        rs_.process(zeros, out);
        return clip(std::move(out));
    }

private:
    /// No more output than the input's length at the new rate (the flush's zeros are not audio).
    audio::Samples clip(audio::Samples out) {
        size_t expected = inSamples_ * audio::kRate / kSpeechRate;
        size_t room = expected > outSamples_ ? expected - outSamples_ : 0;
        if (out.size() > room) out.resize(room);
        outSamples_ += out.size();
        return out;
    }

    audio::Resampler rs_;
    std::string carry_;  // an odd byte between chunks
    size_t inSamples_ = 0, outSamples_ = 0;
};

struct State {
    TtsCallbacks cb;
    Context ctx;
    json::object config;
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
    spdlog::warn(json::serialize(json::object{{"msg", "openai voice failed"}, {"call", st.ctx.callId},
                                              {"cause", toString(cause)}, {"detail", printable(message, 300)}}));
    if (st.cb.onFailure) st.cb.onFailure(ProviderError{cause, std::move(message), true});
}

asio::awaitable<void> run(std::shared_ptr<State> st) {
    while (!st->closed && !st->failed && !st->queue.empty()) {
        uint64_t id = st->queue.front().first;
        std::string text = std::move(st->queue.front().second);
        st->queue.pop_front();
        uint64_t epoch = st->epoch;
        if (blank(text)) {  // OpenAI refuses an empty input; there is nothing to say
            if (st->cb.onDone) st->cb.onDone(id);
            continue;
        }
        std::string key = apiKey(st->ctx, "openai");
        if (key.empty()) {
            fail(*st, FailureCause::MissingKey, "no OpenAI API key");
            break;
        }
        auto ep = endpoint("openai", st->ctx, kDefaultUrl);
        net::HttpClientRequest req;
        req.method = "POST";
        req.url = audioUrl(ep.url, "/audio/speech");
        req.headers = {{"Authorization", "Bearer " + key}, {"Content-Type", "application/json"}};
        req.body = speechBody(st->config, text);
        req.source = ep.source;
        req.connectTimeout = 10s;
        req.readTimeout = kSpeechTimeout;
        req.maxBufferedBody = 64 * 1024;  // error bodies
        std::string url = req.url;
        auto token = std::make_shared<net::CancelToken>();
        st->inflight = token;

        Converter conv;
        size_t bytes = 0;
        std::string head;  // the first bytes, to tell PCM from text
        bool text200 = false, tooLong = false;
        auto play = [&](audio::Samples pcm) {
            if (!pcm.empty() && st->cb.onAudio) st->cb.onAudio(id, std::move(pcm));
        };
        auto onChunk = [&](std::string_view chunk) {
            if (st->closed || st->failed || st->epoch != epoch || text200 || tooLong) return;
            if (bytes < 2) {
                size_t take = std::min<size_t>(2 - head.size(), chunk.size());
                head.append(chunk.substr(0, take));
                if (head.size() == 2 && looksLikeText(head)) {
                    text200 = true;
                    token->cancel();
                    return;
                }
            }
            if (bytes + chunk.size() > kMaxSpeechBytes) {
                chunk = chunk.substr(0, kMaxSpeechBytes - bytes);
                tooLong = true;
            }
            bytes += chunk.size();
            // head is still short (a 1-byte first chunk): played with the next one, as carry.
            play(conv.push(chunk));
            if (tooLong) token->cancel();
        };
        auto r = co_await net::fetch(std::move(req), onChunk, token);
        if (st->inflight == token) st->inflight.reset();
        if (st->closed || st->failed) break;
        if (st->epoch != epoch) continue;  // barge-in: this one was cancelled, the queue is new
        if (text200) {
            fail(*st, FailureCause::BadMessage, "the answer from " + url + " is text, not PCM audio: " +
                                                    printable(head, 2));
            break;
        }
        if (!tooLong && !r.success()) {
            std::string why = !r.ok() ? std::string(net::toString(r.errorKind)) + ": " + r.error + " (" + url + ")"
                                      : describeHttpError(r.status, r.body, url);
            fail(*st, httpFailure(r, bytes > 0), "speech request failed: " + why);
            break;
        }
        if (bytes < 2) {
            fail(*st, FailureCause::BadMessage, "the answer from " + url + " has no audio");
            break;
        }
        if (tooLong)
            spdlog::warn(json::serialize(json::object{{"msg", "openai voice: utterance cut"}, {"call", st->ctx.callId},
                                                      {"seconds", kMaxSpeechSeconds}}));
        play(conv.flush());
        if (st->closed || st->failed || st->epoch != epoch) continue;
        if (st->cb.onDone) st->cb.onDone(id);
    }
    st->running = false;
}

class Session final : public TtsSession {
public:
    Session(const json::object& config, const Context& ctx, TtsCallbacks cb) : st_(std::make_shared<State>()) {
        st_->cb = std::move(cb);
        st_->ctx = ctx;
        st_->config = config;
    }
    ~Session() override { close(); }

    void speak(uint64_t id, std::string text) override {
        auto& st = *st_;
        if (st.closed || st.failed) return;
        st.queue.emplace_back(id, utf8Prefix(std::move(text), kMaxInputBytes));
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

class Provider final : public TtsProvider {
public:
    std::unique_ptr<TtsSession> open(const json::object& config, const Context& ctx, TtsCallbacks cb) override {
        return std::make_unique<Session>(config, ctx, std::move(cb));
    }
};

}  // namespace

std::shared_ptr<TtsProvider> makeTtsProvider() { return std::make_shared<Provider>(); }

std::string speechBody(const json::object& config, std::string_view text) {
    std::string model = str(config, "model");
    if (model.empty()) model = "tts-1";
    std::string voice = str(config, "voiceId");
    if (voice.empty()) voice = "alloy";
    json::object body{{"model", model}, {"input", text}, {"voice", voice}, {"response_format", "pcm"}};
    if (auto* v = config.if_contains("speed"); v && v->is_number()) {
        double speed = v->to_number<double>();
        if (speed >= 0.25 && speed <= 4.0) body["speed"] = speed;
    }
    // tts-1 and tts-1-hd refuse instructions (OpenAI: "Does not work with tts-1 or tts-1-hd").
    if (auto i = str(config, "instructions"); !i.empty() && model != "tts-1" && model != "tts-1-hd")
        body["instructions"] = utf8Prefix(std::move(i), 10000);
    return json::serialize(body);
}

bool looksLikeText(std::string_view b) {
    if (b.size() < 2 || (b[0] != '{' && b[0] != '<')) return false;
    unsigned char c = static_cast<unsigned char>(b[1]);
    return (c >= 0x20 && c < 0x7f) || c == '\n' || c == '\r' || c == '\t';
}

}  // namespace voxa::providers::openai
