#include "providers/custom_transcriber/custom_transcriber.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>

#include "common/json_fields.h"
#include "net/read_time.h"
#include "net/websocket.h"
#include "providers/endpoints.h"
#include "providers/streaming.h"

namespace voxa::providers::custom_transcriber {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

using json_fields::str;

/// Stereo audio held while the connection opens (2 s); older audio is dropped.
constexpr size_t kMaxPendingBytes = 2 * audio::kRate * 4;
constexpr std::chrono::seconds kConnectTimeout{10};

std::string trimmed(std::string_view s) {
    size_t b = 0, e = s.size();
    while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
    while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
    return std::string(s.substr(b, std::min(e - b, kMaxTranscriptBytes)));
}

struct State : std::enable_shared_from_this<State> {
    explicit State(asio::any_io_executor ex) : answerTimer(ex) {}
    SttCallbacks cb;
    Context ctx;
    json::object server;  // transcriber.server
    std::shared_ptr<net::WsConnection> conn;
    asio::steady_timer answerTimer;
    StereoMixer mixer;
    std::string pending;  // stereo bytes before the connection is open
    bool closed = false;  // close() was called: no callback fires any more
    bool failed = false;  // onError was delivered
    bool awaitingAnswer = false;

    void fail(FailureCause cause, std::string message) {
        if (closed || failed) return;
        failed = true;
        answerTimer.cancel();
        pending.clear();
        if (conn) conn->close(1000, {});
        spdlog::warn(json::serialize(json::object{{"msg", "custom-transcriber failed"}, {"call", ctx.callId},
                                                  {"cause", toString(cause)}, {"detail", printable(message, 300)}}));
        if (cb.onError) cb.onError(ProviderError{cause, std::move(message), true});
    }

    void flushAudio() {
        std::string bytes;
        mixer.take(bytes);
        if (bytes.empty() || failed || closed) return;
        if (conn) {
            conn->send(std::move(bytes), true);
            return;
        }
        pending += bytes;
        if (pending.size() > kMaxPendingBytes) pending.erase(0, pending.size() - kMaxPendingBytes);
    }

    void answer(std::string text) {
        if (awaitingAnswer) {
            awaitingAnswer = false;
            answerTimer.cancel();
        }
        if (cb.onTranscript) cb.onTranscript(Transcript{std::move(text), true, 1.0});
    }

    void onMessage(const ServerMessage& m) {
        using K = ServerMessage::Kind;
        switch (m.kind) {
            case K::Invalid: return fail(FailureCause::BadMessage, "not a transcriber-response: " + m.error);
            case K::Customer: return answer(m.text);
            case K::Assistant: return;  // Voxa knows what it said
            case K::Ignore:
                spdlog::info(json::serialize(json::object{{"msg", "custom-transcriber message skipped"},
                                                          {"call", ctx.callId}, {"detail", m.error}}));
                return;
        }
    }
};

ServerRequest buildRequest(const State& st) {
    if (st.ctx.serverRequest) return st.ctx.serverRequest(st.server, "transcriber-request", json::object{});
    // Outside a call (tests): the URL, the secret and the static headers.
    ServerRequest r;
    r.url = str(st.server, "url");
    if (auto s = str(st.server, "secret"); !s.empty()) r.headers.push_back({"X-Vapi-Secret", s});
    if (auto* h = st.server.if_contains("headers"); h && h->is_object())
        for (auto& kv : h->get_object())
            if (kv.value().is_string()) r.headers.push_back({std::string(kv.key()), std::string(kv.value().get_string())});
    return r;
}

asio::awaitable<void> answerWatch(std::shared_ptr<State> st) {
    st->answerTimer.expires_after(kAnswerWait);
    auto [ec] = co_await st->answerTimer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec || st->closed || st->failed || !st->awaitingAnswer) co_return;
    st->awaitingAnswer = false;
    // The server said nothing for this utterance: nothing was heard (a later answer still counts).
    if (st->cb.onTranscript) st->cb.onTranscript(Transcript{"", true, 0});
}

asio::awaitable<void> run(std::shared_ptr<State> st) {
    ServerRequest sr = buildRequest(*st);
    if (sr.url.empty()) {
        st->fail(FailureCause::BadRequest, "transcriber.server.url is not set");
        co_return;
    }
    std::vector<net::Header> headers;
    for (auto& h : sr.headers) {
        std::string name = h.name;
        std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
        if (name != "content-type") headers.push_back(std::move(h));  // an upgrade has no body
    }
    std::string url = websocketUrl(sr.url);
    // The customer's server: held to the egress policy like a webhook.
    auto r = co_await net::openWebSocket(url, std::move(headers), net::UrlSource::OrgConfig, kConnectTimeout);
    if (st->closed) {
        if (r.conn) r.conn->close(1000, {});
        co_return;
    }
    if (!r.ok()) {
        st->fail(connectFailure(r), "cannot open the custom transcriber's socket: " + r.message);
        co_return;
    }
    st->conn = r.conn;
    st->conn->send(startMessage(audio::kRate), false);
    if (!st->pending.empty()) st->conn->send(std::move(st->pending), true);
    st->pending.clear();
    while (true) {
        auto msg = co_await st->conn->read();
        if (!msg) break;
        if (st->closed || st->failed) break;
        if (msg->binary) {
            st->fail(FailureCause::BadMessage, "a binary message from the custom transcriber");
            break;
        }
        if (msg->data.size() > kMaxMessageBytes) {
            st->fail(FailureCause::BadMessage, "a message of " + std::to_string(msg->data.size()) + " bytes");
            break;
        }
        net::ReadScope read(msg->receivedAt);  // a transcription handed on is timed from here
        st->onMessage(decode(msg->data));
    }
    if (!st->closed) st->fail(FailureCause::Disconnected, "the custom transcriber closed the socket in the middle of the call");
}

