#include "providers/socket_tts.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <deque>

#include "net/read_time.h"
#include "net/websocket.h"
#include "providers/endpoints.h"
#include "providers/streaming.h"

namespace voxa::providers {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

/// A cancelled context the provider does not confirm is forgotten after this long.
constexpr auto kCancelledGrace = 3s;
constexpr auto kWatchEvery = 250ms;
/// Longest text sent as one utterance (the sentence stage cuts far shorter ones).
constexpr size_t kMaxUtteranceChars = 5000;

struct Utterance {
    uint64_t id = 0;
    std::string text;
    std::string contextId;
    bool sent = false;
    bool cancelled = false;
    bool gotAudio = false;
    bool retried = false;  // sent again after the socket went before any audio
    uint64_t clearNo = 0;  // ordered protocols: the cancel (Clear) that stops it, 1-based
    Clock::time_point last{};
    std::string carry;  // an odd byte of s16 audio, until its other half arrives
};

bool blank(const std::string& s) {
    return std::all_of(s.begin(), s.end(), [](unsigned char c) { return c <= ' '; });
}

struct State : std::enable_shared_from_this<State> {
    explicit State(asio::any_io_executor ex) : watchdog(ex) {}
    std::shared_ptr<const TtsProtocol> proto;
    Context ctx;
    TtsCallbacks cb;
    std::shared_ptr<net::WsConnection> conn;
    asio::steady_timer watchdog;
    std::deque<Utterance> waiting;  // not yet sent
    std::deque<Utterance> active;   // with the provider (cancelled ones until confirmed)
    std::deque<Clock::time_point> sentAt;  // utterances sent on this socket (utterancesPerMinute)
    uint64_t clearsSent = 0;       // ordered protocols: cancels sent on this socket
    uint64_t clearsConfirmed = 0;  // and confirmed (TtsEvent::Kind::Cleared)
    bool connecting = false;
    bool watching = false;
    bool closed = false;  // close() was called: no callback fires any more
    bool failed = false;  // onFailure was delivered

    bool dead() const { return closed || failed; }

    void fail(FailureCause cause, std::string message) {
        if (dead()) return;
        failed = true;
        waiting.clear();
        active.clear();
        watchdog.cancel();
        if (conn) conn->close(1000, {});
        spdlog::warn(R"({{"msg":"voice failed","provider":"{}","call":"{}","cause":"{}","detail":"{}"}})",
                     proto->provider(), ctx.callId, toString(cause), printable(message, 300));
        if (cb.onFailure) cb.onFailure(ProviderError{cause, std::move(message), true});
        else if (cb.onError) cb.onError(0, message);
    }

