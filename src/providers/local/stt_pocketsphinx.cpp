#include "providers/local/stt_pocketsphinx.h"

#include <pocketsphinx.h>
#include <sphinxbase/cmn.h>
#include <sphinxbase/err.h>
#include <sphinxbase/feat.h>
#include <sphinxbase/logmath.h>

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

#include "common/metrics.h"
#include "providers/local/narrowband.h"
#include "providers/local/vocabulary.h"

namespace voxa::providers::local {

namespace asio = boost::asio;
namespace json = boost::json;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kModelDir = "/usr/share/pocketsphinx/model/en-us";
constexpr auto kPartialInterval = std::chrono::milliseconds(100);
// A call's audio waiting for the recognizer: beyond this the compute pool is so far behind
// that the oldest audio is dropped (callers feed at most real time, call/session.cpp).
constexpr size_t kMaxQueuedSamples = 10 * 16000;

// pocketsphinx logs every step to stderr; keep only errors, routed to spdlog.
void sphinxLog(void*, err_lvl_t lvl, const char* fmt, ...) {
    if (lvl < ERR_ERROR) return;
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    std::vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    std::string msg(buf);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == '\r')) msg.pop_back();
    // All-zero input (a muted line) makes the search complain; that is not our error.
    if (msg.find("Couldn't find <s>") != std::string::npos) {
        spdlog::debug("pocketsphinx: {}", msg);
        return;
    }
    spdlog::error("pocketsphinx: {}", msg);
}

struct Profile {
    bool fast = false;
    std::vector<Bias> bias;  // the assistant's words (vocabulary.h); decoders are pooled per set
    std::string biasName;    // biasKey(bias)
    std::string key() const {
        std::string k = fast ? "en-us/fast" : "en-us";
        return biasName.empty() ? k : k + "/" + biasName;
    }
};

/// What a session does with its audio beyond the pool's profile.
struct Listening {
    NarrowbandFill fill = NarrowbandFill::None;  // phone lines: see narrowband.h
};

/// A decoder plus what the pool must know to hand it to the next session cleanly.
struct Decoder {
    ps_decoder_t* ps = nullptr;
    bool inUtt = false;
    std::vector<mfcc_t> cmnInit;  // live cepstral mean right after ps_init

    // Live CMN adapts to the channel of whoever spoke last; each lease starts from the
    // model's initial mean so one caller's line never biases the next (and results are
    // reproducible).
    void resetCmn() { setCmn(cmnInit); }
    void saveCmn() { getCmn(cmnInit); }

    /// The live cepstral mean, read or set (a session keeps its caller's between leases).
    void getCmn(std::vector<mfcc_t>& out) const {
        feat_t* f = ps_get_feat(ps);
        if (!f || !f->cmn_struct) return;
        out.resize(size_t(f->cmn_struct->veclen));
        cmn_live_get(f->cmn_struct, out.data());
    }
    void setCmn(const std::vector<mfcc_t>& mean) const {
        feat_t* f = ps_get_feat(ps);
        if (f && f->cmn_struct && size_t(f->cmn_struct->veclen) == mean.size())
            cmn_live_set(f->cmn_struct, mean.data());
    }
};

// Process-wide pool of warm decoders, one idle list per profile. Idle decoders beyond
// kMaxIdle are freed on release; more than kMaxLive at once is refused (memory bound).
class DecoderPool {
public:
    static DecoderPool& instance() {
        // Leaked on purpose: leases may be returned from pool threads during exit.
        static auto* pool = new DecoderPool();
        return *pool;
    }

    struct Releaser {
        std::string key;
        void operator()(Decoder* d) const { instance().release(key, d); }
    };
    using Lease = std::unique_ptr<Decoder, Releaser>;

