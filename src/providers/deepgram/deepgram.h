// Deepgram streaming speech-to-text (`transcriber.provider: "deepgram"`): the live WebSocket
// API, GET {base}/v1/listen?model=...&encoding=linear16&sample_rate=16000&... with
// `Authorization: Token <key>`, binary audio up, JSON `Results` / `SpeechStarted` /
// `UtteranceEnd` / `Metadata` down; `KeepAlive` while the caller is silent, `Finalize` when
// Voxa's VAD ends an utterance, `CloseStream` at the end of the call.
//
//   registry: addStt("deepgram", deepgram::makeSttProvider());
//   base URL: providers::endpoint("deepgram", ctx, "https://api.deepgram.com") (a credential's
//             apiUrl for a self-hosted Deepgram, or voxa serve --provider-url deepgram=URL)
//
// Vapi's DeepgramTranscriber fields -> query: model (default nova-2), language (default en),
// smartFormat -> smart_format, numerals, profanityFilter -> profanity_filter, redaction[] ->
// redact, mipOptOut -> mip_opt_out, endpointing (default 300), keywords[] -> keywords (not
// nova-3), keyterm[] -> keyterm (nova-3); confidenceThreshold (default 0.4) drops final
// transcripts below it. Failures reach SttCallbacks::onError with a FailureCause
// (401 -> Unauthorized, refused -> ConnectFailed, closed mid-call -> Disconnected, no result
// after Finalize -> Timeout, garbage -> BadMessage), all fatal.
#pragma once
#include <boost/json/object.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "providers/providers.h"

namespace voxa::providers::deepgram {

std::shared_ptr<SttProvider> makeSttProvider();

/// The query string (without '?') for a transcriber config, audio at `sampleRate` (linear16).
std::string listenQuery(const boost::json::object& config, int sampleRate);

/// One message from Deepgram, decoded.
struct ServerMessage {
    enum class Kind { Results, SpeechStarted, UtteranceEnd, Metadata, Error, Unknown, Invalid };
    Kind kind = Kind::Invalid;
    std::string transcript;    // Results: channel.alternatives[0].transcript
    double confidence = 0;     // Results: channel.alternatives[0].confidence
    bool isFinal = false;      // Results
    bool speechFinal = false;  // Results
    bool fromFinalize = false; // Results
    double start = 0, duration = 0;  // Results: seconds of stream time
    std::string error;         // Invalid / Error: what is wrong (short, printable)
};

ServerMessage decode(std::string_view text);

}  // namespace voxa::providers::deepgram
