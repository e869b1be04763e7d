// Provider fallbacks: Vapi's `transcriber.fallbackPlan.transcribers[]`,
// `voice.fallbackPlan.voices[]` and `model.fallbackModels`, as one SttSession / TtsSession /
// LlmSession that wraps the chain, so every provider gets them for free and the pipeline sees
// a single session (the model's: FallbackLlm below, in fallback_llm.cpp).
//
//   auto chain = providers::sttChain(assistant["transcriber"]);  // primary, then fallbacks
//   auto stt = std::make_unique<providers::FallbackStt>(chain, ctx, callbacks,
//       providers::FallbackStt::Options{.onServing = [](const Serving& s) { ... }});
//   stt->sendAudio(pcm); stt->finalize();    // as any SttSession
//   stt->provider();                         // who serves now (or failed last): "deepgram"
//
// A fatal ProviderError of the serving entry (failed connect, 401/403, a socket closed
// mid-call, an error message, garbage), or a timeout the wrapper measures itself (no final
// within resultTimeout after finalize(); no audio within audioTimeout after speak()), moves
// the call to the next entry without dropping it, and replays what the failed one had not
// finished:
//   - transcriber: the caller's audio since the last final (a bounded ring, 30 s), and the
//     finalize() if one was pending;
//   - voice: every utterance not done yet, in order; the one cut mid-way without the words
//     its audio already covered (estimated at ~15 characters a second).
// When no entry is left, the last failure goes to the callbacks as before (SttCallbacks::
// onError, TtsCallbacks::onFailure, fatal) and the call ends with Vapi's endedReason for
// provider() and the cause. Embedded engines ("local", "bench") are not timed (they report
// their own failures and the local TTS holds synthesis back while playback catches up).
#pragma once
#include <boost/asio/steady_timer.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "providers/providers.h"

namespace voxa::providers {

/// One entry of a chain: Vapi's provider name and its config object.
struct Candidate {
    std::string provider;
    boost::json::object config;
};

/// The config itself (without its fallbackPlan), then each valid fallback entry in order.
/// At most kMaxFallbacks fallbacks are used. A missing provider is "local".
std::vector<Candidate> sttChain(const boost::json::object& transcriber);
std::vector<Candidate> ttsChain(const boost::json::object& voice);
inline constexpr size_t kMaxFallbacks = 8;

/// Which entry serves a call, reported at the start and at every switch.
struct Serving {
    size_t index = 0;          // 0 = the primary
    std::string provider;      // Vapi's name
    std::string failed;        // the provider that failed (empty at the start)
    ProviderError why;         // its failure (switches only)
    std::string model;         // models: the entry's `model` ("gpt-4o"; "" when it has none)
};

class FallbackStt final : public SttSession {
public:
    using Opener = std::function<std::unique_ptr<SttSession>(const Candidate&, const Context&, SttCallbacks)>;
    struct Options {
        std::function<void(const Serving&)> onServing;
        std::chrono::milliseconds resultTimeout{8000};  // after finalize(), for network providers
        size_t maxReplaySamples = 30 * 16000;           // the ring of audio since the last final
        Opener open;                                    // default: the registry
    };
    FallbackStt(std::vector<Candidate> chain, const Context& ctx, SttCallbacks cb, Options opt);
    ~FallbackStt() override;

    void sendAudio(std::span<const int16_t> pcm) override;
    void finalize() override;
    void close() override;
    /// The whole call goes to the serving entry only (not replayed after a switch).
    void sendCallerAudio(std::span<const int16_t> pcm) override;
    void sendAssistantAudio(std::span<const int16_t> pcm) override;
    const std::string& provider() const;
    size_t index() const;

private:
    struct State;
    std::shared_ptr<State> st_;
};

class FallbackTts final : public TtsSession {
public:
    using Opener = std::function<std::unique_ptr<TtsSession>(const Candidate&, const Context&, TtsCallbacks)>;
    struct Options {
        std::function<void(const Serving&)> onServing;
        std::chrono::milliseconds audioTimeout{8000};  // no audio for the oldest pending utterance
        Opener open;                                   // default: the registry
    };
    FallbackTts(std::vector<Candidate> chain, const Context& ctx, TtsCallbacks cb, Options opt);
    ~FallbackTts() override;

    void speak(uint64_t id, std::string text) override;
    void cancel() override;
    void close() override;
    const std::string& provider() const;
    size_t index() const;

private:
    struct State;
    std::shared_ptr<State> st_;
};

// ---- Models ------------------------------------------------------------------------------

/// Vapi's `model.fallbackModels` (model names of the same provider, in order): the model
/// config itself (without fallbackModels), then per name the same config with `model`
/// replaced; at most kMaxFallbacks.
std::vector<Candidate> llmChain(const boost::json::object& model);

/// The model chain as one LlmSession (fallback_llm.cpp). Per turn:
///   - an error before the first token (failed connect, any HTTP error status, an error
///     event, or no token within the first-token timeout) asks the next entry at once, in
///     the same turn, with the same request;
///   - a failure after some text re-asks the next entry with the same context plus the
///     partial reply (an assistant message, then an instruction to go on from there), and
///     drops whatever the new reply repeats of it: the caller hears the rest, once.
///     While a next entry exists, the trailing partial word of the text is held back until
///     the next token, so a reply is only ever cut between words. Tool calls already
///     delivered are not delivered again.
/// Once switched, later turns stay on the entry that works (like the speech fallbacks).
/// With nothing left, onError gets the last entry's error, and provider() names that entry
/// (pipeline::modelEndedReason(provider(), error) is the call's endedReason).
/// Timeout to the first token (and between tokens): the entry's `timeoutSeconds` (Vapi's
/// custom-llm field), else Options::tokenTimeout; only while a next entry exists (the last
/// one is bounded by its own request timeout) and not for embedded engines.
class FallbackLlm final : public LlmSession {
public:
    using Opener = std::function<std::unique_ptr<LlmSession>(const Candidate&, const Context&)>;
    struct Options {
        std::function<void(const Serving&)> onServing;
        std::chrono::milliseconds tokenTimeout{8000};
        Opener open;  // default: the registry
    };
    FallbackLlm(std::vector<Candidate> chain, const Context& ctx, Options opt);
    ~FallbackLlm() override;

    std::shared_ptr<LlmTurn> complete(LlmRequest req, LlmCallbacks cb) override;
    const std::string& provider() const;
    const std::string& model() const;
    size_t index() const;

private:
    struct State;
    std::shared_ptr<State> st_;
};

/// What a continuation adds to what was already said: `said` is the text delivered before
/// the failure; feed() the new model's deltas, and it returns the part to deliver (possibly
/// "" while it cannot yet tell a repeat from new words). Words are compared without case
/// and punctuation; the new text's longest start that repeats the end of `said` (or all of
/// it, when the model started over) is dropped. finish() at the end of the new reply.
class ContinuationFilter {
public:
    explicit ContinuationFilter(std::string said);
    std::string feed(const std::string& delta);
    std::string finish();
    bool passing() const { return passing_; }

private:
    std::string decide(bool atEnd);
    std::string said_;
    std::vector<std::string> saidWords_;
    std::string held_;
    bool passing_ = false;
};

/// The words of `text` not covered by `samples` of audio at audio::kRate (~15 characters a
/// second): what to say again after a voice failed mid-utterance. "" when all was covered.
std::string unspokenRest(const std::string& text, size_t samples);

}  // namespace voxa::providers
