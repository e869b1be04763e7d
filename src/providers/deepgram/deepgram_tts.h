// Deepgram Aura text-to-speech (`voice.provider: "deepgram"`): the TTS WebSocket, one socket
// per call, utterances spoken in the order their text was sent (no context ids):
//
//   GET {base}/v1/speak?model=aura-2-thalia-en&encoding=linear16&sample_rate=16000[&mip_opt_out=true]
//       with `Authorization: Token <key>`
//   -> {"type":"Speak","text":"Hello there."} {"type":"Flush"}     per utterance
//   <- binary linear16 audio ..., then {"type":"Flushed","sequence_id":N}   (the utterance is done)
//   -> {"type":"Clear"}   barge-in; <- {"type":"Cleared","sequence_id":N}: audio before it is
//                         the cleared utterances' and is dropped
//   -> {"type":"Close"}   end of the call
//   <- {"type":"Metadata",...} (skipped), {"type":"Warning","description","code"} (logged)
//
// The engine (socket reuse, idle reconnect, stall bound, failures) is providers/socket_tts.h.
// Deepgram takes 20 Flush per 60 s on a socket: past that, the next utterance goes to a new one.
//
//   registry: addTts("deepgram", deepgram::makeTtsProvider());
//   key and base URL: the transcriber's (ctx.credentials["deepgram"], DEEPGRAM_API_KEY,
//             providers::endpoint("deepgram", ...): a credential's apiUrl or --provider-url deepgram=URL)
//
// Vapi's DeepgramVoice: voiceId ("thalia", "asteria", ...) and model ("aura-2" default, "aura")
// name Deepgram's model `{model}-{voiceId}-{language}` (aura-2-thalia-en, aura-asteria-en,
// aura-2-celeste-es); a voiceId that is already a model name ("aura-2-thalia-en") is used as
// it is; mipOptOut -> mip_opt_out=true. Not used: cachingEnabled, chunkPlan.
#pragma once
#include <boost/json/object.hpp>

#include <memory>
#include <string>

#include "providers/providers.h"
#include "providers/socket_tts.h"

namespace voxa::providers::deepgram {

std::shared_ptr<TtsProvider> makeTtsProvider();

/// The protocol for one voice config (exposed for unit tests).
std::shared_ptr<const TtsProtocol> speakProtocol(const boost::json::object& voice);

/// Deepgram's model for a Vapi DeepgramVoice config: "aura-2-thalia-en", "aura-asteria-en", ...
std::string auraModel(const boost::json::object& voice);

}  // namespace voxa::providers::deepgram
