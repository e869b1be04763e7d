// Twilio Media Streams (<Connect><Stream>), bidirectional: what Twilio sends, parsed with no
// I/O (fuzzable), and what we send back.
//
//   wss://<public>/<callId>/twilio   (URL from the TwiML of POST /twilio/inbound_call)
//   in:  {"event":"connected"} {"event":"start","start":{"streamSid","callSid",
//        "customParameters":{"token"}}} {"event":"media","media":{"payload":<base64 8 kHz
//        mu-law>}} {"event":"dtmf"} {"event":"mark"} {"event":"stop"}
//   out: {"event":"media","streamSid","media":{"payload"}} every 20 ms,
//        {"event":"clear","streamSid"} on barge-in (Twilio drops what it buffered)
//
//   MediaStreamParser p;
//   auto ev = p.parse(text);
//   if (ev.kind == TwilioEvent::Media) session->onAudio(ev.pcm);   // 16 kHz s16
#pragma once
#include <memory>
#include <string>
#include <string_view>

#include "audio/audio.h"

namespace voxa::audio {
class Resampler;
}

namespace voxa::transport::twilio {

struct TwilioEvent {
    enum Kind { Connected, Start, Media, Dtmf, Mark, Stop, Error, Ignored } kind = Ignored;
    std::string streamSid, callSid, token;  // Start
    audio::Samples pcm;                     // Media: pipeline audio (16 kHz mono s16)
    std::string digit;                      // Dtmf
    std::string error;                      // Error: what was wrong
};

class MediaStreamParser {
public:
    MediaStreamParser();
    ~MediaStreamParser();
    TwilioEvent parse(std::string_view text);

private:
    std::unique_ptr<audio::Resampler> up_;  // 8 kHz -> 16 kHz, keeps state across frames
};

/// Outbound: 20 ms of pipeline audio -> a Twilio "media" message (8 kHz mu-law, base64).
class MediaStreamWriter {
public:
    explicit MediaStreamWriter(std::string streamSid);
    ~MediaStreamWriter();
    std::string media(std::span<const int16_t> pcm16k);
    /// Barge-in: the "clear" message, and the resampler forgets the interrupted audio (its
    /// filter holds ~5 ms of it, which would otherwise open the next reply as a click).
    std::string clear();

private:
    std::string streamSid_;
    std::unique_ptr<audio::Resampler> down_;
    audio::Samples buf_;
};

}  // namespace voxa::transport::twilio
