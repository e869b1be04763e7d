#include "providers/assemblyai/assemblyai.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <deque>

#include "common/json_fields.h"
#include "net/read_time.h"
#include "net/websocket.h"
#include "providers/endpoints.h"
#include "providers/streaming.h"

namespace voxa::providers::assemblyai {

namespace asio = boost::asio;
namespace json = boost::json;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

constexpr const char* kDefaultUrl = "https://streaming.assemblyai.com";
/// AssemblyAI takes binary audio messages of 50 to 1000 ms and closes the session (3007) on
/// others: Voxa's 20 ms frames are gathered into chunks of at least 50 ms.
constexpr size_t kBytesPerMs = audio::kRate * 2 / 1000;
constexpr size_t kMinChunkBytes = 50 * kBytesPerMs;
constexpr size_t kMaxChunkBytes = 1000 * kBytesPerMs;
/// Audio queued while the connection opens or the pacing holds it (10 s); older audio is
/// dropped.
constexpr size_t kMaxQueuedBytes = 10000 * kBytesPerMs;
/// AssemblyAI wants audio no faster than real time (3007 "Audio Transmission Rate
/// Exceeded"): what is sent stays within this much of the time the stream has been open. A
/// live caller never waits on it; a fallback's replay of the utterance so far does.
constexpr double kAheadSeconds = 1.0;
/// After ForceEndpoint, while a turn is open: its final must come within this bound.
constexpr auto kFinalizeTimeout = 5s;
/// After ForceEndpoint with no turn open: how long a partial may still come (the server is
/// behind) before the end of speech is answered with an empty final.
constexpr auto kQuietGrace = 800ms;
/// Audio the server has said nothing about since its last message: up to this much it is
/// only behind (no final at once); beyond kStallSeconds (VAD-marked speech with its 0.3 s
/// lead-in and 0.35 s tail, which AssemblyAI answers with partials within ~300 ms), no
/// message at all within kFinalizeTimeout of ForceEndpoint is a stall. Shorter noise that
/// gets no word is not.
constexpr double kCurrentSeconds = 0.5;
constexpr double kStallSeconds = 2.5;
/// The formatted Turn follows the unformatted end of turn; past this the unformatted one is
/// the final.
constexpr auto kFormatWait = 1s;
/// After Terminate: how long Termination and the close may take.
constexpr auto kCloseGrace = 2s;
/// The largest message read from AssemblyAI (a Turn of a few hundred words is ~50 KiB).
constexpr size_t kMaxMessageBytes = 256 * 1024;

/// Everything a session shares with its coroutines; touched on the call's executor only.
struct State : std::enable_shared_from_this<State> {
    explicit State(asio::any_io_executor ex) : watchTimer(ex), formatTimer(ex), closeTimer(ex), paceTimer(ex) {}
    SttCallbacks cb;
    Context ctx;
    json::object config;
    Options opt;
    std::shared_ptr<net::WsConnection> conn;
    asio::steady_timer watchTimer, formatTimer, closeTimer, paceTimer;
    std::string chunk;  // audio gathered up to kMinChunkBytes
    /// What goes to AssemblyAI, in order: audio chunks and ForceEndpoint, held while the
    /// connection opens and by the pacing.
    struct Out {
        std::string data;
        bool audio;
    };
    std::deque<Out> out;
    size_t queuedAudioBytes = 0;
    bool pacing = false;  // a wake-up of pump() is pending
    Clock::time_point openedAt;
    double sentSeconds = 0;  // audio sent on the socket
    bool closed = false;  // close() was called: no callback fires any more
    bool failed = false;  // onError was delivered
    // Turns, by AssemblyAI's turn_order.
    int64_t lastFinal = -1;  // the last turn whose final was delivered
    int64_t openTurn = -1;   // a turn with words that has not ended (-1: none)
    struct Held {
        int64_t turn;
        std::string text;
        double confidence;
    };
    std::optional<Held> held;  // an unformatted end of turn waiting for its formatted Turn
    // The end of speech (finalize) waiting for its final.
    bool awaitingFinal = false;
    bool endpointQueued = false;  // its ForceEndpoint has not left the queue yet
    uint64_t watchGen = 0;
    Clock::time_point finalizeAt;  // when the ForceEndpoint was sent
    Clock::duration grace{};
    double unansweredSeconds = 0;  // audio sent since AssemblyAI's last message