class Session final : public SttSession {
public:
    Session(const json::object& config, const Context& ctx, SttCallbacks cb) : st_(std::make_shared<State>(ctx.executor)) {
        st_->cb = std::move(cb);
        st_->ctx = ctx;
        if (auto* s = config.if_contains("server"); s && s->is_object()) st_->server = s->get_object();
        // Vapi's guide also shows the secret beside `server`: the same header.
        if (auto secret = str(config, "secret"); !secret.empty() && !st_->server.contains("secret"))
            st_->server["secret"] = secret;
        // Opened with the call: the server hears it from the start.
        asio::co_spawn(ctx.executor, run(st_), asio::detached);
    }
    ~Session() override { close(); }

    // The caller's speech segments are in sendCallerAudio() already: the server hears the
    // whole call.
    void sendAudio(std::span<const int16_t>) override {}

    void sendCallerAudio(std::span<const int16_t> pcm) override {
        if (st_->closed || st_->failed) return;
        st_->mixer.caller(pcm);
        st_->flushAudio();
    }

    void sendAssistantAudio(std::span<const int16_t> pcm) override {
        if (st_->closed || st_->failed) return;
        st_->mixer.assistant(pcm);
        st_->flushAudio();
    }

    void finalize() override {
        auto& st = *st_;
        if (st.closed || st.failed || st.awaitingAnswer) return;
        st.awaitingAnswer = true;
        asio::co_spawn(st.ctx.executor, answerWatch(st_), asio::detached);
    }

    void close() override {
        auto& st = *st_;
        if (st.closed) return;
        // The callbacks stay (one of them may be what is closing the session); `closed`
        // keeps them from firing again.
        st.closed = true;
        st.answerTimer.cancel();
        st.pending.clear();
        if (st.conn && st.conn->isOpen()) st.conn->close(1000, {});
    }

private:
    std::shared_ptr<State> st_;
};

class Provider final : public SttProvider {
public:
    std::unique_ptr<SttSession> open(const json::object& config, const Context& ctx, SttCallbacks cb) override {
        return std::make_unique<Session>(config, ctx, std::move(cb));
    }
};

void put(std::string& out, int16_t v) {
    auto u = static_cast<uint16_t>(v);
    out.push_back(static_cast<char>(u & 0xff));
    out.push_back(static_cast<char>(u >> 8));
}

}  // namespace

std::shared_ptr<SttProvider> makeSttProvider() { return std::make_shared<Provider>(); }

std::string startMessage(int sampleRate) {
    return json::serialize(json::object{{"type", "start"}, {"encoding", "linear16"}, {"container", "raw"},
                                        {"sampleRate", sampleRate}, {"channels", 2}});
}

ServerMessage decode(std::string_view text) {
    ServerMessage m;
    boost::system::error_code ec;
    auto v = json::parse(text, ec);
    if (ec || !v.is_object()) {
        m.error = printable(text);
        return m;
    }
    auto& o = v.get_object();
    auto* type = o.if_contains("type");
    if (!type || !type->is_string()) {
        m.error = "no type: " + printable(text);
        return m;
    }
    if (type->get_string() != "transcriber-response") {
        m.kind = ServerMessage::Kind::Ignore;
        m.error = printable(text, 300);
        return m;
    }
    auto* t = o.if_contains("transcription");
    if (!t || !t->is_string()) {
        m.error = "a transcriber-response without a transcription";
        return m;
    }
    m.text = trimmed(t->get_string());
    std::string channel = str(o, "channel");
    if (channel.empty() || channel == "customer") {
        m.kind = ServerMessage::Kind::Customer;
    } else if (channel == "assistant") {
        m.kind = ServerMessage::Kind::Assistant;
    } else {
        m.kind = ServerMessage::Kind::Ignore;
        m.error = "a transcription for channel \"" + printable(channel, 40) + "\"";
    }
    return m;
}

void StereoMixer::take(std::string& out) {
    size_t both = std::min(caller_.size(), assistant_.size());
    size_t callerOnly = caller_.size() - both > kSlack ? caller_.size() - both - kSlack : 0;
    size_t assistantOnly = assistant_.size() - both > kSlack ? assistant_.size() - both - kSlack : 0;
    size_t frames = both + callerOnly + assistantOnly;
    if (frames == 0) return;
    out.reserve(out.size() + frames * 4);
    for (size_t i = 0; i < both + callerOnly; ++i) {
        put(out, caller_[i]);
        put(out, i < both ? assistant_[i] : int16_t{0});
    }
    for (size_t i = 0; i < assistantOnly; ++i) {
        put(out, 0);
        put(out, assistant_[both + i]);
    }
    caller_.erase(caller_.begin(), caller_.begin() + static_cast<std::ptrdiff_t>(both + callerOnly));
    assistant_.erase(assistant_.begin(), assistant_.begin() + static_cast<std::ptrdiff_t>(both + assistantOnly));
}

}  // namespace voxa::providers::custom_transcriber
