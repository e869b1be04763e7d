// Test-only providers and signals for driving the pipeline in simulated call time.
//
//   FakeWorld world(io.get_executor());     // scripts + records; registers "fake" providers
//   world.stt.push_back({.final = "Hello."});
//   world.llmReplies.push_back({.text = "Hi there. How can I help?"});
//   ... each 20 ms step: p.pushAudio(f); p.tick(); world.sched.advance(nowMs); io.poll();
//
// Providers never call back synchronously: every callback is scheduled at a simulated call
// time and posted to the executor when the harness advances the clock past it, so latency
// (first token, first audio chunk) is part of the script and every run is identical.
#pragma once
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <numbers>
#include <string>
#include <utility>
#include <vector>

#include "audio/audio.h"
#include "net/read_time.h"
#include "pipeline/pipeline.h"
#include "providers/providers.h"

namespace voxa::pipeline::test {

namespace asio = boost::asio;
namespace json = boost::json;
namespace prov = voxa::providers;

inline int words(std::string_view s) {
    int n = 0;
    bool in = false;
    for (char c : s) {
        bool w = std::isalnum(static_cast<unsigned char>(c)) || c == '\'';
        if (w && !in) ++n;
        in = w;
    }
    return n;
}

// ---- Signals ----------------------------------------------------------------------------

/// A vowel-like voice: a 120-160 Hz glottal pitch with harmonics shaped by three formants,
/// amplitude-modulated at a syllable rate. WebRTC VAD calls it speech (see signals test).
/// Stateless in the sample index, so bursts can continue where the last one stopped.
inline audio::Samples voice(int64_t firstSample, size_t n, double peak = 9000.0) {
    audio::Samples out(n);
    const double rate = audio::kRate;
    for (size_t i = 0; i < n; ++i) {
        double t = static_cast<double>(firstSample + static_cast<int64_t>(i)) / rate;
        // Slow intonation: f0 = 140 + 20 sin(2 pi 0.7 t); phase is its integral.
        double phase = 2 * std::numbers::pi * 140 * t -
                       20 / 0.7 * std::cos(2 * std::numbers::pi * 0.7 * t);
        double f0 = 140 + 20 * std::sin(2 * std::numbers::pi * 0.7 * t);
        double v = 0;
        for (int k = 1; k <= 24; ++k) {
            double f = k * f0;
            double env = std::exp(-std::pow((f - 700) / 250, 2)) +
                         0.7 * std::exp(-std::pow((f - 1200) / 250, 2)) +
                         0.3 * std::exp(-std::pow((f - 2600) / 350, 2)) + 0.04;
            v += env / std::sqrt(k) * std::sin(k * phase);
        }
        double syllable = 0.6 + 0.4 * std::sin(2 * std::numbers::pi * 4 * t);
        out[i] = static_cast<int16_t>(std::lround(std::clamp(v * syllable * peak / 2.2,
                                                             -32767.0, 32767.0)));
    }
    return out;
}

inline audio::Samples silence(size_t n) { return audio::Samples(n, 0); }

// ---- Simulated-time scheduler -----------------------------------------------------------

/// Callbacks due at a call time; advance() posts the due ones to the executor in order.
class Scheduler {
public:
    explicit Scheduler(asio::any_io_executor ex) : ex_(std::move(ex)) {}
    /// The pipeline's call clock once set, so work started inside tick() is timed right.
    const int64_t* clock = nullptr;
    int64_t now() const { return clock ? *clock : now_; }
    void at(int64_t ms, std::function<void()> fn) {
        if (ms <= now()) return asio::post(ex_, std::move(fn));
        due_.emplace(ms, std::move(fn));  // equal keys keep insertion order
    }
    void advance(int64_t nowMs) {
        now_ = nowMs;
        while (!due_.empty() && due_.begin()->first <= now_) {
            asio::post(ex_, std::move(due_.begin()->second));
            due_.erase(due_.begin());
        }
    }
    size_t pending() const { return due_.size(); }

private:
    asio::any_io_executor ex_;
    int64_t now_ = 0;
    std::multimap<int64_t, std::function<void()>> due_;
};

// ---- Scripts and records ----------------------------------------------------------------

struct SttUtterance {
    std::string final;  // "" = a blip that never became words
    std::vector<std::pair<int64_t, std::string>> partials{};  // (ms of audio heard, text)
    double confidence = 0.9;  // of the final (pocketsphinx: ~0.05 for a cough's guess)
};

struct LlmReply {
    std::string text;
    std::vector<prov::ToolCall> tools{};
    std::string error{};     // non-empty: onError after firstTokenMs instead of a reply
    int errorStatus = 0;     // the HTTP status that error carries
    int firstTokenMs = 200;
    int deltaMs = 20;        // one word per delta
};

struct FakeWorld {
    explicit FakeWorld(asio::any_io_executor ex);
    ~FakeWorld();

