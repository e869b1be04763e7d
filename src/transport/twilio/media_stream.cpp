#include "transport/twilio/media_stream.h"

#include <boost/json.hpp>

#include "audio/g711.h"
#include "audio/resampler.h"
#include "common/crypto.h"
#include "common/json_fields.h"

namespace voxa::transport::twilio {

namespace json = boost::json;
using json_fields::obj;
using json_fields::str;

namespace {
constexpr size_t kMaxPayloadBytes = 8000;  // 1 s of 8 kHz mu-law; Twilio sends 160 B frames
}

MediaStreamParser::MediaStreamParser() : up_(std::make_unique<audio::Resampler>(8000, audio::kRate)) {}
MediaStreamParser::~MediaStreamParser() = default;

TwilioEvent MediaStreamParser::parse(std::string_view text) {
    TwilioEvent ev;
    boost::system::error_code ec;
    json::value v = json::parse(text, ec);
    if (ec || !v.is_object()) {
        ev.kind = TwilioEvent::Error;
        ev.error = "not a JSON object";
        return ev;
    }
    auto& o = v.as_object();
    std::string event = str(o, "event");
    if (event == "connected") {
        ev.kind = TwilioEvent::Connected;
    } else if (event == "start") {
        ev.kind = TwilioEvent::Start;
        ev.streamSid = str(o, "streamSid");
        if (auto* s = obj(o, "start")) {
            if (ev.streamSid.empty()) ev.streamSid = str(*s, "streamSid");
            ev.callSid = str(*s, "callSid");
            if (auto* p = obj(*s, "customParameters")) ev.token = str(*p, "token");
        }
    } else if (event == "media") {
        auto* m = obj(o, "media");
        std::string payload = m ? str(*m, "payload") : "";
        if (m && str(*m, "track") == "outbound") return ev;  // our own audio echoed: ignore
        auto raw = payload.size() <= kMaxPayloadBytes * 4 / 3 + 4 ? base64Decode(payload) : std::nullopt;
        if (!raw) {
            ev.kind = TwilioEvent::Error;
            ev.error = "media.payload is not base64 mu-law audio (up to 1 s)";
            return ev;
        }
        audio::Samples pcm8;
        audio::g711::decodeUlaw(*raw, pcm8);
        up_->process(pcm8, ev.pcm);
        ev.kind = TwilioEvent::Media;
    } else if (event == "dtmf") {
        ev.kind = TwilioEvent::Dtmf;
        if (auto* d = obj(o, "dtmf")) ev.digit = str(*d, "digit");
    } else if (event == "mark") {
        ev.kind = TwilioEvent::Mark;
    } else if (event == "stop") {
        ev.kind = TwilioEvent::Stop;
    } else if (event.empty()) {
        ev.kind = TwilioEvent::Error;
        ev.error = "message has no string 'event'";
    }
    return ev;
}

MediaStreamWriter::MediaStreamWriter(std::string streamSid)
    : streamSid_(std::move(streamSid)), down_(std::make_unique<audio::Resampler>(audio::kRate, 8000)) {}
MediaStreamWriter::~MediaStreamWriter() = default;

std::string MediaStreamWriter::media(std::span<const int16_t> pcm16k) {
    buf_.clear();
    down_->process(pcm16k, buf_);
    std::string ulaw;
    audio::g711::encodeUlaw(buf_, ulaw);
    return json::serialize(json::object{{"event", "media"},
                                        {"streamSid", streamSid_},
                                        {"media", json::object{{"payload", base64Encode(ulaw)}}}});
}

std::string MediaStreamWriter::clear() {
    down_->reset();
    return json::serialize(json::object{{"event", "clear"}, {"streamSid", streamSid_}});
}

}  // namespace voxa::transport::twilio
