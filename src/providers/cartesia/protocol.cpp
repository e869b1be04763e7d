// The cartesia wire format: URL, headers, what is sent, how its messages decode. No I/O
// (providers/socket_tts.cpp runs the socket), so it is fuzzed (tests/fuzz/provider_messages_fuzz.cpp).
#include "providers/cartesia/cartesia.h"

#include <boost/json.hpp>

#include "common/crypto.h"
#include "common/json_fields.h"
#include "providers/endpoints.h"
#include "providers/streaming.h"

namespace voxa::providers::cartesia {

namespace json = boost::json;

namespace {

using json_fields::str;
using json_fields::obj;

constexpr const char* kDefaultModel = "sonic-2";

FailureCause causeOf(int64_t status) {
    switch (status) {
        case 400: return FailureCause::BadRequest;
        case 401: return FailureCause::Unauthorized;
        case 402:
        case 403: return FailureCause::Forbidden;
        case 404: return FailureCause::NotFound;
        default: return status >= 500 ? FailureCause::ServerError : FailureCause::Other;
    }
}

class Protocol final : public TtsProtocol {
public:
    explicit Protocol(const json::object& voice) {
        std::string model = str(voice, "model");
        std::string language = str(voice, "language");
        json::object v{{"mode", "id"}, {"id", str(voice, "voiceId")}};
        if (auto* x = obj(voice, "experimentalControls")) {
            json::object controls;
            if (auto* s = x->if_contains("speed"); s && (s->is_string() || s->is_number())) controls["speed"] = *s;
            if (auto* e = x->if_contains("emotion"); e && e->is_string() && !e->get_string().empty())
                controls["emotion"] = json::array{*e};
            if (!controls.empty()) v["__experimental_controls"] = std::move(controls);
        }
        request_ = {{"model_id", model.empty() ? kDefaultModel : model},
                    {"voice", std::move(v)},
                    {"output_format", {{"container", "raw"}, {"encoding", "pcm_s16le"}, {"sample_rate", audio::kRate}}},
                    {"language", language.empty() ? "en" : language}};
        if (auto* g = obj(voice, "generationConfig")) {
            json::object config;
            for (const char* k : {"speed", "volume"})
                if (auto* n = g->if_contains(k); n && n->is_number()) config[k] = *n;
            if (!config.empty()) request_["generation_config"] = std::move(config);
        }
    }

    const char* provider() const override { return "cartesia"; }
    const char* label() const override { return "Cartesia"; }
    const char* defaultUrl() const override { return "https://api.cartesia.ai"; }

    std::string url(const std::string& wsBase) const override {
        return wsBase + "/tts/websocket?cartesia_version=" + kVersion;
    }
    std::vector<net::Header> headers(const std::string& key) const override {
        return {{"x-api-key", key}, {"cartesia-version", kVersion}};
    }

    std::vector<std::string> speak(const std::string& contextId, const std::string& text) const override {
        json::object r = request_;
        r["transcript"] = text + " ";  // transcripts are joined verbatim: end on a space
        r["context_id"] = contextId;
        r["continue"] = false;  // the whole utterance: the context ends with it
        return {json::serialize(r)};
    }
    std::string cancel(const std::string& contextId) const override {
        return json::serialize(json::object{{"context_id", contextId}, {"cancel", true}});
    }
    std::string goodbye() const override { return ""; }

    TtsEvent decode(std::string_view text) const override {
        TtsEvent e;
        boost::system::error_code ec;
        auto v = json::parse(text, ec);
        if (ec || !v.is_object()) {
            e.message = printable(text);
            return e;
        }
        auto& o = v.get_object();
        e.contextId = str(o, "context_id");
        std::string type = str(o, "type");
        if (type == "chunk") {
            auto pcm = base64Decode(str(o, "data"));
            if (!pcm) {
                e.message = "chunk data that is not base64";
                return e;
            }
            e.kind = TtsEvent::Kind::Audio;
            e.pcm = std::move(*pcm);
            auto* d = o.if_contains("done");
            e.last = d && d->is_bool() && d->get_bool();
            return e;
        }
        if (type == "done") {
            e.kind = TtsEvent::Kind::Done;
            return e;
        }
        if (type == "error") {
            e.kind = TtsEvent::Kind::Error;
            auto* s = o.if_contains("status_code");
            e.cause = causeOf(s && s->is_int64() ? s->get_int64() : 0);
            std::string msg = str(o, "error");
            if (msg.empty()) msg = str(o, "title") + ": " + str(o, "message");
            e.message = printable(msg, 300);
            return e;
        }
        if (type.empty()) {
            e.message = "no type: " + printable(text);
            return e;
        }
        e.kind = TtsEvent::Kind::Ignore;  // timestamps, phoneme_timestamps, flush_done, ...
        return e;
    }

private:
    json::object request_;
};

}  // namespace

std::shared_ptr<const TtsProtocol> protocol(const json::object& voice) { return std::make_shared<Protocol>(voice); }

}  // namespace voxa::providers::cartesia