    Scheduler sched;

    // STT
    std::deque<SttUtterance> stt;
    int sttFinalLatencyMs = 0;
    size_t sttSamples = 0;
    int sttFinalizes = 0;
    bool sttClosed = false;
    std::vector<std::string> sttEmitted;  // "P:text" / "F:text"
    size_t sttCallerSamples = 0;           // sendCallerAudio: the whole call
    std::vector<bool> sttAssistantFrames;  // sendAssistantAudio per frame: anything but silence?

    // LLM
    std::deque<LlmReply> llmReplies;                          // by turn
    std::vector<std::pair<std::string, LlmReply>> llmRules;   // by last user message
    LlmReply llmFallback{.text = "Okay."};
    std::vector<prov::LlmRequest> llmRequests;
    int llmCancels = 0;

    // TTS
    int ttsMsPerWord = 40;
    int ttsFirstChunkMs = 60;
    int ttsChunkEveryMs = 10;  // < 20: faster than real time
    int ttsFirstChunkSamples = 0;  // > 0: each utterance's first chunk is this short (the rest follows)
    std::vector<std::pair<uint64_t, std::string>> ttsSpoken;
    int ttsCancels = 0;

    // Both: callbacks run as a network provider's would, inside a net::ReadScope of a read
    // this long before (its decoding time); 0: as an engine in the process (no scope).
    std::chrono::microseconds providerReadAgo{0};
    net::ReadScope::time_point readStamp() const {
        return providerReadAgo.count() ? std::chrono::steady_clock::now() - providerReadAgo : net::ReadScope::time_point{};
    }

    // Both: a provider that breaks the contract and calls back after cancel().
    bool honourCancel = true;
    int suppressed = 0;      // callbacks the fakes dropped because of cancel()
    int leakedAfterCancel = 0;  // callbacks delivered after cancel() (honourCancel=false)

    LlmReply nextReply(const prov::LlmRequest& req);
};

inline FakeWorld*& currentWorld() {
    static FakeWorld* w = nullptr;
    return w;
}

// ---- STT --------------------------------------------------------------------------------

class FakeStt final : public prov::SttSession {
public:
    FakeStt(FakeWorld& w, prov::SttCallbacks cb)
        : w_(w), st_(std::make_shared<St>(St{.cb = std::move(cb)})) {}
    ~FakeStt() override { close(); }

    void sendAudio(std::span<const int16_t> pcm) override {
        if (st_->closed) return;
        w_.sttSamples += pcm.size();
        heard_ += pcm.size();
        if (w_.stt.empty()) return;
        auto& parts = w_.stt.front().partials;
        int64_t ms = audio::samplesToMs(static_cast<int64_t>(heard_));
        while (nextPartial_ < parts.size() && parts[nextPartial_].first <= ms)
            emit(parts[nextPartial_++].second, false, 0);
    }
    void finalize() override {
        if (st_->closed) return;
        ++w_.sttFinalizes;
        std::string text;
        double confidence = 0.9;
        if (!w_.stt.empty()) {
            text = w_.stt.front().final;
            confidence = w_.stt.front().confidence;
            w_.stt.pop_front();
        }
        heard_ = 0;
        nextPartial_ = 0;
        if (text.empty()) confidence = 0;
        emit(std::move(text), true, w_.sttFinalLatencyMs, confidence);
    }
    void close() override {
        st_->closed = true;
        w_.sttClosed = true;
    }
    void sendCallerAudio(std::span<const int16_t> pcm) override { w_.sttCallerSamples += pcm.size(); }
    void sendAssistantAudio(std::span<const int16_t> pcm) override {
        w_.sttAssistantFrames.push_back(std::any_of(pcm.begin(), pcm.end(), [](int16_t v) { return v != 0; }));
    }

private:
    struct St {
        prov::SttCallbacks cb;
        bool closed = false;
    };
    void emit(std::string text, bool isFinal, int latencyMs, double confidence = 0.9) {
        w_.sttEmitted.push_back((isFinal ? "F:" : "P:") + text);
        auto st = st_;
        w_.sched.at(w_.sched.now() + latencyMs, [st, text, isFinal, confidence, w = &w_] {
            net::ReadScope read(w->readStamp());
            if (!st->closed) st->cb.onTranscript(prov::Transcript{text, isFinal, confidence});
        });
    }
    FakeWorld& w_;
    std::shared_ptr<St> st_;
    size_t heard_ = 0;  // samples since the last finalize
    size_t nextPartial_ = 0;
};

// ---- TTS --------------------------------------------------------------------------------

class FakeTts final : public prov::TtsSession {
public:
    FakeTts(FakeWorld& w, prov::TtsCallbacks cb)
        : w_(w), st_(std::make_shared<St>(St{.cb = std::move(cb)})) {}
    ~FakeTts() override { close(); }