    bool turnOpen() const { return openTurn > lastFinal || held.has_value(); }

    void fail(FailureCause cause, std::string message) {
        if (closed || failed) return;
        failed = true;
        watchTimer.cancel();
        formatTimer.cancel();
        paceTimer.cancel();
        if (conn) conn->close(1000, {});
        spdlog::warn(R"({{"msg":"assembly-ai transcriber failed","call":"{}","cause":"{}","detail":"{}"}})",
                     ctx.callId, toString(cause), printable(message, 300));
        if (cb.onError) cb.onError(ProviderError{cause, std::move(message), true});
    }

    void sendText(const char* text) {
        if (conn && conn->isOpen()) conn->send(text, false);
    }

    void queue(std::string data, bool audio) {
        if (audio) {
            queuedAudioBytes += data.size();
            // Over the bound: the oldest audio goes (ForceEndpoint stays in its place).
            for (auto it = out.begin(); queuedAudioBytes > kMaxQueuedBytes && it != out.end();) {
                if (!it->audio) {
                    ++it;
                    continue;
                }
                queuedAudioBytes -= it->data.size();
                it = out.erase(it);
            }
        }
        out.push_back({std::move(data), audio});
        pump();
    }

    /// Sends what the pacing allows now; wakes itself up for the rest.
    void pump() {
        if (!conn || pacing || closed || failed) return;
        while (!out.empty()) {
            auto& o = out.front();
            if (o.audio) {
                double seconds = static_cast<double>(o.data.size()) / (audio::kRate * 2);
                double allowed = std::chrono::duration<double>(Clock::now() - openedAt).count() + kAheadSeconds;
                if (sentSeconds + seconds > allowed) {
                    pacing = true;
                    paceTimer.expires_after(std::chrono::duration_cast<Clock::duration>(
                        std::chrono::duration<double>(sentSeconds + seconds - allowed)));
                    paceTimer.async_wait([w = weak_from_this()](boost::system::error_code) {
                        if (auto st = w.lock()) {
                            st->pacing = false;
                            st->pump();
                        }
                    });
                    return;
                }
                sentSeconds += seconds;
                unansweredSeconds += seconds;
                queuedAudioBytes -= o.data.size();
                conn->send(std::move(o.data), true);
            } else {
                conn->send(std::move(o.data), false);
                endpointSent();
            }
            out.pop_front();
        }
    }

    /// Sends what is gathered when it reaches 50 ms (all of it: `flush`, padded with silence
    /// to 50 ms), in chunks of at most 1000 ms.
    void drain(bool flush) {
        while (chunk.size() >= kMinChunkBytes || (flush && !chunk.empty())) {
            if (chunk.size() < kMinChunkBytes) chunk.resize(kMinChunkBytes, '\0');
            size_t n = std::min(chunk.size(), kMaxChunkBytes);
            // A 1000 ms chunk must not leave a tail under 50 ms behind it.
            if (chunk.size() > n && chunk.size() - n < kMinChunkBytes) n -= kMinChunkBytes;
            queue(chunk.substr(0, n), true);
            chunk.erase(0, n);
        }
    }

    void deliver(const Transcript& t) {
        if (cb.onTranscript) cb.onTranscript(t);
    }