    /// Blocking (decoder init); call on the compute pool. Null + `err` on failure.
    Lease acquire(const Profile& p, std::string& err, bool& busy) {
        busy = false;
        auto key = p.key();
        {
            std::lock_guard lk(mu_);
            auto& idle = idle_[key];
            if (!idle.empty()) {
                Decoder* d = idle.back();
                idle.pop_back();
                d->resetCmn();
                ++leased_;
                return Lease(d, Releaser{key});
            }
            if (live_ >= maxLive() && evictIdleLocked(key)) {
                // an idle decoder of another vocabulary made room (freed below, unlocked)
            } else if (live_ >= maxLive()) {
                busy = true;
                err = "local STT: too many concurrent speakers (" + std::to_string(live_) + ")";
                return Lease(nullptr, Releaser{key});
            }
            ++live_;  // reserve the slot while loading outside the lock
        }
        freeEvicted();
        auto t0 = Clock::now();
        ps_decoder_t* ps = create(p);
        double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
        std::lock_guard lk(mu_);
        if (!ps) {
            --live_;
            err = std::string("local STT: cannot load the pocketsphinx model from ") + kModelDir;
            return Lease(nullptr, Releaser{key});
        }
        ++created_;
        ++leased_;
        lastInitMs_ = ms;
        auto* d = new Decoder{ps, false, {}};
        d->saveCmn();
        return Lease(d, Releaser{key});
    }

    DecoderPoolStats stats() {
        std::lock_guard lk(mu_);
        int idle = 0;
        for (auto& [k, v] : idle_) idle += int(v.size());
        return {created_, live_, idle, leased_, lastInitMs_};
    }

private:
    // Leases last one utterance, so the warm decoders are shared by every call. All of
    // them stay warm: reloading one while a caller speaks would delay that turn.
    static int cores() { return int(std::max(1u, std::thread::hardware_concurrency())); }
    static int maxLive() { return std::max(8, 4 * (cores() + 1)); }
    static int maxIdle() { return maxLive(); }

    static ps_decoder_t* create(const Profile& p) {
        static std::once_flag once;
        std::call_once(once, [] {
            err_set_logfp(nullptr);
            err_set_callback(sphinxLog, nullptr);
        });
        std::string dir = kModelDir;
        std::string hmm = dir + "/en-us", lm = dir + "/en-us.lm.bin";
        std::string dict = dir + "/cmudict-en-us.dict";
        std::vector<const char*> argv = {"-hmm", hmm.c_str(), "-lm", lm.c_str(),
                                         "-dict", dict.c_str(), "-samprate", "16000"};
        if (p.fast) {
            for (auto* a : {"-fwdflat", "no", "-bestpath", "no"}) argv.push_back(a);
        }
        cmd_ln_t* cfg = cmd_ln_parse_r(nullptr, ps_args(), int(argv.size()),
                                       const_cast<char**>(argv.data()), TRUE);
        if (!cfg) return nullptr;
        ps_decoder_t* ps = ps_init(cfg);
        cmd_ln_free_r(cfg);  // the decoder holds its own reference
        std::string err;
        std::vector<std::string> missing;
        if (ps && !p.bias.empty()) {
            if (!favour(ps, p.bias, kBiasWeight, missing, err))
                spdlog::warn(R"({{"msg":"local STT: the assistant's words not favoured: {}"}})", err);
            if (!missing.empty()) {
                std::string list;
                for (auto& w : missing) list += (list.empty() ? "" : ", ") + w;
                spdlog::info(R"({{"msg":"local STT: words not in the pronunciation dictionary, not favoured","words":"{}"}})", list);
            }
        }
        return ps;
    }

    /// At the live limit, an idle decoder of another vocabulary goes (a call with new words
    /// must not be refused because other assistants' decoders sit idle). Under mu_.
    bool evictIdleLocked(const std::string& key) {
        for (auto& [k, idle] : idle_) {
            if (k == key || idle.empty()) continue;
            evicted_.push_back(idle.back());
            idle.pop_back();
            --live_;
            return true;
        }
        return false;
    }
    void freeEvicted() {
        std::vector<Decoder*> gone;
        {
            std::lock_guard lk(mu_);
            gone.swap(evicted_);
        }
        for (auto* d : gone) {
            ps_free(d->ps);
            delete d;
        }
    }

    void release(const std::string& key, Decoder* d) {
        if (d->inUtt) {
            ps_end_utt(d->ps);  // the next session must start from a clean utterance
            d->inUtt = false;
        }
        std::unique_lock lk(mu_);
        --leased_;
        auto& idle = idle_[key];
        if (int(idle.size()) < maxIdle()) {
            idle.push_back(d);
            return;
        }
        --live_;
        lk.unlock();
        ps_free(d->ps);
        delete d;
    }

    std::mutex mu_;
    std::map<std::string, std::vector<Decoder*>> idle_;
    std::vector<Decoder*> evicted_;  // taken out of idle_ under mu_, freed outside it
    int live_ = 0;
    int created_ = 0;
    int leased_ = 0;
    double lastInitMs_ = 0;
};

/// What the executor side owns: callbacks and the alive flag (touched on the executor only).
struct Outbox {
    asio::any_io_executor executor;
    SttCallbacks cb;
    bool alive = true;

