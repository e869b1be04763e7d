// AssemblyAI Universal Streaming speech-to-text (`transcriber.provider: "assembly-ai"`): the
// v3 WebSocket API, GET {base}/v3/ws?sample_rate=16000&encoding=pcm_s16le&speech_model=...
// with `Authorization: <key>`, binary PCM up in chunks of 50 to 1000 ms and no faster than
// real time (AssemblyAI closes the session otherwise: a fallback's replay is paced), JSON
// `Begin` / `Turn` / `Termination` down; `ForceEndpoint`
// when Voxa's VAD ends an utterance, `Terminate` at the end of the call.
//
//   registry: addStt("assembly-ai", assemblyai::makeSttProvider());
//   base URL: providers::endpoint("assembly-ai", ctx, "https://streaming.assemblyai.com")
//             (voxa serve --provider-url assembly-ai=URL for a self-hosted or test server), or
//             the transcriber's realtimeUrl when it is one of AssemblyAI's own wss:// hosts
//             (streaming.eu.assemblyai.com): the key is never sent anywhere else
//
// Vapi's AssemblyAITranscriber fields -> query: speechModel -> speech_model (default
// universal-streaming-english; language "multi" -> universal-streaming-multilingual),
// formatTurns -> format_turns (default true), endOfTurnConfidenceThreshold (0.7),
// minEndOfTurnSilenceWhenConfident -> min_turn_silence (160), maxTurnSilence (400),
// keytermsPrompt[] + wordBoost[] -> keyterms_prompt (a JSON list, at most 100 terms of at
// most 50 characters); universal-3-5-pro: prompt, agentContext -> agent_context, mode,
// languageCodes -> language_codes (and no format_turns: it always formats).
// confidenceThreshold (default 0.4) drops finals whose mean word confidence is below it;
// disablePartialTranscripts drops the partials. Partials come from Turns with end_of_turn
// false; a final from the Turn that ends it (the formatted one when format_turns is on, or
// the unformatted one if the formatted one is more than 1 s late).
//
// Failures reach SttCallbacks::onError with a FailureCause, all fatal: HTTP 401 or close
// 1008/4001 -> Unauthorized, 1008 about the balance or 4002/4003 -> Forbidden, 3006/3007/
// 4000/41xx -> BadRequest, 3005/1011 -> ServerError, refused -> ConnectFailed, closed
// mid-call -> Disconnected, no final within 5 s of ForceEndpoint while a turn is open (or
// while the server said nothing about 2.5 s of speech) -> Timeout, garbage or a message over
// 256 KiB -> BadMessage.
#pragma once
#include <boost/json/object.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "providers/providers.h"

namespace voxa::providers::assemblyai {

std::shared_ptr<SttProvider> makeSttProvider();

/// The stream's path under the base URL.
inline constexpr const char* kPath = "/v3/ws";

/// The transcriber's fields Voxa itself acts on.
struct Options {
    double confidenceThreshold = 0.4;
    bool partials = true;
    bool awaitFormatted = true;  // format_turns on: the final is the formatted Turn
};
Options optionsOf(const boost::json::object& config);

/// The query string (without '?') for a transcriber config, audio pcm_s16le at `sampleRate`.
std::string streamQuery(const boost::json::object& config, int sampleRate);

/// The transcriber's realtimeUrl as the stream's URL without its query
/// ("wss://streaming.eu.assemblyai.com/v3/ws"), when it is wss:// on assemblyai.com or one
/// of its subdomains; nullopt for anything else (it would get the key).
std::optional<std::string> realtimeBase(std::string_view realtimeUrl);

/// What a close code (with its reason) from AssemblyAI means for the call.
FailureCause closeCause(uint16_t code, std::string_view reason);

/// One message from AssemblyAI, decoded.
struct ServerMessage {
    enum class Kind { Begin, Turn, Termination, Error, Other, Invalid };
    Kind kind = Kind::Invalid;
    // Turn
    int64_t turnOrder = 0;
    bool endOfTurn = false;
    bool formatted = false;      // turn_is_formatted
    std::string transcript;      // finalized words of the turn
    std::string words;           // every word so far, final or not, space-separated
    double confidence = -1;      // mean word confidence; -1 without words
    // Begin: id; Error: error_code and error; Invalid: what is wrong (short, printable)
    std::string id;
    int errorCode = 0;
    std::string error;
};

ServerMessage decode(std::string_view text);

}  // namespace voxa::providers::assemblyai
