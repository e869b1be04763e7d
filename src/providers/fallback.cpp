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

// ---- FallbackStt ------------------------------------------------------------------------

struct FallbackStt::State : std::enable_shared_from_this<State> {
    State(std::vector<Candidate> c, const Context& x, SttCallbacks b, Options o)
        : chain(std::move(c)), ctx(x), cb(std::move(b)), opt(std::move(o)), timer(x.executor) {}
    std::vector<Candidate> chain;
    Context ctx;
    SttCallbacks cb;
    Options opt;
    asio::steady_timer timer;
    size_t index = 0;
    uint64_t generation = 0;
    std::unique_ptr<SttSession> session;
    std::vector<std::unique_ptr<SttSession>> retired;  // closed, destroyed from the loop
    std::deque<int16_t> ring;   // the caller's audio since the last final
    size_t finalizeMark = 0;    // ring samples the pending finalize() covers
    bool awaitingFinal = false;
    bool closed = false;
    bool failed = false;

    std::unique_ptr<SttSession> openEntry(const Candidate& c, SttCallbacks scb) {
        if (opt.open) return opt.open(c, ctx, std::move(scb));
        auto* p = Registry::instance().stt(c.provider);
        return p ? p->open(c.config, ctx, std::move(scb)) : nullptr;
    }

    SttCallbacks callbacks() {
        std::weak_ptr<State> w = shared_from_this();
        uint64_t gen = generation;
        SttCallbacks scb;
        scb.onTranscript = [w, gen](const Transcript& t) {
            auto st = w.lock();
            if (!st || st->closed || st->failed || gen != st->generation) return;
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
            if (!st || st->closed || st->failed || gen != st->generation) return;
            if (!e.fatal) {
                if (st->cb.onError) st->cb.onError(e);
                return;
            }
            // Not from inside the failing session's callback: it may still be on the stack.
            asio::post(st->ctx.executor, [w, gen, e] {
                auto s = w.lock();
                if (s && !s->closed && !s->failed && gen == s->generation) s->switchAway(e);
            });
        };
        return scb;
    }

    /// Opens chain[index] (skipping entries this server does not have) and replays.
    void openCurrent(const ProviderError* why, const std::string& failedName) {
        ProviderError last = why ? *why : ProviderError{};
        std::string lastName = failedName;
        while (index < chain.size()) {
            ++generation;
            session = openEntry(chain[index], callbacks());
            if (session) break;
            last = {FailureCause::ConnectFailed, chain[index].provider + " is not available on this server", true};
            lastName = chain[index].provider;
            if (index + 1 >= chain.size()) return exhaust(last);
            ++index;
        }
        if (opt.onServing) opt.onServing(Serving{index, chain[index].provider, lastName, last});
        if (!ring.empty()) {
            std::vector<int16_t> replay(ring.begin(), ring.end());
            session->sendAudio(replay);
        }
        if (awaitingFinal) {
            session->finalize();
            armTimer();
        }
    }

    void armTimer() {
        if (!timed(chain[index].provider) || opt.resultTimeout.count() <= 0) return;
        timer.expires_after(opt.resultTimeout);
        std::weak_ptr<State> w = shared_from_this();
        uint64_t gen = generation;
        timer.async_wait([w, gen](boost::system::error_code ec) {
            auto st = w.lock();
            if (ec || !st || st->closed || st->failed || gen != st->generation || !st->awaitingFinal) return;
            st->switchAway({FailureCause::Timeout,
                            "no final transcript within " + std::to_string(st->opt.resultTimeout.count()) +
                                " ms of the end of speech",
                            true});
        });
    }

    void retire() {
        if (!session) return;
        session->close();
        retired.push_back(std::move(session));
        std::weak_ptr<State> w = shared_from_this();
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
        logSwitch("transcriber", ctx.callId, from, chain[index].provider, e);
        openCurrent(&e, from);
    }

    void exhaust(const ProviderError& e) {
        failed = true;
        ++generation;
        logExhausted("transcriber", ctx.callId, chain[index].provider, e);
        if (cb.onError) cb.onError(ProviderError{e.cause, e.message, true});
    }
};

