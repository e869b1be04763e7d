// Cartesia streaming text-to-speech (`voice.provider: "cartesia"`): the TTS WebSocket, one
// socket per call and one context per utterance:
//
//   GET {base}/tts/websocket?cartesia_version=2025-04-16
//       with `X-API-Key: <key>` and `Cartesia-Version: 2025-04-16`
//   -> {"model_id":"sonic-2","transcript":"Hello there. ","voice":{"mode":"id","id":"..."},
//       "output_format":{"container":"raw","encoding":"pcm_s16le","sample_rate":16000},
//       "language":"en","context_id":"voxa-7","continue":false}
//   <- {"type":"chunk","data":"<base64>","done":false,"status_code":206,"context_id":"voxa-7"}
//   <- {"type":"done","done":true,"status_code":206,"context_id":"voxa-7"}
//   -> {"context_id":"voxa-7","cancel":true}                       (barge-in)
//   <- {"type":"error","done":true,"status_code":402,"error":"...","context_id":"voxa-7"}
//
//   registry: addTts("cartesia", cartesia::makeTtsProvider());
//   base URL: providers::endpoint("cartesia", ctx, "https://api.cartesia.ai") (a credential's
//             apiUrl for an on-premise Cartesia, or voxa serve --provider-url cartesia=URL)
//
// Vapi's CartesiaVoice fields: voiceId -> voice.id, model (default sonic-2) -> model_id,
// language (default en), experimentalControls {speed, emotion} -> voice.__experimental_controls,
// generationConfig {speed, volume} -> generation_config (sonic-3). The engine (socket reuse,
// idle reconnect, failures) is providers/socket_tts.h.
#pragma once
#include <boost/json/object.hpp>

#include <memory>

#include "providers/providers.h"
#include "providers/socket_tts.h"

namespace voxa::providers::cartesia {

inline constexpr const char* kVersion = "2025-04-16";

std::shared_ptr<TtsProvider> makeTtsProvider();

/// The protocol for one voice config (exposed for unit tests).
std::shared_ptr<const TtsProtocol> protocol(const boost::json::object& voice);

}  // namespace voxa::providers::cartesia
