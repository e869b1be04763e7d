#include "providers/fallback.h"

#include <boost/asio/post.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>

namespace voxa::providers {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

std::string providerOf(const json::object& o) {
    auto* p = o.if_contains("provider");
    return p && p->is_string() && !p->get_string().empty() ? std::string(p->get_string()) : "local";
}

std::vector<Candidate> chainOf(const json::object& cfg, const char* listKey) {
    std::vector<Candidate> out;
    json::object primary = cfg;
    primary.erase("fallbackPlan");
    out.push_back({providerOf(cfg), std::move(primary)});
    auto* plan = cfg.if_contains("fallbackPlan");
    if (!plan || !plan->is_object()) return out;
    auto* list = plan->get_object().if_contains(listKey);
    if (!list || !list->is_array()) return out;
    for (auto& e : list->get_array()) {
        if (out.size() > kMaxFallbacks) break;
        if (!e.is_object()) continue;
        auto* p = e.get_object().if_contains("provider");
        if (!p || !p->is_string() || p->get_string().empty()) continue;
        out.push_back({std::string(p->get_string()), e.get_object()});
    }
    return out;
}

/// Embedded engines report their own failures and are not timed (see fallback.h).
bool timed(const std::string& provider) { return provider != "local" && provider != "bench"; }

void logSwitch(const char* kind, const std::string& callId, const std::string& from, const std::string& to,
               const ProviderError& e) {
    spdlog::warn(json::serialize(json::object{{"msg", std::string(kind) + " fallback"}, {"call", callId},
                                              {"from", from}, {"to", to}, {"cause", toString(e.cause)},
                                              {"detail", e.message.substr(0, 300)}}));
}

void logExhausted(const char* kind, const std::string& callId, const std::string& last, const ProviderError& e) {
    spdlog::warn(json::serialize(json::object{{"msg", std::string(kind) + " failed, no fallback left"},
                                              {"call", callId}, {"provider", last}, {"cause", toString(e.cause)},
                                              {"detail", e.message.substr(0, 300)}}));
}

}  // namespace

std::vector<Candidate> sttChain(const json::object& transcriber) { return chainOf(transcriber, "transcribers"); }
std::vector<Candidate> ttsChain(const json::object& voice) { return chainOf(voice, "voices"); }

std::string unspokenRest(const std::string& text, size_t samples) {
    size_t covered = samples * 15 / audio::kRate;
    if (covered >= text.size()) return {};
    size_t pos = covered;
    // A word cut in the middle is said again whole.
    while (pos > 0 && !std::isspace(static_cast<unsigned char>(text[pos - 1]))) --pos;
    size_t b = text.find_first_not_of(" \t\n", pos);
    return b == std::string::npos ? std::string() : text.substr(b);
}

// ---- The chain, for either kind -------------------------------------------------------

namespace {

/// What both wrappers share: the chain, which entry serves, its generation (callbacks of a
/// retired session are ignored), switching to the next entry and giving up. Derived adds
/// callbacks(), replay() (what the failed entry had not finished) and exhausted().
template <class Derived, class Session, class Callbacks, class Options>
struct ChainState : std::enable_shared_from_this<Derived> {
    ChainState(const char* k, std::vector<Candidate> c, const Context& x, Callbacks b, Options o)
        : kind(k), chain(std::move(c)), ctx(x), cb(std::move(b)), opt(std::move(o)), timer(x.executor) {
        if (chain.empty()) chain.push_back({"local", {}});
    }
    const char* kind;  // "transcriber" or "voice", for the logs
    std::vector<Candidate> chain;
    Context ctx;
    Callbacks cb;
    Options opt;
    asio::steady_timer timer;  // the wrapper's own timeout for the serving entry
    size_t index = 0;
    uint64_t generation = 0;
    std::unique_ptr<Session> session;
    std::vector<std::unique_ptr<Session>> retired;  // closed, destroyed from the loop
    bool closed = false;
    bool failed = false;