FallbackStt::FallbackStt(std::vector<Candidate> chain, const Context& ctx, SttCallbacks cb, Options opt)
    : st_(std::make_shared<State>(std::move(chain), ctx, std::move(cb), std::move(opt))) {
    if (st_->chain.empty()) st_->chain.push_back({"local", {}});
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

void FallbackStt::close() {
    auto& st = *st_;
    if (st.closed) return;
    st.closed = true;
    st.timer.cancel();
    if (st.session) st.session->close();
}

const std::string& FallbackStt::provider() const { return st_->chain[st_->index].provider; }
size_t FallbackStt::index() const { return st_->index; }

// ---- FallbackTts ------------------------------------------------------------------------

struct FallbackTts::State : std::enable_shared_from_this<State> {
    State(std::vector<Candidate> c, const Context& x, TtsCallbacks b, Options o)
        : chain(std::move(c)), ctx(x), cb(std::move(b)), opt(std::move(o)), timer(x.executor) {}
    struct Pending {
        uint64_t id;
        std::string text;   // what the serving voice was asked to say
        size_t samples = 0; // audio it has delivered for it
    };
    std::vector<Candidate> chain;
    Context ctx;
    TtsCallbacks cb;
    Options opt;
    asio::steady_timer timer;
    size_t index = 0;
    uint64_t generation = 0;
    std::unique_ptr<TtsSession> session;
    std::vector<std::unique_ptr<TtsSession>> retired;
    std::deque<Pending> pending;  // spoken but not done, in order
    bool closed = false;
    bool failed = false;

    Pending* find(uint64_t id) {
        for (auto& p : pending)
            if (p.id == id) return &p;
        return nullptr;
    }
    void erase(uint64_t id) {
        std::erase_if(pending, [id](const Pending& p) { return p.id == id; });
    }
    bool live(uint64_t gen) const { return !closed && !failed && gen == generation; }

    std::unique_ptr<TtsSession> openEntry(const Candidate& c, TtsCallbacks tcb) {
        if (opt.open) return opt.open(c, ctx, std::move(tcb));
        auto* p = Registry::instance().tts(c.provider);
        return p ? p->open(c.config, ctx, std::move(tcb)) : nullptr;
    }

    void postSwitch(uint64_t gen, ProviderError e) {
        std::weak_ptr<State> w = shared_from_this();
        asio::post(ctx.executor, [w, gen, e] {
            auto s = w.lock();
            if (s && s->live(gen)) s->switchAway(e);
        });
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

    void openCurrent(const ProviderError* why, const std::string& failedName) {
        ProviderError last = why ? *why : ProviderError{};
        std::string lastName = failedName;
        while (index < chain.size()) {
            ++generation;
            session = openEntry(chain[index], callbacks());
            if (session) break;
            last = {FailureCause::ConnectFailed, chain[index].provider + " is not available on this server", true};
            lastName = chain[index].provider;
            if (index + 1 >= chain.size()) return exhaust(last);
            ++index;
        }
        if (opt.onServing) opt.onServing(Serving{index, chain[index].provider, lastName, last});
        // Replay: what the failed voice had not finished, in order.
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
        if (pending.empty() || !timed(chain[index].provider) || opt.audioTimeout.count() <= 0) {
            timer.cancel();
            return;
        }
        timer.expires_after(opt.audioTimeout);
        std::weak_ptr<State> w = shared_from_this();
        uint64_t gen = generation;
        timer.async_wait([w, gen](boost::system::error_code ec) {
            auto st = w.lock();
            if (ec || !st || !st->live(gen) || st->pending.empty()) return;
            st->switchAway({FailureCause::Timeout,
                            "no audio within " + std::to_string(st->opt.audioTimeout.count()) + " ms", true});
        });
    }

    void retire() {
        if (!session) return;
        session->close();
        retired.push_back(std::move(session));
        std::weak_ptr<State> w = shared_from_this();
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
        logSwitch("voice", ctx.callId, from, chain[index].provider, e);
        openCurrent(&e, from);
    }

    void exhaust(const ProviderError& e) {
        failed = true;
        ++generation;
        logExhausted("voice", ctx.callId, chain[index].provider, e);
        auto left = std::move(pending);
        pending.clear();
        if (cb.onFailure) return cb.onFailure(ProviderError{e.cause, e.message, true});
        for (auto& p : left)
            if (cb.onError) cb.onError(p.id, e.message);
    }
};

FallbackTts::FallbackTts(std::vector<Candidate> chain, const Context& ctx, TtsCallbacks cb, Options opt)
    : st_(std::make_shared<State>(std::move(chain), ctx, std::move(cb), std::move(opt))) {
    if (st_->chain.empty()) st_->chain.push_back({"local", {}});
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

void FallbackTts::close() {
    auto& st = *st_;
    if (st.closed) return;
    st.closed = true;
    st.timer.cancel();
    if (st.session) st.session->close();
}

const std::string& FallbackTts::provider() const { return st_->chain[st_->index].provider; }
size_t FallbackTts::index() const { return st_->index; }

}  // namespace voxa::providers
