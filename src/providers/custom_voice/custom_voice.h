// Custom voice (`voice.provider: "custom-voice"`): Vapi's protocol for a TTS server of the
// customer's own. Per utterance, in order:
//
//   POST {voice.server.url}
//   Content-Type: application/json          (+ X-Vapi-Secret / credential headers / server.headers,
//                                             exactly as Voxa's webhooks send them)
//   {"message": {"type": "voice-request", "text": "Hello there.", "sampleRate": 16000,
//                "timestamp": ..., "call": {...}, "assistant": {...}, "customer": {...}}}
//
//   200, body: 1-channel 16-bit little-endian raw PCM at `sampleRate`, streamed (chunked);
//   each chunk is played as it arrives.
//
//   registry: addTts("custom-voice", custom_voice::makeTtsProvider());
//   the queue, barge-in and failures: providers/http_tts.h (shared with OpenAI's voice)
//
// The URL is org configuration: held to the egress policy. sampleRate is the pipeline's rate
// (audio::kRate), so nothing is resampled. A barge-in (cancel()) aborts the request in flight
// (the server sees the connection close) and drops the queued ones. Failures end the session
// through TtsCallbacks::onFailure (so a fallbackPlan voice takes over): refused or unreachable
// -> ConnectFailed, 401/403/404/400 -> their causes, 5xx -> ServerError, no byte for
// server.timeoutSeconds (default 20) -> Timeout, a 200 without audio -> BadMessage, the
// connection cut mid-body -> Disconnected.
#pragma once
#include <boost/json/object.hpp>

#include <memory>
#include <string>

#include "providers/providers.h"

namespace voxa::providers::custom_voice {

std::shared_ptr<TtsProvider> makeTtsProvider();

/// The bare request body (without the call's metadata) for `text`: what the call's
/// Context::serverRequest completes.
boost::json::object requestFields(const std::string& text, int sampleRate);

}  // namespace voxa::providers::custom_voice
