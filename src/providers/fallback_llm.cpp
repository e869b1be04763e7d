// Vapi's model.fallbackModels: FallbackLlm (the chain as one LlmSession) and the
// ContinuationFilter that keeps a re-asked model from repeating what the caller heard.
// See providers/fallback.h for the behaviour; the speech fallbacks are in fallback.cpp.
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <optional>

#include "common/json_fields.h"
#include "providers/fallback.h"

namespace voxa::providers {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

bool wordChar(char c) {
    auto u = static_cast<unsigned char>(c);
    return std::isalnum(u) || c == '\'' || u >= 0x80;  // UTF-8 letters count as word characters
}

struct Word {
    std::string text;  // lower case
    size_t end = 0;    // offset just past it in the source text
};

std::vector<Word> wordsOf(std::string_view s) {
    std::vector<Word> out;
    size_t i = 0;
    while (i < s.size()) {
        if (!wordChar(s[i])) {
            ++i;
            continue;
        }
        Word w;
        while (i < s.size() && wordChar(s[i]))
            w.text += static_cast<char>(std::tolower(static_cast<unsigned char>(s[i++])));
        w.end = i;
        out.push_back(std::move(w));
    }
    return out;
}

bool isSpace(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }

const char* kContinueInstruction =
    "Your reply above was cut off at that point. Continue it from exactly where it stops: say only "
    "the rest, without repeating anything already said.";

}  // namespace

// ---- ContinuationFilter ---------------------------------------------------------------

ContinuationFilter::ContinuationFilter(std::string said) : said_(std::move(said)) {
    for (auto& w : wordsOf(said_)) saidWords_.push_back(std::move(w.text));
    passing_ = saidWords_.empty();
}

std::string ContinuationFilter::feed(const std::string& delta) {
    if (passing_) return delta;
    held_ += delta;
    return decide(false);
}

std::string ContinuationFilter::finish() {
    if (passing_) return {};
    return decide(true);
}

std::string ContinuationFilter::decide(bool atEnd) {
    auto words = wordsOf(held_);
    bool lastComplete = atEnd || (!held_.empty() && !wordChar(held_.back()));
    if (words.empty() && !atEnd) return {};
    const size_t n = saidWords_.size();
    const size_t m = words.size();
    // Does the new text, from its start, repeat `said` from word i on?
    auto matchAt = [&](size_t i) {
        size_t k = std::min(m, n - i);
        for (size_t j = 0; j < k; ++j) {
            bool partialWord = j == m - 1 && !lastComplete;
            const auto& s = saidWords_[i + j];
            const auto& b = words[j].text;
            if (partialWord ? !s.starts_with(b) : s != b) return false;
        }
        return true;
    };
    // After a finished sentence, one word equal to its last ("...check that. That works")
    // is more likely new than repeated: a repeat of the end must then be two words or more.
    size_t end = said_.find_last_not_of(" \n\t\r");
    bool sentenceEnded = end != std::string::npos && (said_[end] == '.' || said_[end] == '!' || said_[end] == '?');
    std::optional<size_t> overlapEnd;  // the smallest i whose repeat runs to the end of `said`
    bool inside = false;               // the new text so far lies wholly inside `said`
    for (size_t i = 0; i < n && m > 0; ++i) {
        if (!matchAt(i)) continue;
        if (n - i < m) {
            if (i > 0 && n - i == 1 && sentenceEnded) continue;
            if (!overlapEnd) overlapEnd = i;
        } else {
            inside = true;
        }
    }
    if (inside && !atEnd) return {};  // could still turn out a repeat: wait for more words
    passing_ = true;
    std::string out;
    if (overlapEnd) {
        size_t drop = n - *overlapEnd;  // words of the new text already said
        out = held_.substr(words[drop - 1].end);
    } else if (inside) {
        out.clear();  // it ended having only repeated what was said
    } else {
        out = held_;
    }
    held_.clear();
    // Join it to what was said with exactly one space between words.
    bool saidEndsSpace = said_.empty() || isSpace(said_.back());
    if (saidEndsSpace) {
        size_t b = 0;
        while (b < out.size() && isSpace(out[b])) ++b;
        out.erase(0, b);
    } else if (!out.empty() && wordChar(out.front())) {
        out.insert(out.begin(), ' ');
    }
    return out;
}