    static void transcript(const std::shared_ptr<Outbox>& ob, Transcript t) {
        asio::post(ob->executor, [ob, t = std::move(t)] {
            if (ob->alive && ob->cb.onTranscript) ob->cb.onTranscript(t);
        });
    }
    static void error(const std::shared_ptr<Outbox>& ob, std::string e) {
        asio::post(ob->executor, [ob, e = std::move(e)] {
            if (ob->alive && ob->cb.onError) {
                // Not fatal: the call goes on (a busy decoder pool recovers).
                ob->cb.onError(ProviderError{FailureCause::Other, e, false});
            }
        });
    }
};

/// Compute-side state; every member below `queue` is touched only on the strand.
class Core : public std::enable_shared_from_this<Core> {
public:
    Core(asio::thread_pool& pool, std::shared_ptr<Outbox> ob, Profile p, Listening l)
        : strand_(asio::make_strand(pool.get_executor())), ob_(std::move(ob)), profile_(p), listening_(l) {}

    void start() {
        // Warm: a decoder is checked out now (loading the model if the pool has none idle)
        // and kept until the first utterance's final. After that decoders are leased per
        // utterance, so a call that is listening holds none (each one is ~90 MB).
        asio::post(strand_, [self = shared_from_this()] { self->ensureDecoder(true); });
    }

    void push(std::span<const int16_t> pcm, bool finalize) {
        if (closed_) return;
        bool schedule = false;
        {
            std::lock_guard lk(mu_);
            if (!finalize && !queue_.empty() && !queue_.back().finalize) {
                auto& last = queue_.back().pcm;  // coalesce consecutive frames
                last.insert(last.end(), pcm.begin(), pcm.end());
            } else {
                queue_.push_back({audio::Samples(pcm.begin(), pcm.end()), finalize});
            }
            queuedSamples_ += pcm.size();
            if (queuedSamples_ > kMaxQueuedSamples) dropOldestLocked(queuedSamples_ - kMaxQueuedSamples);
            if (!draining_) draining_ = schedule = true;
        }
        if (schedule) asio::post(strand_, [self = shared_from_this()] { self->drain(); });
    }

    void close() {
        closed_ = true;
        {
            std::lock_guard lk(mu_);
            queue_.clear();
            queuedSamples_ = 0;
        }
        // Give the decoder back from the strand, so an in-flight decode finishes first and
        // the executor never waits on ps_end_utt.
        asio::post(strand_, [self = shared_from_this()] {
            self->frontEnd_.reset();
            self->decoder_.reset();
        });
    }

private:
    struct Item {
        audio::Samples pcm;
        bool finalize = false;
    };

    /// Drops `excess` samples of the oldest queued audio (end-of-utterance marks stay), once
    /// per episode logged; counted in voxa_stt_audio_dropped_seconds_total.
    void dropOldestLocked(size_t excess) {
        static auto& dropped = metrics::counter(
            "voxa_stt_audio_dropped_seconds_total",
            "Audio dropped because the embedded recognizer fell more than 10 s behind");
        dropped.Increment(static_cast<double>(excess) / 16000.0);
        if (!dropReported_)
            spdlog::warn(R"({{"msg":"the recognizer is more than 10 s behind this call: dropping its oldest audio"}})");
        dropReported_ = true;
        for (auto it = queue_.begin(); it != queue_.end() && excess > 0;) {
            if (it->finalize) {
                ++it;
                continue;
            }
            size_t n = std::min(excess, it->pcm.size());
            it->pcm.erase(it->pcm.begin(), it->pcm.begin() + static_cast<long>(n));
            excess -= n;
            queuedSamples_ -= n;
            it = it->pcm.empty() ? queue_.erase(it) : std::next(it);
        }
    }

