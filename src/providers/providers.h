// Providers: speech-to-text, language model and text-to-speech engines behind small
// interfaces, chosen by the assistant's `provider` field through one registry.
//
//   auto& reg = voxa::providers::Registry::instance();
//   auto stt = reg.stt("local")->open(transcriberConfig, ctx, {
//       .onTranscript = [](const Transcript& t) { ... },   // runs on ctx.executor
//       .onError = [](const ProviderError& e) { ... }});       // e.cause: why (a fallback decides on it)
//   stt->sendAudio(frame);                                   // 16 kHz s16, any length
//   stt->finalize();                                         // end of speech: emit a final
//
//   auto tts = reg.tts("local")->open(voiceConfig, ctx, {.onAudio = ..., .onDone = ...});
//   tts->speak(1, "Hello there.");                           // audio arrives in chunks, in order
//   tts->cancel();                                           // barge-in: drop everything queued
//
//   auto llm = reg.llm("openai")->open(modelConfig, ctx);
//   auto turn = llm->complete(request, {.onText = ..., .onToolCall = ..., .onDone = ...});
//   turn->cancel();
//
// Threading contract: every callback runs on `ctx.executor` (the call's event loop), never
// concurrently with the call's own code. Engines that compute (pocketsphinx, flite) do it on
// `ctx.compute` and post results back; network providers run their sockets on
// `ctx.executor`. After cancel()/close() returns, no further callback for that work fires.
// A network provider calls back for what it read inside `net::ReadScope read(msg->receivedAt)`
// (net/read_time.h; fetch() does it for streamed HTTP bodies), so the latency Voxa adds is
// measured from the read (voxa_provider_to_wire_seconds, pipeline/pipeline.h).
// Adding a provider = one folder under src/providers/ + one line in registry.cpp.
#pragma once
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "audio/audio.h"
#include "net/http.h"