// ---- The model chain ------------------------------------------------------------------

std::vector<Candidate> llmChain(const json::object& model) {
    std::vector<Candidate> out;
    json::object primary = model;
    primary.erase("fallbackModels");
    std::string provider = json_fields::str(model, "provider", "local");
    out.push_back({provider, primary});
    auto* list = model.if_contains("fallbackModels");
    if (!list || !list->is_array()) return out;
    for (auto& e : list->get_array()) {
        if (out.size() > kMaxFallbacks) break;
        if (!e.is_string() || e.get_string().empty()) continue;
        json::object c = primary;
        c["model"] = e.get_string();
        out.push_back({provider, std::move(c)});
    }
    return out;
}

namespace {

/// Embedded engines report their own failures and answer at once: not timed.
bool timedModel(const std::string& provider) { return provider != "local" && provider != "bench"; }

std::string modelOf(const Candidate& c) { return json_fields::str(c.config, "model"); }

std::string label(const Candidate& c) {
    std::string m = modelOf(c);
    return m.empty() ? c.provider : c.provider + "/" + m;
}

}  // namespace

/// One turn across the chain: the request, what was delivered of the reply, the serving
/// entry's turn and the token watchdog.
struct LlmRun {
    LlmRun(asio::any_io_executor ex, LlmRequest r, LlmCallbacks c)
        : req(std::move(r)), cb(std::move(c)), timer(std::move(ex)) {}
    LlmRequest req;
    LlmCallbacks cb;
    std::string said;      // text delivered to cb.onText
    std::string heldTail;  // the partial last word, held while a next entry exists
    std::vector<ToolCall> toolsDelivered;
    std::optional<ContinuationFilter> filter;
    std::shared_ptr<LlmTurn> inner;
    asio::steady_timer timer;
    size_t entry = 0;      // the chain entry serving this attempt
    uint64_t attempt = 0;  // callbacks of an earlier attempt are ignored
    bool stopped = false;
};

struct FallbackLlm::State : std::enable_shared_from_this<State> {
    State(std::vector<Candidate> c, const Context& x, Options o)
        : chain(std::move(c)), ctx(x), opt(std::move(o)), sessions(chain.size()) {
        for (auto& e : chain) models.push_back(modelOf(e));
    }
    std::vector<Candidate> chain;
    std::vector<std::string> models;  // each entry's `model`
    Context ctx;
    Options opt;
    std::vector<std::unique_ptr<LlmSession>> sessions;  // opened when first needed
    std::vector<std::shared_ptr<LlmRun>> runs;          // turns in flight
    size_t index = 0;
    bool closed = false;

    bool hasNext(size_t entry) const { return entry + 1 < chain.size(); }
    bool live(const LlmRun& r, uint64_t attempt) const { return !closed && !r.stopped && r.attempt == attempt; }

    void serving(const std::string& failed, const ProviderError& why) {
        if (opt.onServing)
            opt.onServing(Serving{index, chain[index].provider, failed, why, modelOf(chain[index])});
    }

    LlmSession* session(size_t i) {
        if (!sessions[i]) {
            try {
                if (opt.open) {
                    sessions[i] = opt.open(chain[i], ctx);
                } else if (auto* p = Registry::instance().llm(chain[i].provider)) {
                    sessions[i] = p->open(chain[i].config, ctx);
                }
            } catch (const std::exception& e) {
                spdlog::warn("call {}: model {} cannot be opened: {}", ctx.callId, label(chain[i]), e.what());
            }
        }
        return sessions[i].get();
    }

    void finish(const std::shared_ptr<LlmRun>& run) {
        run->stopped = true;
        run->timer.cancel();
        std::erase(runs, run);
        // The callbacks may hold the turn handle: drop them once the turn is over, from the loop.
        asio::post(ctx.executor, [run] { run->cb = {}; run->inner.reset(); });
    }

