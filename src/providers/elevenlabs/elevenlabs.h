// ElevenLabs streaming text-to-speech (`voice.provider: "11labs"`): the multi-context
// WebSocket input-streaming API, one socket per call and one context per utterance:
//
//   GET {base}/v1/text-to-speech/{voiceId}/multi-stream-input?model_id=&output_format=pcm_16000
//       &inactivity_timeout=180[&language_code=][&enable_ssml_parsing=true][&auto_mode=true]
//       with `xi-api-key: <key>`
//   -> {"text":" ","context_id":"voxa-7","voice_settings":{...},"pronunciation_dictionary_locators":[...]}
//   -> {"text":"Hello there. ","context_id":"voxa-7","flush":true}
//   -> {"context_id":"voxa-7","close_context":true}          (no more text for it)
//   <- {"audio":"<base64 s16le>","alignment":...,"contextId":"voxa-7"} ... {"isFinal":true,"contextId":"voxa-7"}
//   -> {"close_socket":true}                                 (end of the call)
//
// Barge-in closes the socket (close_socket) and opens the next one at once: a context's
// close is how its end is asked for, so it cannot also stop it. The engine (socket
// reuse, idle reconnect, failures) is providers/socket_tts.h.
//
//   registry: addTts("11labs", elevenlabs::makeTtsProvider());
//   base URL: providers::endpoint("11labs", ctx, "https://api.elevenlabs.io") (a credential's
//             apiUrl, e.g. the EU residency endpoint, or voxa serve --provider-url 11labs=URL)
//
// Vapi's ElevenLabsVoice fields: voiceId (path), model (default eleven_turbo_v2) -> model_id,
// language -> language_code, enableSsmlParsing -> enable_ssml_parsing, autoMode -> auto_mode,
// stability / similarityBoost / style / useSpeakerBoost / speed -> voice_settings,
// pronunciationDictionaryLocators -> pronunciation_dictionary_locators.
#pragma once
#include <boost/json/object.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "providers/providers.h"
#include "providers/socket_tts.h"

namespace voxa::providers::elevenlabs {

std::shared_ptr<TtsProvider> makeTtsProvider();

/// The protocol for one voice config (exposed for unit tests).
std::shared_ptr<const TtsProtocol> protocol(const boost::json::object& voice);

}  // namespace voxa::providers::elevenlabs
