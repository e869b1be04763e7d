#include "providers/deepgram/deepgram.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstring>
#include <deque>

#include "net/read_time.h"
#include "net/websocket.h"
#include "providers/endpoints.h"
#include "providers/streaming.h"

namespace voxa::providers::deepgram {

namespace asio = boost::asio;
namespace json = boost::json;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

constexpr const char* kDefaultUrl = "https://api.deepgram.com";
/// Deepgram closes a stream that gets neither audio nor KeepAlive for 10 s (NET-0001); it
/// recommends one every 3 to 5 s.
constexpr auto kKeepAliveAfter = 3s;
/// After Finalize: a result must come within this bound while audio is still unanswered.
constexpr auto kFinalizeTimeout = 5s;
/// After CloseStream: how long the final Metadata and close may take.
constexpr auto kCloseGrace = 2s;
/// Audio queued while the connection opens (10 s of 16 kHz s16); older audio is dropped.
constexpr size_t kMaxPendingBytes = 10 * 16000 * 2;
/// Unanswered audio shorter than this after Finalize is not a stall (Deepgram need not
/// answer a Finalize when nearly nothing is buffered).
constexpr double kUnansweredSlackSeconds = 0.5;

/// Everything a session shares with its coroutines; touched on the call's executor only.
struct State : std::enable_shared_from_this<State> {
    explicit State(asio::any_io_executor ex) : keepAlive(ex), finalizeTimer(ex), closeTimer(ex) {}
    SttCallbacks cb;
    Context ctx;
    json::object config;
    std::shared_ptr<net::WsConnection> conn;
    asio::steady_timer keepAlive, finalizeTimer, closeTimer;
    std::deque<std::string> pending;  // audio (and control) before the connection is open
    size_t pendingBytes = 0;
    bool pendingFinalize = false;
    bool closed = false;   // close() was called: no callback fires any more
    bool failed = false;   // onError was delivered
    bool awaitingFinalize = false;
    Clock::time_point lastSent = Clock::now();
    double sentSeconds = 0;     // audio sent so far, in stream time
    double answeredSeconds = 0; // end of the last final result, in stream time
    double confidenceThreshold = 0.4;

    void fail(FailureCause cause, std::string message) {
        if (closed || failed) return;
        failed = true;
        keepAlive.cancel();
        finalizeTimer.cancel();
        if (conn) conn->close(1000, {});
        spdlog::warn(R"({{"msg":"deepgram transcriber failed","call":"{}","cause":"{}","detail":"{}"}})",
                     ctx.callId, toString(cause), printable(message, 300));
        if (cb.onError) cb.onError(ProviderError{cause, std::move(message), true});
    }

    void sendText(const char* json) {
        if (!conn || !conn->isOpen()) return;
        conn->send(json, false);
        lastSent = Clock::now();
    }

    void sendFinalize();
    void onMessage(const ServerMessage& m);
};

asio::awaitable<void> finalizeWatch(std::shared_ptr<State> st) {
    st->finalizeTimer.expires_after(kFinalizeTimeout);
    auto [ec] = co_await st->finalizeTimer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec || st->closed || st->failed || !st->awaitingFinalize) co_return;
    st->awaitingFinalize = false;
    if (st->sentSeconds - st->answeredSeconds > kUnansweredSlackSeconds) {
        st->fail(FailureCause::Timeout,
                 "no result from Deepgram within " + std::to_string(kFinalizeTimeout.count()) +
                     " s of Finalize");
        co_return;
    }
    // Everything sent was already answered: the end of speech has nothing more to say.
    if (st->cb.onTranscript) st->cb.onTranscript(Transcript{"", true, 0});
}

void State::sendFinalize() {
    sendText(R"({"type":"Finalize"})");
    awaitingFinalize = true;
    asio::co_spawn(finalizeTimer.get_executor(), finalizeWatch(shared_from_this()), asio::detached);
}

void State::onMessage(const ServerMessage& m) {
    using K = ServerMessage::Kind;
    switch (m.kind) {
        case K::Invalid:
            fail(FailureCause::BadMessage, "not a Deepgram message: " + m.error);
            return;
        case K::Error:
            fail(FailureCause::Other, "Deepgram error: " + m.error);
            return;
        case K::Results: {
            if (!m.isFinal) {
                if (!m.transcript.empty() && cb.onTranscript)
                    cb.onTranscript(Transcript{m.transcript, false, m.confidence});
                return;
            }
            answeredSeconds = std::max(answeredSeconds, m.start + m.duration);
            std::string text = m.confidence >= confidenceThreshold ? m.transcript : std::string();
            bool answersFinalize = awaitingFinalize && (m.fromFinalize || answeredSeconds + 0.05 >= sentSeconds);
            if (answersFinalize) {
                awaitingFinalize = false;
                finalizeTimer.cancel();
            }
            if ((!text.empty() || answersFinalize) && cb.onTranscript)
                cb.onTranscript(Transcript{text, true, m.confidence});
            return;
        }
        case K::SpeechStarted:
        case K::UtteranceEnd:
        case K::Metadata:
        case K::Unknown: return;  // Voxa's VAD and Finalize decide turns
    }
}