    /// Delivers text of the serving entry: through the continuation filter after a switch
    /// mid-reply, then holding back a partial last word while a switch is still possible.
    void deliver(LlmRun& r, std::string text, bool atEnd) {
        if (r.filter) text = atEnd ? r.filter->feed(text) + r.filter->finish() : r.filter->feed(text);
        std::string out = std::move(r.heldTail) + text;
        r.heldTail.clear();
        if (!atEnd && hasNext(r.entry)) {
            size_t cut = out.size();
            while (cut > 0 && !isSpace(out[cut - 1])) --cut;
            r.heldTail = out.substr(cut);
            out.resize(cut);
        }
        if (out.empty()) return;
        r.said += out;
        if (r.cb.onText) r.cb.onText(out);
    }

    void armTimer(const std::shared_ptr<LlmRun>& run) {
        const auto& c = chain[run->entry];
        if (!hasNext(run->entry) || !timedModel(c.provider)) return;
        auto after = opt.tokenTimeout;
        if (auto t = json_fields::optNum(c.config, "timeoutSeconds"); t && *t > 0)
            after = std::chrono::milliseconds(static_cast<int64_t>(*t * 1000));
        if (after.count() <= 0) return;
        run->timer.expires_after(after);
        std::weak_ptr<State> ws = shared_from_this();
        std::weak_ptr<LlmRun> wr = run;
        uint64_t attempt = run->attempt;
        run->timer.async_wait([ws, wr, attempt, after](boost::system::error_code ec) {
            auto st = ws.lock();
            auto r = wr.lock();
            if (ec || !st || !r || !st->live(*r, attempt)) return;
            st->fail(r, attempt,
                     {FailureCause::Timeout, "no token within " + std::to_string(after.count()) + " ms", true});
        });
    }

    LlmCallbacks callbacks(const std::shared_ptr<LlmRun>& run) {
        std::weak_ptr<State> ws = shared_from_this();
        std::weak_ptr<LlmRun> wr = run;
        uint64_t attempt = run->attempt;
        auto get = [ws, wr, attempt]() -> std::pair<std::shared_ptr<State>, std::shared_ptr<LlmRun>> {
            auto st = ws.lock();
            auto r = wr.lock();
            if (!st || !r || !st->live(*r, attempt)) return {};
            return {st, r};
        };
        LlmCallbacks cb;
        cb.onText = [get](const std::string& delta) {
            auto [st, r] = get();
            if (!st) return;
            st->armTimer(r);
            st->deliver(*r, delta, false);
        };
        cb.onToolCall = [get](const ToolCall& call) {
            auto [st, r] = get();
            if (!st) return;
            st->armTimer(r);
            for (auto& t : r->toolsDelivered)
                if (t.name == call.name && t.arguments == call.arguments) return;  // asked again after a switch
            r->toolsDelivered.push_back(call);
            if (r->cb.onToolCall) r->cb.onToolCall(call);
        };
        cb.onDone = [get](const Usage& usage) {
            auto [st, r] = get();
            if (!st) return;
            st->deliver(*r, {}, true);
            auto done = r->cb.onDone;
            st->finish(r);
            if (done) done(usage);
        };
        cb.onError = [get](const ProviderError& e) {
            auto [st, r] = get();
            if (st) st->postFail(r, e);
        };
        return cb;
    }

    /// Fails the run's attempt later, not from inside the failing session's callback (it may
    /// still be on the stack) nor from inside complete().
    void postFail(const std::shared_ptr<LlmRun>& run, const ProviderError& e) {
        std::weak_ptr<State> ws = shared_from_this();
        std::weak_ptr<LlmRun> wr = run;
        uint64_t attempt = run->attempt;
        asio::post(ctx.executor, [ws, wr, attempt, e] {
            auto st = ws.lock();
            auto r = wr.lock();
            if (st && r && st->live(*r, attempt)) st->fail(r, attempt, e);
        });
    }