    void startConnect();
    void startWatchdog();
    void pump();
    bool budgetSpent();
    void rotate();
    Utterance* oldestSent();
    void touchHead();
    void onEvent(TtsEvent ev);
    void lostConnection();
    void cancelAll();
};

Utterance* find(std::deque<Utterance>& list, const std::string& contextId) {
    for (auto& u : list)
        if (u.contextId == contextId) return &u;
    return nullptr;
}

void erase(std::deque<Utterance>& list, const std::string& contextId) {
    list.erase(std::remove_if(list.begin(), list.end(), [&](const Utterance& u) { return u.contextId == contextId; }),
               list.end());
}

asio::awaitable<void> connectAndRead(std::shared_ptr<State> st) {
    const auto& proto = *st->proto;
    auto ep = endpoint(proto.provider(), st->ctx, proto.defaultUrl());
    std::string key = apiKey(st->ctx, proto.provider());
    if (key.empty()) {
        st->connecting = false;
        st->fail(FailureCause::MissingKey, std::string("no ") + proto.label() + " API key");
        co_return;
    }
    std::string base = websocketUrl(ep.url);
    auto r = co_await net::openWebSocket(proto.url(base), proto.headers(key), ep.source);
    st->connecting = false;
    if (st->dead()) {
        if (r.conn) r.conn->close(1000, {});
        co_return;
    }
    if (!r.ok()) {
        st->fail(connectFailure(r), std::string("cannot open ") + proto.label() + "'s socket at " + base + ": " + r.message);
        co_return;
    }
    auto conn = r.conn;
    st->conn = conn;
    st->sentAt.clear();
    st->clearsSent = st->clearsConfirmed = 0;
    spdlog::debug(R"({{"msg":"voice socket open","provider":"{}","call":"{}"}})", proto.provider(), st->ctx.callId);
    st->pump();
    while (!st->dead()) {
        auto msg = co_await conn->read();
        if (!msg || st->dead()) break;
        net::ReadScope read(msg->receivedAt);  // audio handed on is timed from here
        st->onEvent(msg->binary ? proto.decodeBinary(msg->data) : proto.decode(msg->data));
    }
    if (st->conn != conn) co_return;  // let go by a barge-in: another socket serves now
    st->conn = nullptr;
    if (!st->dead()) st->lostConnection();
}

asio::awaitable<void> watch(std::shared_ptr<State> st) {
    while (!st->dead() && (!st->active.empty() || !st->waiting.empty())) {
        st->watchdog.expires_after(kWatchEvery);
        auto [ec] = co_await st->watchdog.async_wait(asio::as_tuple(asio::use_awaitable));
        if (ec || st->dead()) break;
        auto now = Clock::now();
        bool head = true;  // ordered protocols: only the utterance being spoken is timed
        for (auto it = st->active.begin(); it != st->active.end();) {
            if (it->cancelled && now - it->last > kCancelledGrace) {
                it = st->active.erase(it);
                continue;
            }
            bool timed = !it->cancelled && it->sent && (head || !st->proto->ordered());
            if (!it->cancelled && it->sent) head = false;
            if (timed && now - it->last > kStall) {
                st->fail(FailureCause::Timeout,
                         std::string("no audio from ") + st->proto->label() + " within " +
                             std::to_string(kStall.count()) + " ms (" + (it->gotAudio ? "stalled mid-utterance" : "after the text") + ")");
                break;
            }
            ++it;
        }
        if (!st->dead()) st->pump();  // a forgotten cancelled context frees a place
    }
    st->watching = false;
}

void State::startConnect() {
    if (connecting || dead()) return;
    connecting = true;
    asio::co_spawn(ctx.executor, connectAndRead(shared_from_this()), asio::detached);
}

void State::startWatchdog() {
    if (watching || dead()) return;
    watching = true;
    asio::co_spawn(ctx.executor, watch(shared_from_this()), asio::detached);
}

void State::pump() {
    if (dead()) return;
    if (!conn || !conn->isOpen()) {
        if (!waiting.empty() || !active.empty()) startConnect();
        return;
    }
    auto send = [&](Utterance& u) {
        for (auto& m : proto->speak(u.contextId, u.text)) conn->send(std::move(m), false);
        u.sent = true;
        u.last = Clock::now();
        sentAt.push_back(u.last);
    };
    for (auto& u : active)
        if (!u.sent && !u.cancelled) send(u);  // text lost with a socket the provider closed
    while (!waiting.empty() && active.size() < kMaxContexts) {
        if (budgetSpent()) {
            if (active.empty()) rotate();  // else once what is in flight is done
            break;
        }
        active.push_back(std::move(waiting.front()));
        waiting.pop_front();
        send(active.back());
    }
    if (!active.empty()) startWatchdog();
}

bool State::budgetSpent() {
    size_t limit = proto->utterancesPerMinute();
    if (limit == 0) return false;
    auto now = Clock::now();
    while (!sentAt.empty() && now - sentAt.front() >= std::chrono::minutes(1)) sentAt.pop_front();
    return sentAt.size() >= limit;
}

void State::rotate() {
    spdlog::info(R"({{"msg":"voice socket at its utterance limit: a new one for the next","provider":"{}","call":"{}","limit":{}}})",
                 proto->provider(), ctx.callId, proto->utterancesPerMinute());
    if (auto bye = proto->goodbye(); !bye.empty()) conn->send(std::move(bye), false);
    conn->close(1000, {});
    conn = nullptr;
    sentAt.clear();
    startConnect();
}

Utterance* State::oldestSent() {
    for (auto& u : active)
        if (u.sent) return &u;
    return nullptr;
}

void State::touchHead() {
    // The utterance the provider turns to now: its stall bound starts here, not when its
    // text was sent behind the others.
    for (auto& u : active)
        if (u.sent && !u.cancelled) {
            u.last = Clock::now();
            return;
        }
}

void State::onEvent(TtsEvent ev) {
    using K = TtsEvent::Kind;
    if (ev.kind == K::Invalid) {
        fail(FailureCause::BadMessage, std::string("not a ") + proto->label() + " message: " + ev.message);
        return;
    }
    if (ev.kind == K::Cleared) {
        ++clearsConfirmed;
        std::erase_if(active, [&](const Utterance& x) { return x.cancelled && x.clearNo && x.clearNo <= clearsConfirmed; });
        touchHead();
        pump();
        return;
    }
    if (ev.kind == K::Ignore && !ev.message.empty())
        spdlog::warn(R"({{"msg":"voice provider warning","provider":"{}","call":"{}","detail":"{}"}})",
                     proto->provider(), ctx.callId, printable(ev.message, 300));
    Utterance* u = nullptr;
    if (!ev.contextId.empty()) u = find(active, ev.contextId);
    else if (proto->ordered() && (ev.kind == K::Audio || ev.kind == K::Done)) u = oldestSent();
    if (ev.kind == K::Error) {
        if (u && u->cancelled) {  // e.g. a cancel that arrived after the context ended
            erase(active, ev.contextId);
            pump();
            return;
        }
        if (!u && !ev.contextId.empty()) return;  // a context Voxa has already let go
        fail(ev.cause, std::string(proto->label()) + " error: " + ev.message);
        return;
    }
    if (!u) return;  // audio of a cancelled and forgotten context, or no context at all
    u->last = Clock::now();
    if (ev.kind == K::Ignore) return;
    if (ev.kind == K::Audio) {
        if (u->cancelled) return;
        u->gotAudio = true;
        std::string bytes = std::move(u->carry) + ev.pcm;
        u->carry.clear();
        if (bytes.size() % 2) {
            u->carry = bytes.substr(bytes.size() - 1);
            bytes.pop_back();
        }
        if (!bytes.empty()) {
            audio::Samples pcm(bytes.size() / 2);
            std::memcpy(pcm.data(), bytes.data(), bytes.size());
            std::string contextId = u->contextId;
            if (cb.onAudio) cb.onAudio(u->id, std::move(pcm));
            if (dead()) return;
            u = find(active, contextId);  // the callback may have cancelled it
        }
        if (!ev.last || !u) return;
    }
    // Done.
    uint64_t id = u->id;
    bool cancelled = u->cancelled;
    erase(active, std::string(u->contextId));
    if (proto->ordered()) touchHead();
    if (!cancelled && cb.onDone) cb.onDone(id);
    if (dead()) return;
    pump();
}

void State::lostConnection() {
    std::erase_if(active, [](const Utterance& u) { return u.cancelled; });
    for (auto& u : active) {
        if (u.gotAudio || u.retried) {
            fail(FailureCause::Disconnected,
                 std::string(proto->label()) + " closed the socket in the middle of an utterance");
            return;
        }
        u.retried = true;
        u.sent = false;
    }
    if (active.empty() && waiting.empty()) {
        // Idle sockets are closed by the provider after its timeout: reopened when needed.
        spdlog::info(R"({{"msg":"voice socket closed while idle; reopened at the next utterance","provider":"{}","call":"{}"}})",
                     proto->provider(), ctx.callId);
        return;
    }
    startConnect();
}

void State::cancelAll() {
    waiting.clear();
    bool open = conn && conn->isOpen();
    bool unfinished = std::any_of(active.begin(), active.end(), [](const Utterance& u) { return !u.cancelled && u.sent; });
    if (open && unfinished && proto->cancel("").empty()) {
        // No way to stop one utterance: the socket goes, and a new one is ready for the next.
        if (auto bye = proto->goodbye(); !bye.empty()) conn->send(std::move(bye), false);
        conn->close(1000, {});
        conn = nullptr;
        active.clear();
        startConnect();
        return;
    }
    bool clear = false;  // ordered protocols: one cancel stops them all
    for (auto& u : active) {
        if (u.cancelled) continue;
        u.cancelled = true;
        u.last = Clock::now();
        if (!open || !u.sent) continue;
        if (proto->ordered()) {
            clear = true;
            u.clearNo = clearsSent + 1;
        } else {
            conn->send(proto->cancel(u.contextId), false);
        }
    }
    if (clear) {
        ++clearsSent;
        conn->send(proto->cancel(""), false);
    }
    // Not sent yet (the socket is reopening): nothing to stop at the provider.
    std::erase_if(active, [](const Utterance& u) { return u.cancelled && !u.sent; });
}

class Session final : public TtsSession {
public:
    Session(std::shared_ptr<const TtsProtocol> proto, const Context& ctx, TtsCallbacks cb)
        : st_(std::make_shared<State>(ctx.executor)) {
        st_->proto = std::move(proto);
        st_->ctx = ctx;
        st_->cb = std::move(cb);
        // Opened with the call, not at the first word: the first reply is no slower.
        st_->startConnect();
    }
    ~Session() override { close(); }