    /// `warm`: the check-out at open; when every decoder is busy it simply waits for the
    /// first utterance. Busy at an utterance: that utterance is lost (an error), the next
    /// tries again. A model that cannot load fails the session.
    bool ensureDecoder(bool warm = false) {
        if (decoder_) return true;
        if (failed_ || closed_) return false;
        std::string err;
        bool busy = false;
        decoder_ = DecoderPool::instance().acquire(profile_, err, busy);
        if (!decoder_) {
            if (busy && warm) return false;
            if (!busy) failed_ = true;
            else if (busyReported_) return false;
            busyReported_ = busy;
            spdlog::error("{}", err);
            Outbox::error(ob_, err);
            return false;
        }
        busyReported_ = false;
        decoder_->setCmn(cmn_);  // this caller's line, as adapted over earlier utterances
        if (listening_.fill != NarrowbandFill::None) {
            frontEnd_ = std::make_unique<NarrowbandFrontEnd>(decoder_->ps, listening_.fill);
            if (!frontEnd_->ok()) frontEnd_.reset();  // the model's own front end, uncompensated
        }
        return true;
    }

    void drain() {
        for (;;) {
            Item item;
            {
                std::lock_guard lk(mu_);
                if (queue_.empty() || closed_) {
                    queue_.clear();
                    queuedSamples_ = 0;
                    draining_ = false;
                    return;
                }
                item = std::move(queue_.front());
                queue_.pop_front();
                queuedSamples_ -= item.pcm.size();
            }
            if (item.finalize) {
                finish();
            } else {
                feed(item.pcm);
            }
        }
    }

    void feed(const audio::Samples& pcm) {
        if (pcm.empty() || !ensureDecoder()) return;
        ps_decoder_t* ps = decoder_->ps;
        if (!decoder_->inUtt) {
            if (ps_start_utt(ps) < 0) return;
            decoder_->inUtt = true;
            if (frontEnd_) frontEnd_->startUtt();
            lastPartial_.clear();
            lastPartialAt_ = Clock::now();
        }
        if (frontEnd_) {
            frontEnd_->process(pcm);
        } else {
            // 20 ms at a time: audio that queued up behind a busy pool arrives coalesced,
            // and one long call overruns the search's ring of frames (narrowband.h).
            for (size_t at = 0; at < pcm.size(); at += kSearchPieceSamples)
                ps_process_raw(ps, pcm.data() + at, std::min(kSearchPieceSamples, pcm.size() - at), FALSE, FALSE);
        }
        auto now = Clock::now();
        if (now - lastPartialAt_ < kPartialInterval) return;
        lastPartialAt_ = now;
        const char* hyp = ps_get_hyp(ps, nullptr);
        if (hyp && *hyp && lastPartial_ != hyp) {
            lastPartial_ = hyp;
            Outbox::transcript(ob_, {lastPartial_, false, 0});
        }
    }

    /// Geometric mean of the word posteriors: ps_get_prob is the posterior of the whole
    /// path, which shrinks with every word and says little on its own.
    static double confidence(ps_decoder_t* ps, const std::string& text) {
        double words = 1 + double(std::count(text.begin(), text.end(), ' '));
        double p = logmath_exp(ps_get_logmath(ps), ps_get_prob(ps));
        return std::clamp(std::pow(p, 1.0 / words), 0.0, 1.0);
    }

    void finish() {
        Transcript t{"", true, 0};
        if (decoder_ && decoder_->inUtt && !closed_) {
            ps_decoder_t* ps = decoder_->ps;
            if (frontEnd_) frontEnd_->endUtt();
            ps_end_utt(ps);
            decoder_->inUtt = false;
            if (const char* hyp = ps_get_hyp(ps, nullptr); hyp) t.text = hyp;
            if (!t.text.empty()) t.confidence = profile_.fast ? 0.5 : confidence(ps, t.text);
            // Keep this caller's cepstral mean, and give the decoder back until they speak.
            decoder_->getCmn(cmn_);
            frontEnd_.reset();
            decoder_.reset();
        }
        lastPartial_.clear();
        if (!closed_) Outbox::transcript(ob_, std::move(t));
    }

    asio::strand<asio::thread_pool::executor_type> strand_;
    std::shared_ptr<Outbox> ob_;
    Profile profile_;
    Listening listening_;
    std::atomic<bool> closed_{false};

    std::mutex mu_;
    std::deque<Item> queue_;
    size_t queuedSamples_ = 0;  // audio in queue_, at most kMaxQueuedSamples
    bool dropReported_ = false;
    bool draining_ = false;