    /// Asks the serving entry for `run`.
    void start(const std::shared_ptr<LlmRun>& run) {
        run->entry = index;
        ++run->attempt;
        auto* s = session(index);
        if (!s)
            return postFail(run, {FailureCause::ConnectFailed, label(chain[index]) + " is not available on this server"});
        LlmRequest req = run->req;
        run->filter.reset();
        if (!run->said.empty()) {
            // Mid-reply: the same context, the part the caller heard, and "go on".
            req.messages.push_back(json::object{{"role", "assistant"}, {"content", run->said}});
            req.messages.push_back(json::object{{"role", "system"}, {"content", kContinueInstruction}});
            run->filter.emplace(run->said);
        }
        run->inner = s->complete(std::move(req), callbacks(run));
        armTimer(run);
    }

    void fail(const std::shared_ptr<LlmRun>& run, uint64_t attempt, const ProviderError& e) {
        if (!live(*run, attempt)) return;
        run->timer.cancel();
        if (run->inner) run->inner->cancel();
        run->inner.reset();
        run->heldTail.clear();  // never said: the next entry says the word whole
        const auto& from = chain[run->entry];
        if (index == run->entry) {
            if (!hasNext(index)) return exhaust(run, e);
            ++index;
            spdlog::warn(json::serialize(json::object{
                {"msg", "model fallback"}, {"call", ctx.callId}, {"from", label(from)},
                {"to", label(chain[index])}, {"cause", toString(e.cause)}, {"status", e.status},
                {"midReply", !run->said.empty()}, {"detail", e.message.substr(0, 300)}}));
            serving(from.provider, e);
        }
        start(run);
    }

    void exhaust(const std::shared_ptr<LlmRun>& run, const ProviderError& e) {
        spdlog::warn(json::serialize(json::object{{"msg", "model failed, no fallback left"},
                                                  {"call", ctx.callId},
                                                  {"model", label(chain[index])},
                                                  {"cause", toString(e.cause)},
                                                  {"status", e.status},
                                                  {"detail", e.message.substr(0, 300)}}));
        auto onError = run->cb.onError;
        finish(run);
        ProviderError last = e;
        last.fatal = true;
        if (onError) onError(last);
    }
};

namespace {

class FallbackTurn final : public LlmTurn {
public:
    explicit FallbackTurn(std::function<void()> cancel) : cancel_(std::move(cancel)) {}
    void cancel() override {
        if (cancel_) cancel_();
    }

private:
    std::function<void()> cancel_;
};

}  // namespace

FallbackLlm::FallbackLlm(std::vector<Candidate> chain, const Context& ctx, Options opt) {
    if (chain.empty()) chain.push_back({"local", {}});
    st_ = std::make_shared<State>(std::move(chain), ctx, std::move(opt));
    st_->serving({}, {});
}

FallbackLlm::~FallbackLlm() {
    st_->closed = true;
    for (auto& r : std::vector(st_->runs)) {
        r->stopped = true;
        r->timer.cancel();
        if (r->inner) r->inner->cancel();
    }
    st_->runs.clear();
}

std::shared_ptr<LlmTurn> FallbackLlm::complete(LlmRequest req, LlmCallbacks cb) {
    auto run = std::make_shared<LlmRun>(st_->ctx.executor, std::move(req), std::move(cb));
    st_->runs.push_back(run);
    st_->start(run);
    std::weak_ptr<State> ws = st_;
    std::weak_ptr<LlmRun> wr = run;
    return std::make_shared<FallbackTurn>([ws, wr] {
        auto st = ws.lock();
        auto r = wr.lock();
        if (!st || !r || r->stopped) return;
        if (r->inner) r->inner->cancel();
        st->finish(r);
    });
}

const std::string& FallbackLlm::provider() const { return st_->chain[st_->index].provider; }
size_t FallbackLlm::index() const { return st_->index; }
const std::string& FallbackLlm::model() const { return st_->models[st_->index]; }

}  // namespace voxa::providers
