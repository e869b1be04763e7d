// Parses what a client sends on Vapi's WebSocket transport, with no I/O (fuzzable).
//
//   InboundParser p({.mulaw = false, .rate = 16000});
//   auto r = p.parse(msg.binary, msg.data);
//   switch (r.kind) { case Inbound::Audio: session.onAudio(r.pcm); ...
//                     case Inbound::Message: session.onClientMessage(r.message); ...
//                     case Inbound::Error: reply {"type":"error","error": r.error}; }
//
// Audio comes out in the pipeline format (16 kHz mono s16). s16le frames with an odd byte
// count keep the odd byte for the next frame; frames over kMaxAudioFrameBytes are refused.
#pragma once
#include <boost/json/object.hpp>

#include <memory>
#include <string>
#include <string_view>

#include "audio/audio.h"

namespace voxa::audio {
class Resampler;
}

namespace voxa::transport::ws {

inline constexpr size_t kMaxAudioFrameBytes = 64 * 1024;
inline constexpr size_t kMaxTextFrameBytes = 256 * 1024;

struct AudioFormat {
    bool mulaw = false;
    int rate = 16000;
};

/// Reads call.transport.audioFormat (defaults: pcm_s16le, 16 kHz).
AudioFormat formatOf(const boost::json::object& callRecord);

struct Inbound {
    enum Kind { Audio, Message, Error, Nothing } kind = Nothing;
    audio::Samples pcm;            // Audio
    boost::json::object message;   // Message: has a string "type"
    std::string error;             // Error
};

class InboundParser {
public:
    explicit InboundParser(AudioFormat f);
    ~InboundParser();
    Inbound parse(bool binary, std::string_view data);

private:
    AudioFormat fmt_;
    std::unique_ptr<audio::Resampler> resampler_;
    std::string carry_;
    audio::Samples scratch_;
};

}  // namespace voxa::transport::ws