    Derived& self() { return static_cast<Derived&>(*this); }
    bool live(uint64_t gen) const { return !closed && !failed && gen == generation; }

    std::unique_ptr<Session> openEntry(const Candidate& c) {
        if (opt.open) return opt.open(c, ctx, self().callbacks());
        auto* p = Derived::registered(c.provider);
        return p ? p->open(c.config, ctx, self().callbacks()) : nullptr;
    }

    /// Switches away later, not from inside the failing session's callback (it may still be
    /// on the stack).
    void postSwitch(uint64_t gen, ProviderError e) {
        std::weak_ptr<Derived> w = this->shared_from_this();
        asio::post(ctx.executor, [w, gen, e] {
            auto s = w.lock();
            if (s && s->live(gen)) s->switchAway(e);
        });
    }

    /// Opens chain[index] (skipping entries this server does not have) and replays.
    void openCurrent(const ProviderError* why, const std::string& failedName) {
        ProviderError last = why ? *why : ProviderError{};
        std::string lastName = failedName;
        while (index < chain.size()) {
            ++generation;
            session = openEntry(chain[index]);
            if (session) break;
            last = {FailureCause::ConnectFailed, chain[index].provider + " is not available on this server", true};
            lastName = chain[index].provider;
            if (index + 1 >= chain.size()) return exhaust(last);
            ++index;
        }
        if (opt.onServing) opt.onServing(Serving{index, chain[index].provider, lastName, last});
        self().replay();
    }

    /// Arms `timer` for `after` (if the serving entry is timed); when it fires for this
    /// generation and still(), the entry has failed with Timeout: `what`.
    template <class Still>
    void armTimeout(std::chrono::milliseconds after, std::string what, Still still) {
        if (!timed(chain[index].provider) || after.count() <= 0) return;
        timer.expires_after(after);
        std::weak_ptr<Derived> w = this->shared_from_this();
        uint64_t gen = generation;
        timer.async_wait([w, gen, what = std::move(what), still](boost::system::error_code ec) {
            auto st = w.lock();
            if (ec || !st || !st->live(gen) || !still(*st)) return;
            st->switchAway({FailureCause::Timeout, what, true});
        });
    }

    void retire() {
        if (!session) return;
        session->close();
        retired.push_back(std::move(session));
        std::weak_ptr<Derived> w = this->shared_from_this();
        asio::post(ctx.executor, [w] {
            if (auto st = w.lock()) st->retired.clear();
        });
    }

    void switchAway(const ProviderError& e) {
        timer.cancel();
        std::string from = chain[index].provider;
        retire();
        if (index + 1 >= chain.size()) return exhaust(e);
        ++index;
        logSwitch(kind, ctx.callId, from, chain[index].provider, e);
        openCurrent(&e, from);
    }

    void exhaust(const ProviderError& e) {
        failed = true;
        ++generation;
        logExhausted(kind, ctx.callId, chain[index].provider, e);
        self().exhausted(ProviderError{e.cause, e.message, true});
    }

    void close() {
        if (closed) return;
        closed = true;
        timer.cancel();
        if (session) session->close();
    }
};

}  // namespace

// ---- FallbackStt ------------------------------------------------------------------------

struct FallbackStt::State : ChainState<State, SttSession, SttCallbacks, Options> {
    using ChainState::ChainState;
    std::deque<int16_t> ring;   // the caller's audio since the last final
    size_t finalizeMark = 0;    // ring samples the pending finalize() covers
    bool awaitingFinal = false;

    static SttProvider* registered(const std::string& p) { return Registry::instance().stt(p); }

