// OpenAI text-to-speech (`voice.provider: "openai"`, Vapi's OpenAIVoice). Per utterance, in
// order, one request to the Audio API:
//
//   POST {base}/audio/speech                  Authorization: Bearer <key>
//   Content-Type: application/json
//   {"model":"tts-1","input":"Your table is booked.","voice":"alloy","response_format":"pcm",
//    "speed":1.25, "instructions":"Speak warmly."}      (speed, instructions only when set)
//
//   200, body: raw 24 kHz signed 16-bit little-endian mono PCM, chunked; each chunk is
//   resampled to the pipeline's 16 kHz (audio::Resampler) and played as it arrives.
//
//   registry: addTts("openai", openai::makeTtsProvider());
//   the queue, barge-in and failures: providers/http_tts.h (shared with custom-voice)
//   base URL: providers::endpoint("openai", ctx, "https://api.openai.com/v1") (the API root
//             the chat model and the transcriber share; see openai_stt.h)
//
// Vapi's fields: voiceId -> voice (alloy, echo, fable, onyx, nova, shimmer, marin, cedar, or
// any voice id the server knows), model -> model (default tts-1), speed (0.25-4) -> speed,
// instructions -> instructions (not for tts-1 / tts-1-hd, which refuse it). The input is cut
// at kMaxInputBytes (OpenAI takes 4096 characters); an utterance's audio at
// kMaxSpeechSeconds. A barge-in (cancel()) aborts the request in flight (the server sees
// the connection close) and drops the queued ones. Failures end the session through
// TtsCallbacks::onFailure (a fallbackPlan voice takes over): 401 -> Unauthorized, 403 ->
// Forbidden, 404 -> NotFound, 400 -> BadRequest, 5xx -> ServerError, refused -> ConnectFailed,
// cut mid-body -> Disconnected, no byte for kSpeechTimeout -> Timeout, a 200 without audio
// or with a body that is text (JSON, HTML) rather than PCM -> BadMessage.
#pragma once
#include <boost/json/object.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "providers/http_tts.h"
#include "providers/openai/openai.h"
#include "providers/providers.h"

namespace voxa::providers::openai {

/// The rate of OpenAI's `pcm` response format.
inline constexpr int kSpeechRate = 24000;
/// OpenAI's limit on `input` is 4096 characters: at most this many bytes are sent (cut at a
/// UTF-8 boundary, so never more characters than that).
inline constexpr size_t kMaxInputBytes = 4096;
/// Audio of one utterance played at most; the request is ended there.
inline constexpr int kMaxSpeechSeconds = 300;
/// No byte of the answer for this long (before the status line, or between reads) fails the
/// session with Timeout.
inline constexpr std::chrono::seconds kSpeechTimeout{10};

/// The request body for `text`, from Vapi's OpenAIVoice fields in `config`.
std::string speechBody(const boost::json::object& config, std::string_view text);

/// (A 200 answer whose first bytes are text rather than PCM: providers::looksLikeText.)
using providers::looksLikeText;

}  // namespace voxa::providers::openai