asio::awaitable<void> keepAliveLoop(std::shared_ptr<State> st) {
    while (!st->closed && !st->failed) {
        st->keepAlive.expires_after(1s);
        auto [ec] = co_await st->keepAlive.async_wait(asio::as_tuple(asio::use_awaitable));
        if (ec || st->closed || st->failed) co_return;
        if (Clock::now() - st->lastSent >= kKeepAliveAfter) st->sendText(R"({"type":"KeepAlive"})");
    }
}

asio::awaitable<void> closeAfterGrace(std::shared_ptr<State> st) {
    st->closeTimer.expires_after(kCloseGrace);
    auto [ec] = co_await st->closeTimer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (st->conn) st->conn->close(1000, {});
}

asio::awaitable<void> run(std::shared_ptr<State> st) {
    auto ep = endpoint("deepgram", st->ctx, kDefaultUrl);
    std::string url = websocketUrl(ep.url) + "/v1/listen?" + listenQuery(st->config, audio::kRate);
    std::string key = apiKey(st->ctx, "deepgram");
    if (key.empty()) {
        st->fail(FailureCause::MissingKey, "no Deepgram API key");
        co_return;
    }
    std::vector<net::Header> headers{{"Authorization", "Token " + key}};
    auto r = co_await net::openWebSocket(url, std::move(headers), ep.source);
    if (st->closed) {
        if (r.conn) r.conn->close(1000, {});
        co_return;
    }
    if (!r.ok()) {
        st->fail(connectFailure(r), "cannot open Deepgram's stream at " + websocketUrl(ep.url) + ": " + r.message);
        co_return;
    }
    st->conn = r.conn;
    spdlog::debug(R"({{"msg":"deepgram stream open","call":"{}"}})", st->ctx.callId);
    for (auto& chunk : st->pending) st->conn->send(std::move(chunk), true);
    st->pending.clear();
    st->pendingBytes = 0;
    st->lastSent = Clock::now();
    if (st->pendingFinalize) {
        st->pendingFinalize = false;
        st->sendFinalize();
    }
    asio::co_spawn(st->keepAlive.get_executor(), keepAliveLoop(st), asio::detached);
    while (true) {
        auto msg = co_await st->conn->read();
        if (!msg) break;
        if (st->closed) continue;  // draining until Deepgram closes after CloseStream
        if (msg->binary) {
            st->fail(FailureCause::BadMessage, "binary message from Deepgram");
            break;
        }
        net::ReadScope read(msg->receivedAt);  // a final handed on is timed from here
        st->onMessage(decode(msg->data));
        if (st->failed) break;
    }
    st->keepAlive.cancel();
    st->closeTimer.cancel();
    if (!st->closed) st->fail(FailureCause::Disconnected, "Deepgram closed the stream in the middle of the call");
}

class Session final : public SttSession {
public:
    Session(const json::object& config, const Context& ctx, SttCallbacks cb)
        : st_(std::make_shared<State>(ctx.executor)) {
        st_->cb = std::move(cb);
        st_->ctx = ctx;
        st_->config = config;
        if (auto* t = config.if_contains("confidenceThreshold"); t && t->is_number() && t->to_number<double>() >= 0 &&
                                                          t->to_number<double>() <= 1)
            st_->confidenceThreshold = t->to_number<double>();
        // Opened with the call, not at the first word: the first turn is no slower.
        asio::co_spawn(ctx.executor, run(st_), asio::detached);
    }
    ~Session() override { close(); }

    void sendAudio(std::span<const int16_t> pcm) override {
        auto& st = *st_;
        if (st.closed || st.failed || pcm.empty()) return;
        std::string bytes(reinterpret_cast<const char*>(pcm.data()), pcm.size() * sizeof(int16_t));
        st.sentSeconds += static_cast<double>(pcm.size()) / audio::kRate;
        if (st.conn) {
            st.conn->send(std::move(bytes), true);
            st.lastSent = Clock::now();
            return;
        }
        st.pendingBytes += bytes.size();
        st.pending.push_back(std::move(bytes));
        while (st.pendingBytes > kMaxPendingBytes && !st.pending.empty()) {
            st.pendingBytes -= st.pending.front().size();
            st.pending.pop_front();
        }
    }

    void finalize() override {
        auto& st = *st_;
        if (st.closed || st.failed) return;
        if (st.conn) st.sendFinalize();
        else st.pendingFinalize = true;
    }

    void close() override {
        auto& st = *st_;
        if (st.closed) return;
        // The callbacks stay (a callback may be what is closing the session: it must not be
        // destroyed while it runs); `closed` keeps them from firing again.
        st.closed = true;
        st.keepAlive.cancel();
        st.finalizeTimer.cancel();
        if (st.conn && st.conn->isOpen() && !st.failed) {
            // Deepgram answers with Metadata and closes; the reader drains until then.
            st.sendText(R"({"type":"CloseStream"})");
            asio::co_spawn(st.closeTimer.get_executor(), closeAfterGrace(st_), asio::detached);
        }
    }

private:
    std::shared_ptr<State> st_;
};

class Provider final : public SttProvider {
public:
    std::unique_ptr<SttSession> open(const json::object& config, const Context& ctx,
                                     SttCallbacks cb) override {
        return std::make_unique<Session>(config, ctx, std::move(cb));
    }
};

}  // namespace

std::shared_ptr<SttProvider> makeSttProvider() { return std::make_shared<Provider>(); }

}  // namespace voxa::providers::deepgram