    DecoderPool::Lease decoder_{nullptr, DecoderPool::Releaser{}};  // while in an utterance
    std::unique_ptr<NarrowbandFrontEnd> frontEnd_;  // with decoder_, on phone lines
    std::vector<mfcc_t> cmn_;  // this caller's live cepstral mean between utterances
    bool failed_ = false;
    bool busyReported_ = false;  // a full pool was reported; silent until a lease succeeds
    std::string lastPartial_;
    Clock::time_point lastPartialAt_{};
};

std::string lower(std::string s) {
    for (auto& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

/// Validates the config; returns an error message or "".
std::string parseConfig(const json::object& cfg, const Context& ctx, Profile& p, Listening& l) {
    const int callerRate = ctx.callerRate;
    if (auto* v = cfg.if_contains("language"); v && !v->is_null()) {
        auto lang = v->is_string() ? lower(std::string(v->get_string())) : std::string("?");
        if (lang != "en" && lang != "en-us")
            return "local STT supports only English (language \"en\" or \"en-US\"), got \"" +
                   (v->is_string() ? std::string(v->get_string()) : json::serialize(*v)) + "\"";
    }
    if (auto* v = cfg.if_contains("model"); v && !v->is_null()) {
        auto m = v->is_string() ? lower(std::string(v->get_string())) : std::string("?");
        if (m != "en-us" && m != "default")
            return "local STT model must be \"en-us\", got " + json::serialize(*v);
    }
    if (auto* v = cfg.if_contains("fast"); v && v->is_bool()) p.fast = v->get_bool();
    // Narrowband compensation: on by default on 8 kHz lines, where it helps (bench/stt).
    l.fill = callerRate <= 8000 ? NarrowbandFill::Relative : NarrowbandFill::None;
    if (auto* v = cfg.if_contains("narrowband"); v && !v->is_null()) {
        std::string m = v->is_string() ? lower(std::string(v->get_string())) : std::string("?");
        if (m != "auto" && !parseNarrowbandFill(m, l.fill))
            return "local STT narrowband must be \"auto\", \"relative\", \"floor\" or \"none\", got " +
                   json::serialize(*v);
    }
    // The assistant's words (vocabulary.h): keywords, keyterms and a scripted model's rules.
    bool bias = true;
    if (auto* v = cfg.if_contains("vocabulary"); v && !v->is_null()) {
        std::string m = v->is_string() ? lower(std::string(v->get_string())) : std::string("?");
        if (m != "auto" && m != "none")
            return "local STT vocabulary must be \"auto\" or \"none\", got " + json::serialize(*v);
        bias = m == "auto";
    }
    if (bias) {
        p.bias = biasFrom(cfg, ctx.expectedPhrases);
        p.biasName = biasKey(p.bias);
    }
    return "";
}

class PocketsphinxSession final : public SttSession {
public:
    PocketsphinxSession(const json::object& cfg, const Context& ctx, SttCallbacks cb)
        : ob_(std::make_shared<Outbox>(Outbox{ctx.executor, std::move(cb), true})) {
        Profile p;
        Listening l;
        auto err = parseConfig(cfg, ctx, p, l);
        if (err.empty() && !ctx.compute) err = "local STT needs a compute pool";
        if (!err.empty()) {
            Outbox::error(ob_, std::move(err));
            return;
        }
        core_ = std::make_shared<Core>(*ctx.compute, ob_, p, l);
        core_->start();  // warm (or lease) a decoder while the call is still greeting
    }
    ~PocketsphinxSession() override { close(); }

    void sendAudio(std::span<const int16_t> pcm) override {
        if (core_) core_->push(pcm, false);
    }
    void finalize() override {
        if (core_) core_->push({}, true);
    }
    void close() override {
        ob_->alive = false;
        if (core_) core_->close();
        core_.reset();
    }

private:
    std::shared_ptr<Outbox> ob_;
    std::shared_ptr<Core> core_;
};

class PocketsphinxProvider final : public SttProvider {
public:
    std::unique_ptr<SttSession> open(const json::object& config, const Context& ctx,
                                     SttCallbacks cb) override {
        return std::make_unique<PocketsphinxSession>(config, ctx, std::move(cb));
    }
};

}  // namespace

std::shared_ptr<SttProvider> makePocketsphinxProvider() {
    return std::make_shared<PocketsphinxProvider>();
}

DecoderPoolStats decoderPoolStats() { return DecoderPool::instance().stats(); }

}  // namespace voxa::providers::local
