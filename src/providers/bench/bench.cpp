#include "providers/bench/bench.h"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>

#include <cctype>
#include <chrono>
#include <cmath>
#include <deque>
#include <numbers>

namespace voxa::providers::bench {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

double number(const json::object& o, const char* key, double dflt) {
    if (auto* v = o.if_contains(key); v && v->is_number()) return v->to_number<double>();
    return dflt;
}

std::string text(const json::object& o, const char* key, const char* dflt) {
    if (auto* v = o.if_contains(key); v && v->is_string()) return std::string(v->as_string());
    return dflt;
}

std::chrono::microseconds ms(double v) {
    return std::chrono::microseconds(static_cast<int64_t>(v * 1000));
}

// Words and the space after each: "Sure, I can." -> "Sure, " "I " "can."
std::vector<std::string> tokens(const std::string& s) {
    std::vector<std::string> out;
    size_t i = 0;
    while (i < s.size()) {
        size_t e = i;
        while (e < s.size() && !std::isspace(static_cast<unsigned char>(s[e]))) ++e;
        while (e < s.size() && std::isspace(static_cast<unsigned char>(s[e]))) ++e;
        out.push_back(s.substr(i, e - i));
        i = e;
    }
    return out;
}

int wordCount(const std::string& s) {
    int n = 0;
    bool in = false;
    for (char c : s) {
        bool w = !std::isspace(static_cast<unsigned char>(c));
        if (w && !in) ++n;
        in = w;
    }
    return n;
}

// ---- STT -------------------------------------------------------------------------------

class BenchStt final : public SttSession, public std::enable_shared_from_this<BenchStt> {
public:
    BenchStt(const json::object& cfg, const Context& ctx, SttCallbacks cb)
        : timer_(ctx.executor), cb_(std::move(cb)),
          text_(text(cfg, "text", "I would like to book an appointment.")),
          delay_(ms(number(cfg, "delayMs", 100))) {}
    void sendAudio(std::span<const int16_t> pcm) override { heard_ = heard_ || !pcm.empty(); }
    void finalize() override {
        pending_.push_back({std::chrono::steady_clock::now() + delay_, heard_ ? text_ : ""});
        heard_ = false;
        if (pending_.size() == 1) arm();
    }
    void close() override {
        closed_ = true;
        pending_.clear();
        timer_.cancel();
    }

private:
    void arm() {
        timer_.expires_at(pending_.front().at);
        timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
            if (ec || self->closed_ || self->pending_.empty()) return;
            Transcript t{.text = std::move(self->pending_.front().text), .isFinal = true,
                         .confidence = 1};
            self->pending_.pop_front();
            if (!self->pending_.empty()) self->arm();
            if (self->cb_.onTranscript) self->cb_.onTranscript(t);
        });
    }
    struct Pending {
        std::chrono::steady_clock::time_point at;
        std::string text;
    };
    asio::steady_timer timer_;
    SttCallbacks cb_;
    std::string text_;
    std::chrono::microseconds delay_;
    std::deque<Pending> pending_;
    bool heard_ = false;
    bool closed_ = false;
};

class SttProviderImpl final : public SttProvider {
public:
    std::unique_ptr<SttSession> open(const json::object& cfg, const Context& ctx,
                                     SttCallbacks cb) override;
};

// ---- LLM -------------------------------------------------------------------------------

class BenchTurn final : public LlmTurn, public std::enable_shared_from_this<BenchTurn> {
public:
    BenchTurn(asio::any_io_executor ex, std::vector<std::string> toks, std::chrono::microseconds first,
              std::chrono::microseconds gap, LlmCallbacks cb)
        : timer_(ex), toks_(std::move(toks)), first_(first), gap_(gap), cb_(std::move(cb)) {}
    void start() {
        next_ = std::chrono::steady_clock::now() + first_;
        arm();
    }
    void cancel() override {
        cancelled_ = true;
        timer_.cancel();
    }

private:
    void arm() {
        timer_.expires_at(next_);
        timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
            if (ec || self->cancelled_) return;
            self->step();
        });
    }
    void step() {
        if (i_ < toks_.size()) {
            auto keep = shared_from_this();  // a callback may drop the turn
            if (cb_.onText) cb_.onText(toks_[i_]);
            ++i_;
            if (cancelled_) return;
            if (i_ < toks_.size()) {
                next_ += gap_;
                return arm();
            }
        }
        if (cb_.onDone) cb_.onDone(Usage{.promptTokens = 0, .completionTokens = static_cast<int64_t>(toks_.size())});
    }
    asio::steady_timer timer_;
    std::vector<std::string> toks_;
    std::chrono::microseconds first_, gap_;
    LlmCallbacks cb_;
    std::chrono::steady_clock::time_point next_;
    size_t i_ = 0;
    bool cancelled_ = false;
};

class BenchLlm final : public LlmSession {
public:
    BenchLlm(const json::object& cfg, const Context& ctx)
        : ex_(ctx.executor),
          toks_(tokens(text(cfg, "reply", "Sure, I can help with that. What day works best for you?"))),
          first_(ms(number(cfg, "firstTokenMs", 200))),
          gap_(ms(number(cfg, "tokenGapMs", 10))) {}
    std::shared_ptr<LlmTurn> complete(LlmRequest, LlmCallbacks cb) override {
        auto t = std::make_shared<BenchTurn>(ex_, toks_, first_, gap_, std::move(cb));
        t->start();
        return t;
    }

private:
    asio::any_io_executor ex_;
    std::vector<std::string> toks_;
    std::chrono::microseconds first_, gap_;
};