    void speak(uint64_t id, std::string text) override {
        auto& st = *st_;
        if (st.dead()) return;
        if (blank(text)) {
            // Nothing to synthesize: done, after this call returns (callbacks never re-enter).
            asio::post(st.ctx.executor, [w = std::weak_ptr<State>(st_), id] {
                auto s = w.lock();
                if (s && !s->dead() && s->cb.onDone) s->cb.onDone(id);
            });
            return;
        }
        if (text.size() > kMaxUtteranceChars) text.resize(kMaxUtteranceChars);
        Utterance u;
        u.id = id;
        u.text = std::move(text);
        u.contextId = "voxa-" + std::to_string(id);
        st.waiting.push_back(std::move(u));
        st.pump();
    }

    void cancel() override {
        if (!st_->dead()) st_->cancelAll();
    }

    void close() override {
        auto& st = *st_;
        if (st.closed) return;
        // The callbacks stay (one of them may be what is closing the session); `closed`
        // keeps them from firing again.
        st.closed = true;
        st.waiting.clear();
        st.active.clear();
        st.watchdog.cancel();
        if (st.conn && st.conn->isOpen()) {
            if (auto bye = st.proto->goodbye(); !bye.empty()) st.conn->send(std::move(bye), false);
            st.conn->close(1000, {});
        }
    }

private:
    std::shared_ptr<State> st_;
};

}  // namespace

std::unique_ptr<TtsSession> openSocketTts(std::shared_ptr<const TtsProtocol> protocol, const Context& ctx,
                                          TtsCallbacks cb) {
    return std::make_unique<Session>(std::move(protocol), ctx, std::move(cb));
}

}  // namespace voxa::providers
