#include "providers/custom_voice/custom_voice.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <deque>

#include "net/http_client.h"
#include "providers/streaming.h"

namespace voxa::providers::custom_voice {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

/// Text of one utterance sent at most (the sentence stage cuts far shorter).
constexpr size_t kMaxTextBytes = 4000;

struct State {
    TtsCallbacks cb;
    Context ctx;
    json::object server;  // voice.server
    std::deque<std::pair<uint64_t, std::string>> queue;
    std::shared_ptr<net::CancelToken> inflight;
    uint64_t epoch = 0;   // bumped by cancel(): audio of an older epoch is dropped
    bool running = false;
    bool closed = false;
    bool failed = false;
};

ServerRequest buildRequest(const State& st, const std::string& text) {
    auto fields = requestFields(text, audio::kRate);
    if (st.ctx.serverRequest) return st.ctx.serverRequest(st.server, "voice-request", std::move(fields));
    // Outside a call (tests): the bare message and the static headers.
    ServerRequest r;
    if (auto* u = st.server.if_contains("url"); u && u->is_string()) r.url = u->get_string();
    json::object m{{"type", "voice-request"}};
    for (auto& kv : fields) m[kv.key()] = kv.value();
    r.body = json::serialize(json::object{{"message", std::move(m)}});
    r.headers.push_back({"Content-Type", "application/json"});
    if (auto* h = st.server.if_contains("headers"); h && h->is_object())
        for (auto& kv : h->get_object())
            if (kv.value().is_string()) r.headers.push_back({std::string(kv.key()), std::string(kv.value().get_string())});
    if (auto* t = st.server.if_contains("timeoutSeconds"); t && t->is_number())
        r.timeoutSeconds = t->to_number<double>();
    return r;
}

void fail(State& st, FailureCause cause, std::string message) {
    if (st.closed || st.failed) return;
    st.failed = true;
    st.queue.clear();
    spdlog::warn(json::serialize(json::object{{"msg", "custom-voice failed"}, {"call", st.ctx.callId},
                                              {"cause", toString(cause)}, {"detail", printable(message, 300)}}));
    if (st.cb.onFailure) st.cb.onFailure(ProviderError{cause, std::move(message), true});
}

asio::awaitable<void> run(std::shared_ptr<State> st) {
    while (!st->closed && !st->failed && !st->queue.empty()) {
        uint64_t id = st->queue.front().first;
        std::string text = std::move(st->queue.front().second);
        st->queue.pop_front();
        uint64_t epoch = st->epoch;
        ServerRequest sr = buildRequest(*st, text);
        if (sr.url.empty()) {
            fail(*st, FailureCause::BadRequest, "voice.server.url is not set");
            break;
        }
        net::HttpClientRequest req{.method = "POST", .url = sr.url};
        req.headers = std::move(sr.headers);
        req.body = std::move(sr.body);
        auto timeout = std::chrono::milliseconds(static_cast<int64_t>(std::clamp(sr.timeoutSeconds, 1.0, 300.0) * 1000));
        req.readTimeout = timeout;
        req.connectTimeout = std::min(timeout, std::chrono::milliseconds(10'000));
        req.source = net::UrlSource::OrgConfig;  // the customer's server: held to the egress policy
        st->inflight = std::make_shared<net::CancelToken>();
        size_t bytes = 0;
        std::string carry;  // an odd byte between chunks
        auto onChunk = [st, id, epoch, &bytes, &carry](std::string_view chunk) {
            if (st->closed || st->failed || st->epoch != epoch) return;
            bytes += chunk.size();
            carry.append(chunk);
            size_t n = carry.size() / 2;
            if (n == 0) return;
            audio::Samples pcm(n);
            std::memcpy(pcm.data(), carry.data(), n * 2);  // little-endian s16, as the host
            carry.erase(0, n * 2);
            if (st->cb.onAudio) st->cb.onAudio(id, std::move(pcm));
        };
        auto r = co_await net::fetch(std::move(req), onChunk, st->inflight);
        st->inflight.reset();
        if (st->closed || st->failed) break;
        if (st->epoch != epoch) continue;  // barge-in: this one was cancelled, the queue is new
        if (!r.ok() || r.status < 200 || r.status >= 300) {
            std::string why = !r.ok() ? std::string(net::toString(r.errorKind)) + ": " + r.error
                                      : "HTTP " + std::to_string(r.status) + ": " + printable(r.body, 200);
            fail(*st, httpFailure(r, bytes > 0), "voice-request to the custom voice server failed: " + why);
            break;
        }
        if (bytes < 2 && text.find_first_not_of(" \t\n") != std::string::npos) {
            fail(*st, FailureCause::BadMessage, "the custom voice server answered without audio");
            break;
        }
        if (st->cb.onDone) st->cb.onDone(id);
    }
    st->running = false;
}

class Session final : public TtsSession {
public:
    Session(const json::object& config, const Context& ctx, TtsCallbacks cb) : st_(std::make_shared<State>()) {
        st_->cb = std::move(cb);
        st_->ctx = ctx;
        if (auto* s = config.if_contains("server"); s && s->is_object()) st_->server = s->get_object();
    }
    ~Session() override { close(); }

    void speak(uint64_t id, std::string text) override {
        auto& st = *st_;
        if (st.closed || st.failed) return;
        if (text.size() > kMaxTextBytes) text.resize(kMaxTextBytes);
        st.queue.emplace_back(id, std::move(text));
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

json::object requestFields(const std::string& text, int sampleRate) {
    return json::object{{"text", text}, {"sampleRate", sampleRate}};
}

}  // namespace voxa::providers::custom_voice