    SttCallbacks callbacks() {
        std::weak_ptr<State> w = shared_from_this();
        uint64_t gen = generation;
        SttCallbacks scb;
        scb.onTranscript = [w, gen](const Transcript& t) {
            auto st = w.lock();
            if (!st || !st->live(gen)) return;
            if (t.isFinal) {
                size_t drop = st->awaitingFinal ? std::min(st->finalizeMark, st->ring.size()) : st->ring.size();
                st->ring.erase(st->ring.begin(), st->ring.begin() + static_cast<std::ptrdiff_t>(drop));
                st->finalizeMark = 0;
                st->awaitingFinal = false;
                st->timer.cancel();
            }
            if (st->cb.onTranscript) st->cb.onTranscript(t);
        };
        scb.onError = [w, gen](const ProviderError& e) {
            auto st = w.lock();
            if (!st || !st->live(gen)) return;
            if (!e.fatal) {
                if (st->cb.onError) st->cb.onError(e);
                return;
            }
            st->postSwitch(gen, e);
        };
        return scb;
    }

    /// The caller's audio since the last final, and the finalize() if one was pending.
    void replay() {
        if (!ring.empty()) {
            std::vector<int16_t> again(ring.begin(), ring.end());
            session->sendAudio(again);
        }
        if (awaitingFinal) {
            session->finalize();
            armTimer();
        }
    }

    void armTimer() {
        armTimeout(opt.resultTimeout,
                   "no final transcript within " + std::to_string(opt.resultTimeout.count()) +
                       " ms of the end of speech",
                   [](const State& st) { return st.awaitingFinal; });
    }

    void exhausted(const ProviderError& e) {
        if (cb.onError) cb.onError(e);
    }
};

FallbackStt::FallbackStt(std::vector<Candidate> chain, const Context& ctx, SttCallbacks cb, Options opt)
    : st_(std::make_shared<State>("transcriber", std::move(chain), ctx, std::move(cb), std::move(opt))) {
    st_->openCurrent(nullptr, {});
}

FallbackStt::~FallbackStt() { close(); }

void FallbackStt::sendAudio(std::span<const int16_t> pcm) {
    auto& st = *st_;
    if (st.closed || st.failed) return;
    st.ring.insert(st.ring.end(), pcm.begin(), pcm.end());
    if (st.ring.size() > st.opt.maxReplaySamples) {
        size_t drop = st.ring.size() - st.opt.maxReplaySamples;
        st.ring.erase(st.ring.begin(), st.ring.begin() + static_cast<std::ptrdiff_t>(drop));
        st.finalizeMark = st.finalizeMark > drop ? st.finalizeMark - drop : 0;
    }
    if (st.session) st.session->sendAudio(pcm);
}

void FallbackStt::finalize() {
    auto& st = *st_;
    if (st.closed || st.failed) return;
    st.awaitingFinal = true;
    st.finalizeMark = st.ring.size();
    if (st.session) st.session->finalize();
    st.armTimer();
}

void FallbackStt::sendCallerAudio(std::span<const int16_t> pcm) {
    auto& st = *st_;
    if (!st.closed && !st.failed && st.session) st.session->sendCallerAudio(pcm);
}

void FallbackStt::sendAssistantAudio(std::span<const int16_t> pcm) {
    auto& st = *st_;
    if (!st.closed && !st.failed && st.session) st.session->sendAssistantAudio(pcm);
}

void FallbackStt::close() { st_->close(); }

const std::string& FallbackStt::provider() const { return st_->chain[st_->index].provider; }
size_t FallbackStt::index() const { return st_->index; }

// ---- FallbackTts ------------------------------------------------------------------------

struct FallbackTts::State : ChainState<State, TtsSession, TtsCallbacks, Options> {
    using ChainState::ChainState;
    struct Pending {
        uint64_t id;
        std::string text;   // what the serving voice was asked to say
        size_t samples = 0; // audio it has delivered for it
    };
    std::deque<Pending> pending;  // spoken but not done, in order

    static TtsProvider* registered(const std::string& p) { return Registry::instance().tts(p); }