// ---- TTS -------------------------------------------------------------------------------

class TtsState final : public std::enable_shared_from_this<TtsState> {
public:
    TtsState(const json::object& cfg, const Context& ctx, TtsCallbacks cb)
        : timer_(ctx.executor), cb_(std::move(cb)),
          firstByte_(ms(number(cfg, "firstByteMs", 100))),
          msPerWord_(number(cfg, "msPerWord", 300)) {}
    void speak(uint64_t id, std::string t) {
        queue_.push_back({id, std::move(t), std::chrono::steady_clock::now()});
        if (queue_.size() == 1) arm();
    }
    void cancel() {
        queue_.clear();
        timer_.cancel();
        ++gen_;
    }

private:
    void arm() {
        // Utterances are synthesized in order: each starts when asked, or when the one
        // before it finished, whichever is later.
        auto& u = queue_.front();
        auto start = std::max(u.askedAt, lastDone_);
        timer_.expires_at(start + firstByte_);
        timer_.async_wait([self = shared_from_this(), gen = gen_](boost::system::error_code ec) {
            if (ec || gen != self->gen_ || self->queue_.empty()) return;
            self->emit();
        });
    }
    void emit() {
        auto keep = shared_from_this();
        Item u = std::move(queue_.front());
        queue_.pop_front();
        uint64_t gen = gen_;
        audio::Samples pcm = tone(wordCount(u.text), msPerWord_);
        const size_t chunk = audio::kRate / 10;
        for (size_t off = 0; off < pcm.size() && gen == gen_; off += chunk) {
            size_t n = std::min(chunk, pcm.size() - off);
            if (cb_.onAudio) cb_.onAudio(u.id, audio::Samples(pcm.begin() + off, pcm.begin() + off + n));
        }
        if (gen != gen_) return;
        if (cb_.onDone) cb_.onDone(u.id);
        lastDone_ = std::chrono::steady_clock::now();
        if (gen == gen_ && !queue_.empty()) arm();
    }
    struct Item {
        uint64_t id;
        std::string text;
        std::chrono::steady_clock::time_point askedAt;
    };
    asio::steady_timer timer_;
    TtsCallbacks cb_;
    std::chrono::microseconds firstByte_;
    double msPerWord_;
    std::deque<Item> queue_;
    std::chrono::steady_clock::time_point lastDone_{};
    uint64_t gen_ = 0;
};

class BenchTts final : public TtsSession {
public:
    explicit BenchTts(std::shared_ptr<TtsState> s) : s_(std::move(s)) {}
    ~BenchTts() override { s_->cancel(); }
    void speak(uint64_t id, std::string t) override { s_->speak(id, std::move(t)); }
    void cancel() override { s_->cancel(); }
    void close() override { s_->cancel(); }

private:
    std::shared_ptr<TtsState> s_;
};

class TtsProviderImpl final : public TtsProvider {
public:
    std::unique_ptr<TtsSession> open(const json::object& cfg, const Context& ctx,
                                     TtsCallbacks cb) override {
        return std::make_unique<BenchTts>(std::make_shared<TtsState>(cfg, ctx, std::move(cb)));
    }
};

class LlmProviderImpl final : public LlmProvider {
public:
    std::unique_ptr<LlmSession> open(const json::object& cfg, const Context& ctx) override {
        return std::make_unique<BenchLlm>(cfg, ctx);
    }
};

// Sessions handed out wrap shared state, so a pending timer handler never outlives it.
class SttHandle final : public SttSession {
public:
    explicit SttHandle(std::shared_ptr<BenchStt> s) : s_(std::move(s)) {}
    ~SttHandle() override { s_->close(); }
    void sendAudio(std::span<const int16_t> pcm) override { s_->sendAudio(pcm); }
    void finalize() override { s_->finalize(); }
    void close() override { s_->close(); }

private:
    std::shared_ptr<BenchStt> s_;
};

std::unique_ptr<SttSession> SttProviderImpl::open(const json::object& cfg, const Context& ctx,
                                                  SttCallbacks cb) {
    return std::make_unique<SttHandle>(std::make_shared<BenchStt>(cfg, ctx, std::move(cb)));
}

}  // namespace

audio::Samples tone(int words, double msPerWord) {
    // Computed once (60 s) and sliced: a load test should not measure sin().
    static const audio::Samples kTone = [] {
        audio::Samples t(static_cast<size_t>(60 * audio::kRate));
        for (size_t i = 0; i < t.size(); ++i)
            t[i] = static_cast<int16_t>(std::lround(
                8000.0 * std::sin(2 * std::numbers::pi * 220.0 * static_cast<double>(i) / audio::kRate)));
        return t;
    }();
    auto n = std::min(kTone.size(), static_cast<size_t>(words * msPerWord * audio::kRate / 1000.0));
    return audio::Samples(kTone.begin(), kTone.begin() + static_cast<std::ptrdiff_t>(n));
}

std::shared_ptr<SttProvider> makeSttProvider() { return std::make_shared<SttProviderImpl>(); }
std::shared_ptr<TtsProvider> makeTtsProvider() {
    tone(0, 1);  // builds the table at start-up, not in the first call's reply
    return std::make_shared<TtsProviderImpl>();
}
std::shared_ptr<LlmProvider> makeLlmProvider() { return std::make_shared<LlmProviderImpl>(); }

}  // namespace voxa::providers::bench