    void finalize();
    void endpointSent();
    void deliverFinal(int64_t turn, const std::string& text, double confidence);
    void onMessage(const ServerMessage& m);
};

/// Watches the end of speech until its final arrives (see kFinalizeTimeout, kQuietGrace).
asio::awaitable<void> finalizeWatch(std::shared_ptr<State> st, uint64_t gen) {
    while (true) {
        st->watchTimer.expires_after(100ms);
        co_await st->watchTimer.async_wait(asio::as_tuple(asio::use_awaitable));
        if (st->closed || st->failed || !st->awaitingFinal || gen != st->watchGen) co_return;
        if (st->endpointQueued) continue;  // the audio before it is still going out
        auto waited = Clock::now() - st->finalizeAt;
        bool stalled = st->unansweredSeconds > kStallSeconds;
        if (st->turnOpen() || stalled) {
            if (waited < kFinalizeTimeout) continue;
            st->fail(FailureCause::Timeout,
                     stalled ? fmt::format("AssemblyAI said nothing about the last {:.1f} s of speech within 5 s of "
                                         "ForceEndpoint", st->unansweredSeconds)
                             : "no end of turn from AssemblyAI within 5 s of ForceEndpoint");
            co_return;
        }
        if (waited < st->grace) continue;
        // Nothing was heard since the last final: the end of speech has nothing more to say.
        st->awaitingFinal = false;
        st->deliver(Transcript{"", true, 0});
        co_return;
    }
}

void State::finalize() {
    drain(true);
    awaitingFinal = true;
    endpointQueued = true;
    watchTimer.cancel();
    asio::co_spawn(watchTimer.get_executor(), finalizeWatch(shared_from_this(), ++watchGen), asio::detached);
    queue(R"({"type":"ForceEndpoint"})", false);
}

void State::endpointSent() {
    // The bounds count from here: audio held by the connect or the pacing is not late.
    endpointQueued = false;
    finalizeAt = Clock::now();
    // Caught up with the audio: answer at the first check; else give a late partial a chance.
    grace = unansweredSeconds <= kCurrentSeconds ? Clock::duration::zero() : Clock::duration(kQuietGrace);
}

void State::deliverFinal(int64_t turn, const std::string& text, double confidence) {
    lastFinal = std::max(lastFinal, turn);
    held.reset();
    formatTimer.cancel();
    // Without words (confidence -1) there is nothing to weigh: the text stands.
    bool confident = confidence < 0 || confidence >= opt.confidenceThreshold;
    std::string kept = confident ? text : std::string();
    bool answers = awaitingFinal && !turnOpen();
    if (answers) {
        awaitingFinal = false;
        watchTimer.cancel();
    }
    if (!kept.empty() || answers) deliver(Transcript{kept, true, confidence < 0 ? 1.0 : confidence});
}

asio::awaitable<void> formatWait(std::shared_ptr<State> st, int64_t turn) {
    st->formatTimer.expires_after(kFormatWait);
    auto [ec] = co_await st->formatTimer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec || st->closed || st->failed || !st->held || st->held->turn != turn) co_return;
    auto h = *st->held;
    st->deliverFinal(h.turn, h.text, h.confidence);
}

void State::onMessage(const ServerMessage& m) {
    using K = ServerMessage::Kind;
    unansweredSeconds = 0;
    switch (m.kind) {
        case K::Invalid:
            fail(FailureCause::BadMessage, "not an AssemblyAI message: " + m.error);
            return;
        case K::Error:
            fail(m.errorCode ? closeCause(static_cast<uint16_t>(m.errorCode), m.error) : FailureCause::Other,
                 "AssemblyAI error " + std::to_string(m.errorCode) + ": " + m.error);
            return;
        case K::Begin:
            spdlog::debug(R"({{"msg":"assembly-ai session began","call":"{}","session":"{}"}})", ctx.callId,
                          printable(m.id, 64));
            return;
        case K::Termination:
        case K::Other: return;  // Voxa's VAD and ForceEndpoint decide turns
        case K::Turn: break;
    }
    if (m.turnOrder <= lastFinal) return;  // its final went out (e.g. a late formatted one)
    std::string text = m.endOfTurn ? m.transcript : m.words;
    if (text.empty()) text = m.transcript;
    if (!m.endOfTurn) {
        if (text.empty()) return;
        openTurn = std::max(openTurn, m.turnOrder);
        if (opt.partials) deliver(Transcript{text, false, m.confidence < 0 ? 0 : m.confidence});
        return;
    }
    if (opt.awaitFormatted && !m.formatted) {
        // The formatted Turn follows; the unformatted words already help a barge-in.
        held = Held{m.turnOrder, text, m.confidence};
        if (opt.partials && !text.empty()) deliver(Transcript{text, false, m.confidence < 0 ? 0 : m.confidence});
        formatTimer.cancel();
        asio::co_spawn(formatTimer.get_executor(), formatWait(shared_from_this(), m.turnOrder), asio::detached);
        return;
    }
    deliverFinal(m.turnOrder, text, m.confidence);
}

asio::awaitable<void> closeAfterGrace(std::shared_ptr<State> st) {
    st->closeTimer.expires_after(kCloseGrace);
    co_await st->closeTimer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (st->conn) st->conn->close(1000, {});
}

