#include "transport/ws/inbound.h"

#include <boost/json.hpp>

#include <cstring>

#include "audio/g711.h"
#include "audio/resampler.h"

namespace voxa::transport::ws {

namespace json = boost::json;

AudioFormat formatOf(const json::object& record) {
    AudioFormat f;
    if (auto* t = record.if_contains("transport"); t && t->is_object())
        if (auto* af = t->as_object().if_contains("audioFormat"); af && af->is_object()) {
            auto& o = af->as_object();
            if (auto* v = o.if_contains("format"); v && v->is_string())
                f.mulaw = v->as_string() == "mulaw";
            if (auto* v = o.if_contains("sampleRate"); v && v->is_number())
                f.rate = static_cast<int>(v->to_number<double>());
        }
    return f;
}

InboundParser::InboundParser(AudioFormat f) : fmt_(f) {
    if (fmt_.rate != audio::kRate) resampler_ = std::make_unique<audio::Resampler>(fmt_.rate, audio::kRate);
}

InboundParser::~InboundParser() = default;

Inbound InboundParser::parse(bool binary, std::string_view data) {
    Inbound r;
    if (binary) {
        if (data.size() > kMaxAudioFrameBytes) {
            r.kind = Inbound::Error;
            r.error = "audio frame of " + std::to_string(data.size()) +
                      " bytes dropped: send at most 65536 bytes per frame (20 ms frames are best)";
            return r;
        }
        scratch_.clear();
        if (fmt_.mulaw) {
            audio::g711::decodeUlaw(data, scratch_);
        } else {
            std::string bytes = carry_;
            bytes.append(data);
            carry_.clear();
            if (bytes.size() % 2) {
                carry_.assign(1, bytes.back());
                bytes.pop_back();
            }
            scratch_.resize(bytes.size() / 2);
            if (!bytes.empty()) std::memcpy(scratch_.data(), bytes.data(), bytes.size());
        }
        if (scratch_.empty()) return r;  // Nothing: e.g. a single byte held over
        r.kind = Inbound::Audio;
        if (resampler_) resampler_->process(scratch_, r.pcm);
        else r.pcm.swap(scratch_);
        return r;
    }
    if (data.size() > kMaxTextFrameBytes) {
        r.kind = Inbound::Error;
        r.error = "text message of " + std::to_string(data.size()) + " bytes dropped: the limit is 262144";
        return r;
    }
    std::error_code ec;
    json::parse_options opts;
    opts.max_depth = 32;
    json::value v = json::parse(data, ec, {}, opts);
    if (ec) {
        r.kind = Inbound::Error;
        r.error = "invalid JSON message: " + ec.message();
        return r;
    }
    if (!v.is_object()) {
        r.kind = Inbound::Error;
        r.error = "a message must be a JSON object";
        return r;
    }
    auto* type = v.as_object().if_contains("type");
    if (!type || !type->is_string()) {
        r.kind = Inbound::Error;
        r.error = "a message must have a string 'type'";
        return r;
    }
    r.kind = Inbound::Message;
    r.message = std::move(v.as_object());
    return r;
}

}  // namespace voxa::transport::ws
