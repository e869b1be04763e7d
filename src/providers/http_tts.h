// A voice that makes one HTTP request per utterance and plays the raw PCM body as it streams
// in (OpenAI's /audio/speech, a custom-voice server): the queue of utterances, barge-in, the
// checks on the answer and the failures are here; a provider says how to ask and what comes
// back.
//
//   struct MySpec final : HttpTtsSpec {
//       MySpec() { name = "my voice"; pcmRate = 24000; rejectTextBody = true; }
//       std::variant<net::HttpClientRequest, ProviderError> request(const std::string& text) override;
//   };
//   return makeHttpTtsSession(std::make_unique<MySpec>(), ctx, std::move(cb));
//
// Per utterance, in order: blank text is done at once; else request(text) is fetched and each
// body chunk (s16le mono at pcmRate, resampled to audio::kRate when it differs) goes to
// onAudio as it arrives, then onDone. cancel() (a barge-in) aborts the request in flight (the
// server sees the connection close) and drops the queued ones. Anything else ends the session
// through onFailure, so a fallbackPlan voice takes over: request() refusing (no key, no URL),
// a failed exchange (providers::httpFailure: 401 -> Unauthorized, 5xx -> ServerError, refused
// -> ConnectFailed, cut mid-body -> Disconnected, no byte within the read timeout -> Timeout),
// a 200 without audio, or (rejectTextBody) a 200 whose body starts as text -> BadMessage.
#pragma once
#include <cstddef>
#include <limits>
#include <memory>
#include <string>
#include <variant>

#include "audio/audio.h"
#include "net/http_client.h"
#include "providers/providers.h"

namespace voxa::providers {

struct HttpTtsSpec {
    virtual ~HttpTtsSpec() = default;

    std::string name = "voice";  // in logs: "openai voice", "custom-voice"
    int pcmRate = audio::kRate;  // the body's sample rate
    size_t maxTextBytes = 4000;  // text sent at most (cut at a UTF-8 boundary)
    size_t maxAudioBytes = std::numeric_limits<size_t>::max();  // played at most; the request ends there
    bool rejectTextBody = false;  // a 200 that starts like JSON or HTML is an error, not audio

    /// The request for one utterance, or why there can be none (the session fails with it).
    virtual std::variant<net::HttpClientRequest, ProviderError> request(const std::string& text) = 0;
    /// A failed exchange in words, for the log and ProviderError::message.
    virtual std::string describe(const net::HttpClientResult& r, const std::string& url) const;
};

std::unique_ptr<TtsSession> makeHttpTtsSession(std::unique_ptr<HttpTtsSpec> spec, const Context& ctx,
                                               TtsCallbacks cb);

/// True when the first bytes of a 200 answer are text (`{"`, `<h`, ...) rather than PCM: a
/// JSON error or an HTML page from a proxy. Two printable bytes after `{` or `<` would be a
/// first sample louder than 8192, which no synthesized utterance starts with.
bool looksLikeText(std::string_view firstBytes);

/// At most `max` bytes of `s`, never ending inside a UTF-8 sequence.
std::string utf8Prefix(std::string s, size_t max);

}  // namespace voxa::providers