asio::awaitable<void> run(std::shared_ptr<State> st) {
    std::string base;
    net::UrlSource source = net::UrlSource::Operator;
    std::string realtimeUrl = json_fields::str(st->config, "realtimeUrl");
    auto regional = realtimeUrl.empty() ? std::nullopt : realtimeBase(realtimeUrl);
    if (regional) {
        base = *regional;
        source = net::UrlSource::OrgConfig;
    } else {
        if (!realtimeUrl.empty())
            spdlog::warn(R"({{"msg":"assembly-ai realtimeUrl ignored: not a wss:// URL on assemblyai.com","call":"{}"}})",
                         st->ctx.callId);
        auto ep = endpoint("assembly-ai", st->ctx, kDefaultUrl);
        base = websocketUrl(ep.url) + kPath;
        source = ep.source;
    }
    std::string key = apiKey(st->ctx, "assembly-ai");
    if (key.empty()) {
        st->fail(FailureCause::MissingKey, "no AssemblyAI API key");
        co_return;
    }
    std::string url = base + "?" + streamQuery(st->config, audio::kRate);
    std::vector<net::Header> headers{{"Authorization", key}};  // the raw key, no scheme
    auto r = co_await net::openWebSocket(url, std::move(headers), source);
    if (st->closed) {
        if (r.conn) r.conn->close(1000, {});
        co_return;
    }
    if (!r.ok()) {
        st->fail(connectFailure(r), "cannot open AssemblyAI's stream at " + base + ": " + r.message);
        co_return;
    }
    st->conn = r.conn;
    st->conn->setReadLimit(kMaxMessageBytes);
    st->openedAt = Clock::now();
    spdlog::debug(R"({{"msg":"assembly-ai stream open","call":"{}"}})", st->ctx.callId);
    st->pump();  // what was said while it opened (paced)
    while (true) {
        auto msg = co_await st->conn->read();
        if (!msg) break;
        if (st->closed) continue;  // draining until AssemblyAI closes after Terminate
        if (msg->binary) {
            st->fail(FailureCause::BadMessage, "binary message from AssemblyAI");
            break;
        }
        net::ReadScope read(msg->receivedAt);  // a turn handed on is timed from here
        st->onMessage(decode(msg->data));
        if (st->failed) break;
    }
    st->closeTimer.cancel();
    st->paceTimer.cancel();
    if (st->closed || st->failed) co_return;
    auto how = st->conn->closed();
    if (how.code == 0 || how.code == 1000) {
        std::string why = how.code ? " (1000" + (how.reason.empty() ? "" : " " + printable(how.reason)) + ")" : "";
        st->fail(FailureCause::Disconnected, "AssemblyAI closed the stream in the middle of the call" + why);
    } else {
        st->fail(how.code == 1009 ? FailureCause::BadMessage : closeCause(how.code, how.reason),
                 "AssemblyAI closed the stream: " + std::to_string(how.code) + " " + printable(how.reason));
    }
}

class Session final : public SttSession {
public:
    Session(const json::object& config, const Context& ctx, SttCallbacks cb)
        : st_(std::make_shared<State>(ctx.executor)) {
        st_->cb = std::move(cb);
        st_->ctx = ctx;
        st_->config = config;
        st_->opt = optionsOf(config);
        // Opened with the call, not at the first word: the first turn is no slower.
        asio::co_spawn(ctx.executor, run(st_), asio::detached);
    }
    ~Session() override { close(); }

    void sendAudio(std::span<const int16_t> pcm) override {
        auto& st = *st_;
        if (st.closed || st.failed || pcm.empty()) return;
        st.chunk.append(reinterpret_cast<const char*>(pcm.data()), pcm.size() * sizeof(int16_t));
        st.drain(false);
    }

    void finalize() override {
        auto& st = *st_;
        if (st.closed || st.failed) return;
        st.finalize();
    }

    void close() override {
        auto& st = *st_;
        if (st.closed) return;
        // The callbacks stay (a callback may be what is closing the session: it must not be
        // destroyed while it runs); `closed` keeps them from firing again.
        st.closed = true;
        st.watchTimer.cancel();
        st.formatTimer.cancel();
        st.paceTimer.cancel();
        st.out.clear();  // the call is over: what was not sent yet has no listener
        if (st.conn && st.conn->isOpen() && !st.failed) {
            // AssemblyAI answers with Termination and closes; the reader drains until then.
            st.sendText(R"({"type":"Terminate"})");
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

}  // namespace voxa::providers::assemblyai