namespace voxa::providers {

/// A provider's key and, for self-hosted servers, its URL (a credential's `apiUrl`).
struct ProviderCredential {
    std::string apiKey;
    std::string apiUrl;  // org configuration: held to the egress policy
};

/// A request to the customer's own server (custom-voice), built by the call as its webhooks
/// are: the URL, the body {"message": {type, timestamp, ...fields, call, assistant,
/// customer, phoneNumber}} and the headers (X-Vapi-Secret, a credential's bearer header or
/// HMAC signature, the static server.headers).
struct ServerRequest {
    std::string url;
    std::string body;
    std::vector<net::Header> headers;
    double timeoutSeconds = 20;  // server.timeoutSeconds
};

/// What a provider session needs from the call.
struct Context {
    boost::asio::any_io_executor executor;   // the call's event loop
    boost::asio::thread_pool* compute = nullptr;  // CPU-heavy work (inference)
    std::string callId;
    /// The caller line's native sample rate (Hz): 8000 on phone lines (Twilio media streams,
    /// 8 kHz WebSocket calls), whose audio reaches providers upsampled to audio::kRate with
    /// nothing above 4 kHz. The embedded recognizer compensates for it (local/narrowband.h).
    int callerRate = audio::kRate;
    /// Phrases the assistant expects callers to say: its scripted model's rule keywords
    /// (model.provider "local"). The embedded recognizer favours their words
    /// (local/vocabulary.h); other transcribers take `keywords`/`keyterm` from their config.
    std::vector<std::string> expectedPhrases;
    /// Credentials resolved for this call by Vapi provider name ("deepgram", "openai", ...):
    /// see providers/credentials.h for where they come from. Never logged.
    std::map<std::string, ProviderCredential> credentials;
    /// Set when the server stops: compute work not yet started is dropped (see
    /// CallManager::stop()), so joining the compute pool is quick. Null: never.
    const std::atomic<bool>* stopping = nullptr;
    /// Builds a request to `server` ({url, secret, headers, credentialId, timeoutSeconds}) for
    /// the server message `type` with `fields`. Unset outside a call: providers fall back to
    /// the bare body and server.headers.
    std::function<ServerRequest(const boost::json::object& server, const std::string& type,
                                boost::json::object fields)>
        serverRequest;
};

/// Why a provider session failed: what a fallback layer decides on and what Vapi's
/// endedReason names (pipeline/ended_reason.h maps provider + cause to it).
enum class FailureCause {
    Unauthorized,   // 401: the key was refused
    Forbidden,      // 403: e.g. no access to the model
    NotFound,       // 404: wrong path or resource
    BadRequest,     // 400: options the provider does not accept
    ServerError,    // 5xx from the provider
    ConnectFailed,  // refused, unreachable, TLS or DNS failure, egress policy
    Disconnected,   // the connection closed in the middle of the session
    Timeout,        // no answer within the bound (e.g. no result after finalize)
    BadMessage,     // a message that does not follow the provider's protocol
    MissingKey,     // no credential for the provider
    RateLimited,    // 429: too many requests, or the account's quota is used up
    Other
};

struct ProviderError {
    FailureCause cause = FailureCause::Other;
    std::string message;  // for logs: never contains the key
    /// The session is dead and the call cannot go on with it (without a fallback, the call
    /// ends with the endedReason for the cause). false: logged, the session keeps going.
    bool fatal = true;
    /// The provider's HTTP status when it answered with one (0: none). Vapi's endedReason
    /// for a model names it ("pipeline-error-anthropic-503-server-overloaded-error").
    int status = 0;
    /// The provider's own error code when it gave one ("insufficient_quota",
    /// "overloaded_error", ...): bounded and printable, for endedReason and logs.
    std::string code;
};

const char* toString(FailureCause c);

// ---- Speech to text ------------------------------------------------------------------

struct Transcript {
    std::string text;
    bool isFinal = false;
    double confidence = 0;
};

struct SttCallbacks {
    std::function<void(const Transcript&)> onTranscript;
    /// A failure; after a fatal one the session delivers nothing more.
    std::function<void(const ProviderError&)> onError;
};

class SttSession {
public:
    virtual ~SttSession() = default;
    /// Pipeline audio (audio::kRate, mono s16). Cheap: copies and queues.
    virtual void sendAudio(std::span<const int16_t> pcm) = 0;
    /// The VAD/endpointer says the user stopped: produce a final transcript for what was
    /// heard since the last final (an empty final if nothing was recognised).
    virtual void finalize() = 0;
    virtual void close() = 0;
    /// The whole call as it happens, for transcribers that listen to both sides rather than
    /// to the caller's speech (custom-transcriber streams them as stereo): every frame of
    /// the caller's audio the transport delivers, silence included, and every 20 ms of what
    /// the assistant plays (silence while it is quiet). Both at audio::kRate. Default: unused.
    virtual void sendCallerAudio(std::span<const int16_t>) {}
    virtual void sendAssistantAudio(std::span<const int16_t>) {}
};

class SttProvider {
public:
    virtual ~SttProvider() = default;
    virtual std::unique_ptr<SttSession> open(const boost::json::object& config,
                                             const Context& ctx, SttCallbacks cb) = 0;
};

// ---- Text to speech ------------------------------------------------------------------

struct TtsCallbacks {
    /// A chunk of audio for utterance `id`, at audio::kRate. Chunks of one utterance arrive
    /// in order; utterances are spoken in the order speak() was called.
    std::function<void(uint64_t id, audio::Samples pcm)> onAudio;
    std::function<void(uint64_t id)> onDone;
    /// One utterance could not be synthesized (it is skipped; the session goes on).
    std::function<void(uint64_t id, const std::string&)> onError;
    /// The session is dead (connection lost, key refused, stalled): with a fallbackPlan the
    /// next voice takes over (providers/fallback.h), else the call ends with the endedReason
    /// for the cause. Nothing else fires afterwards. Optional for providers that cannot fail so.
    std::function<void(const ProviderError&)> onFailure;
};

class TtsSession {
public:
    virtual ~TtsSession() = default;
    /// `text` is valid UTF-8 (the pipeline's TtsStage makes it so: common/text.h).
    virtual void speak(uint64_t id, std::string text) = 0;
    /// Drops every queued and in-progress utterance; no callback fires for them afterwards.
    virtual void cancel() = 0;
    virtual void close() = 0;
};

class TtsProvider {
public:
    virtual ~TtsProvider() = default;
    virtual std::unique_ptr<TtsSession> open(const boost::json::object& config,
                                             const Context& ctx, TtsCallbacks cb) = 0;
};

// ---- Language model ------------------------------------------------------------------

struct ToolCall {
    std::string id;
    std::string name;
    std::string arguments;  // JSON text, as the model produced it
};

struct Usage {
    int64_t promptTokens = 0;  // every input token, cached ones included
    int64_t completionTokens = 0;
    /// Of promptTokens: read from the provider's prompt cache (billed at a discount), and
    /// written to it (Anthropic's cache_creation_input_tokens, billed at a premium).
    int64_t cachedPromptTokens = 0;
    int64_t cacheWriteTokens = 0;
};

struct LlmRequest {
    boost::json::array messages;  // OpenAI chat format: {role, content, tool_calls, ...}
    boost::json::array tools;     // OpenAI tools: [{type:"function", function:{...}}]
};

struct LlmCallbacks {
    std::function<void(const std::string& delta)> onText;
    std::function<void(const ToolCall&)> onToolCall;  // once per complete call
    std::function<void(const Usage&)> onDone;
    /// The turn failed (cause, HTTP status): no onDone follows. Fatal for the turn only; the
    /// session can take the next complete().
    std::function<void(const ProviderError&)> onError;
};

class LlmTurn {
public:
    virtual ~LlmTurn() = default;
    virtual void cancel() = 0;
};

class LlmSession {
public:
    virtual ~LlmSession() = default;
    /// Starts one streamed completion. Keep the returned handle to cancel it.
    virtual std::shared_ptr<LlmTurn> complete(LlmRequest req, LlmCallbacks cb) = 0;
};

class LlmProvider {
public:
    virtual ~LlmProvider() = default;
    virtual std::unique_ptr<LlmSession> open(const boost::json::object& config,
                                             const Context& ctx) = 0;
};

// ---- Registry ------------------------------------------------------------------------

class Registry {
public:
    static Registry& instance();
    SttProvider* stt(const std::string& provider) const;
    TtsProvider* tts(const std::string& provider) const;
    LlmProvider* llm(const std::string& provider) const;

    void addStt(std::string name, std::shared_ptr<SttProvider> p);
    void addTts(std::string name, std::shared_ptr<TtsProvider> p);
    void addLlm(std::string name, std::shared_ptr<LlmProvider> p);

    /// Why `assistant` cannot run on this server, naming the first of its transcriber, voice
    /// and model providers that is not registered and those that are:
    /// `voice.provider "11labs" is not available on this server (voice providers: bench, local)`.
    /// nullopt when all are (a missing provider is "local").
    std::optional<std::string> unavailable(const boost::json::object& assistant) const;

private:
    Registry();
    std::map<std::string, std::shared_ptr<SttProvider>> stt_;
    std::map<std::string, std::shared_ptr<TtsProvider>> tts_;
    std::map<std::string, std::shared_ptr<LlmProvider>> llm_;
};

}  // namespace voxa::providers