    Pending* find(uint64_t id) {
        for (auto& p : pending)
            if (p.id == id) return &p;
        return nullptr;
    }
    void erase(uint64_t id) {
        std::erase_if(pending, [id](const Pending& p) { return p.id == id; });
    }

    TtsCallbacks callbacks() {
        std::weak_ptr<State> w = shared_from_this();
        uint64_t gen = generation;
        TtsCallbacks tcb;
        tcb.onAudio = [w, gen](uint64_t id, audio::Samples pcm) {
            auto st = w.lock();
            if (!st || !st->live(gen)) return;
            if (auto* p = st->find(id)) p->samples += pcm.size();
            st->armTimer();
            if (st->cb.onAudio) st->cb.onAudio(id, std::move(pcm));
        };
        tcb.onDone = [w, gen](uint64_t id) {
            auto st = w.lock();
            if (!st || !st->live(gen)) return;
            st->erase(id);
            st->armTimer();
            if (st->cb.onDone) st->cb.onDone(id);
        };
        tcb.onError = [w, gen](uint64_t id, const std::string& e) {
            auto st = w.lock();
            if (!st || !st->live(gen)) return;
            if (st->index + 1 < st->chain.size()) {
                // With a voice left, a failed utterance is that voice failing: the next says it.
                st->postSwitch(gen, {FailureCause::Other, e, true});
                return;
            }
            st->erase(id);
            if (st->cb.onError) st->cb.onError(id, e);
        };
        tcb.onFailure = [w, gen](const ProviderError& e) {
            auto st = w.lock();
            if (st && st->live(gen)) st->postSwitch(gen, e);
        };
        return tcb;
    }

    /// What the failed voice had not finished, in order.
    void replay() {
        std::vector<uint64_t> done;
        for (auto& p : pending) {
            if (p.samples > 0) {
                p.text = unspokenRest(p.text, p.samples);
                p.samples = 0;
            }
            if (p.text.empty()) done.push_back(p.id);
        }
        for (auto id : done) erase(id);
        for (auto id : done)
            if (cb.onDone) cb.onDone(id);
        for (auto& p : pending) session->speak(p.id, p.text);
        armTimer();
    }

    /// (Re)starts the no-audio watchdog while something is pending; stops it otherwise.
    void armTimer() {
        if (pending.empty()) return (void)timer.cancel();
        armTimeout(opt.audioTimeout, "no audio within " + std::to_string(opt.audioTimeout.count()) + " ms",
                   [](const State& st) { return !st.pending.empty(); });
    }

    void exhausted(const ProviderError& e) {
        auto left = std::move(pending);
        pending.clear();
        if (cb.onFailure) return cb.onFailure(e);
        for (auto& p : left)
            if (cb.onError) cb.onError(p.id, e.message);
    }
};

FallbackTts::FallbackTts(std::vector<Candidate> chain, const Context& ctx, TtsCallbacks cb, Options opt)
    : st_(std::make_shared<State>("voice", std::move(chain), ctx, std::move(cb), std::move(opt))) {
    st_->openCurrent(nullptr, {});
}

FallbackTts::~FallbackTts() { close(); }

void FallbackTts::speak(uint64_t id, std::string text) {
    auto& st = *st_;
    if (st.closed) return;
    if (st.failed) {
        if (st.cb.onError) st.cb.onError(id, "no voice left");
        return;
    }
    st.pending.push_back({id, text, 0});
    if (st.pending.size() == 1) st.armTimer();
    if (st.session) st.session->speak(id, std::move(text));
}

void FallbackTts::cancel() {
    auto& st = *st_;
    st.pending.clear();
    st.timer.cancel();
    if (st.session && !st.failed) st.session->cancel();
}

void FallbackTts::close() { st_->close(); }

const std::string& FallbackTts::provider() const { return st_->chain[st_->index].provider; }
size_t FallbackTts::index() const { return st_->index; }

}  // namespace voxa::providers