    /// 220 Hz tone, ttsMsPerWord per word, in 20 ms chunks; utterances queue in order.
    void speak(uint64_t id, std::string text) override {
        w_.ttsSpoken.emplace_back(id, text);
        int chunks = std::max(1, words(text)) * w_.ttsMsPerWord / audio::kFrameMs;
        int64_t t = std::max(w_.sched.now() + w_.ttsFirstChunkMs, cursor_);
        int gen = st_->gen;
        auto deliver = [&](audio::Samples pcm) {
            w_.sched.at(t, guard(gen, [st = st_, id, pcm = std::move(pcm), w = &w_] {
                net::ReadScope read(w->readStamp());
                st->cb.onAudio(id, pcm);
            }));
            t += w_.ttsChunkEveryMs;
        };
        for (int i = 0; i < chunks; ++i) {
            audio::Samples pcm(audio::kFrameSamples);
            for (int k = 0; k < audio::kFrameSamples; ++k)
                pcm[k] = static_cast<int16_t>(
                    6000 * std::sin(2 * std::numbers::pi * 220 *
                                    (i * audio::kFrameSamples + k) / audio::kRate));
            size_t cut = static_cast<size_t>(w_.ttsFirstChunkSamples);
            if (i == 0 && cut > 0 && cut < pcm.size()) {
                deliver(audio::Samples(pcm.begin(), pcm.begin() + static_cast<std::ptrdiff_t>(cut)));
                deliver(audio::Samples(pcm.begin() + static_cast<std::ptrdiff_t>(cut), pcm.end()));
                continue;
            }
            deliver(std::move(pcm));
        }
        w_.sched.at(t, guard(gen, [st = st_, id] { st->cb.onDone(id); }));
        cursor_ = t;
    }
    void cancel() override {
        ++w_.ttsCancels;
        ++st_->gen;
        cursor_ = 0;
    }
    void close() override { st_->closed = true; }

private:
    struct St {
        prov::TtsCallbacks cb;
        int gen = 0;
        bool closed = false;
    };
    std::function<void()> guard(int gen, std::function<void()> fn) {
        return [st = st_, gen, fn = std::move(fn), w = &w_] {
            if (st->closed) return;
            if (st->gen != gen) {
                if (w->honourCancel) return void(++w->suppressed);
                ++w->leakedAfterCancel;
            }
            fn();
        };
    }
    FakeWorld& w_;
    std::shared_ptr<St> st_;
    int64_t cursor_ = 0;  // when the last queued utterance finishes synthesizing
};

// ---- LLM --------------------------------------------------------------------------------

class FakeLlmTurn final : public prov::LlmTurn {
public:
    explicit FakeLlmTurn(FakeWorld& w) : w_(w) {}
    void cancel() override {
        ++w_.llmCancels;
        *flag = true;
    }
    std::shared_ptr<bool> flag = std::make_shared<bool>(false);  // shared with callbacks

private:
    FakeWorld& w_;
};

class FakeLlm final : public prov::LlmSession {
public:
    explicit FakeLlm(FakeWorld& w) : w_(w) {}
    std::shared_ptr<prov::LlmTurn> complete(prov::LlmRequest req, prov::LlmCallbacks cb) override {
        w_.llmRequests.push_back(req);
        LlmReply r = w_.nextReply(req);
        auto turn = std::make_shared<FakeLlmTurn>(w_);
        auto cbs = std::make_shared<prov::LlmCallbacks>(std::move(cb));
        auto flag = turn->flag;
        auto guard = [this, flag, cbs](std::function<void(prov::LlmCallbacks&)> fn) {
            return [this, flag, cbs, fn = std::move(fn)] {
                if (*flag) {
                    if (w_.honourCancel) return void(++w_.suppressed);
                    ++w_.leakedAfterCancel;
                }
                fn(*cbs);
            };
        };
        int64_t t = w_.sched.now() + r.firstTokenMs;
        if (!r.error.empty()) {
            w_.sched.at(t, guard([e = r.error, st = r.errorStatus](auto& c) {
                c.onError(prov::ProviderError{.cause = prov::FailureCause::Other, .message = e, .status = st});
            }));
            return turn;
        }
        // One word (with its leading space) per delta, like a token stream.
        std::vector<std::string> deltas;
        for (size_t i = 0; i < r.text.size();) {
            size_t j = r.text.find(' ', i + 1);
            if (j == std::string::npos) j = r.text.size();
            deltas.push_back(r.text.substr(i, j - i));
            i = j;
        }
        for (auto& d : deltas) {
            w_.sched.at(t, guard([d](auto& c) { c.onText(d); }));
            t += r.deltaMs;
        }
        for (auto& call : r.tools) w_.sched.at(t, guard([call](auto& c) { c.onToolCall(call); }));
        prov::Usage usage{.promptTokens = static_cast<int64_t>(req.messages.size()) * 10,
                          .completionTokens = static_cast<int64_t>(deltas.size())};
        w_.sched.at(t, guard([usage](auto& c) { c.onDone(usage); }));
        return turn;
    }

private:
    FakeWorld& w_;
};

inline LlmReply FakeWorld::nextReply(const prov::LlmRequest& req) {
    std::string lastUser;
    for (auto& m : req.messages)
        if (m.is_object() && m.as_object().contains("role") && m.at("role") == "user")
            lastUser = json::value_to<std::string>(m.at("content"));
    for (auto& [needle, reply] : llmRules)
        if (!needle.empty() && lastUser.find(needle) != std::string::npos) return reply;
    if (!llmReplies.empty()) {
        LlmReply r = llmReplies.front();
        llmReplies.pop_front();
        return r;
    }
    return llmFallback;
}

// ---- Providers + registration -----------------------------------------------------------

struct FakeSttProvider final : prov::SttProvider {
    std::unique_ptr<prov::SttSession> open(const json::object&, const prov::Context&,
                                           prov::SttCallbacks cb) override {
        return std::make_unique<FakeStt>(*currentWorld(), std::move(cb));
    }
};
struct FakeTtsProvider final : prov::TtsProvider {
    std::unique_ptr<prov::TtsSession> open(const json::object&, const prov::Context&,
                                           prov::TtsCallbacks cb) override {
        return std::make_unique<FakeTts>(*currentWorld(), std::move(cb));
    }
};
struct FakeLlmProvider final : prov::LlmProvider {
    std::unique_ptr<prov::LlmSession> open(const json::object&, const prov::Context&) override {
        return std::make_unique<FakeLlm>(*currentWorld());
    }
};

inline FakeWorld::FakeWorld(asio::any_io_executor ex) : sched(std::move(ex)) {
    currentWorld() = this;
    static bool registered = [] {
        auto& reg = prov::Registry::instance();
        reg.addStt("fake", std::make_shared<FakeSttProvider>());
        reg.addTts("fake", std::make_shared<FakeTtsProvider>());
        reg.addLlm("fake", std::make_shared<FakeLlmProvider>());
        return true;
    }();
    (void)registered;
}
inline FakeWorld::~FakeWorld() { currentWorld() = nullptr; }

// ---- Observer ---------------------------------------------------------------------------

struct Event {
    FrameKind kind;
    int64_t ms;
    std::string text;
    bool isFinal = false;
    uint64_t utterance = 0;
    bool endCallAfter = false;
    std::string tool;
    bool replyStart = false;
    std::string endedReason;
};

/// Records every frame leaving the chain (kind, call time, payload) and every output frame.
class Recorder final : public Observer {
public:
    const State* state = nullptr;
    std::vector<Event> events;
    std::vector<int64_t> outputMs;  // call time of each output frame
    std::vector<double> outputRms;

    void onFrame(const Frame& f) override {
        events.push_back(Event{f.kind, now(), f.text, f.isFinal, f.utterance, f.endCallAfter,
                               f.toolCall.name, f.replyStart, f.endedReason});
    }
    void onOutputFrame(std::span<const int16_t> pcm, bool silence) override {
        outputMs.push_back(now());
        double e = 0;
        for (int16_t v : pcm) e += double(v) * v;
        outputRms.push_back(std::sqrt(e / double(pcm.size())));
        frameSizes.push_back(pcm.size());
    }
    std::vector<size_t> frameSizes;
    std::vector<int64_t> readyMs;  // onOutputReady calls (call time)
    void onOutputReady() override { readyMs.push_back(now()); }

    std::vector<Event> of(FrameKind k) const {
        std::vector<Event> out;
        for (auto& e : events)
            if (e.kind == k) out.push_back(e);
        return out;
    }
    const Event* first(FrameKind k, int64_t fromMs = -1) const {
        for (auto& e : events)
            if (e.kind == k && e.ms >= fromMs) return &e;
        return nullptr;
    }
    int count(FrameKind k) const { return static_cast<int>(of(k).size()); }
    int outputsBetween(int64_t from, int64_t to) const {  // [from, to)
        int n = 0;
        for (auto t : outputMs) n += t >= from && t < to;
        return n;
    }
    /// Kinds in order, without the high-volume ones (LlmText, Transcript partials).
    std::vector<std::string> script() const {
        std::vector<std::string> out;
        for (auto& e : events) {
            if (e.kind == FrameKind::LlmText) continue;
            if (e.kind == FrameKind::Transcript && !e.isFinal) continue;
            out.emplace_back(toString(e.kind));
        }
        return out;
    }

private:
    int64_t now() const { return state ? state->nowMs : -1; }
};

}  // namespace voxa::pipeline::test
