// The elevenlabs wire format: URL, headers, what is sent, how its messages decode. No I/O
// (providers/socket_tts.cpp runs the socket), so it is fuzzed (tests/fuzz/provider_messages_fuzz.cpp).
#include "providers/elevenlabs/elevenlabs.h"

#include <boost/json.hpp>

#include <cctype>

#include "common/crypto.h"
#include "common/json_fields.h"
#include "providers/endpoints.h"
#include "providers/streaming.h"

namespace voxa::providers::elevenlabs {

namespace json = boost::json;

namespace {

using json_fields::str;

constexpr const char* kDefaultModel = "eleven_turbo_v2";  // Vapi's default

/// A number within [lo, hi], else nullptr (out-of-range values are left to ElevenLabs' default).
const json::value* ranged(const json::object& o, std::string_view key, double lo, double hi) {
    auto* v = o.if_contains(key);
    if (!v || !v->is_number()) return nullptr;
    double d = v->to_number<double>();
    return d >= lo && d <= hi ? v : nullptr;
}

class Protocol final : public TtsProtocol {
public:
    explicit Protocol(const json::object& voice) {
        voiceId_ = str(voice, "voiceId");
        std::string model = str(voice, "model");
        query_ = "model_id=" + queryEscape(model.empty() ? kDefaultModel : model) +
                 "&output_format=pcm_" + std::to_string(audio::kRate) + "&inactivity_timeout=180";
        if (auto l = str(voice, "language"); !l.empty()) query_ += "&language_code=" + queryEscape(l);
        if (auto* v = voice.if_contains("enableSsmlParsing"); v && v->is_bool() && v->get_bool())
            query_ += "&enable_ssml_parsing=true";
        if (auto* v = voice.if_contains("autoMode"); v && v->is_bool() && v->get_bool()) query_ += "&auto_mode=true";

        json::object vs;
        if (auto* v = ranged(voice, "stability", 0, 1)) vs["stability"] = *v;
        if (auto* v = ranged(voice, "similarityBoost", 0, 1)) vs["similarity_boost"] = *v;
        if (auto* v = ranged(voice, "style", 0, 1)) vs["style"] = *v;
        if (auto* v = voice.if_contains("useSpeakerBoost"); v && v->is_bool()) vs["use_speaker_boost"] = v->get_bool();
        if (auto* v = ranged(voice, "speed", 0.7, 1.2)) vs["speed"] = *v;
        if (!vs.empty()) init_["voice_settings"] = std::move(vs);
        if (auto* v = voice.if_contains("pronunciationDictionaryLocators"); v && v->is_array()) {
            json::array locators;
            for (auto& l : v->get_array()) {
                if (!l.is_object() || locators.size() >= 3) continue;  // ElevenLabs takes up to 3
                auto id = str(l.get_object(), "pronunciationDictionaryId");
                if (id.empty()) continue;
                json::object loc{{"pronunciation_dictionary_id", id}};
                if (auto ver = str(l.get_object(), "versionId"); !ver.empty()) loc["version_id"] = ver;
                locators.push_back(std::move(loc));
            }
            if (!locators.empty()) init_["pronunciation_dictionary_locators"] = std::move(locators);
        }
    }

    const char* provider() const override { return "11labs"; }
    const char* label() const override { return "ElevenLabs"; }
    const char* defaultUrl() const override { return "https://api.elevenlabs.io"; }

    std::string url(const std::string& wsBase) const override {
        return wsBase + "/v1/text-to-speech/" + queryEscape(voiceId_) + "/multi-stream-input?" + query_;
    }
    std::vector<net::Header> headers(const std::string& key) const override { return {{"xi-api-key", key}}; }

    std::vector<std::string> speak(const std::string& contextId, const std::string& text) const override {
        json::object first = init_;
        first["text"] = " ";  // opens the context with its settings
        first["context_id"] = contextId;
        // The text ends with a space, as ElevenLabs asks of each chunk; flush: generate now.
        json::object body{{"text", text + " "}, {"context_id", contextId}, {"flush", true}};
        json::object close{{"context_id", contextId}, {"close_context", true}};
        return {json::serialize(first), json::serialize(body), json::serialize(close)};
    }
    std::string cancel(const std::string&) const override { return ""; }
    std::string goodbye() const override { return R"({"close_socket":true})"; }

    TtsEvent decode(std::string_view text) const override {
        TtsEvent e;
        boost::system::error_code ec;
        auto v = json::parse(text, ec);
        if (ec || !v.is_object()) {
            e.message = printable(text);
            return e;
        }
        auto& o = v.get_object();
        e.contextId = str(o, "contextId");
        if (e.contextId.empty()) e.contextId = str(o, "context_id");
        auto flag = [&](std::string_view k) {
            auto* f = o.if_contains(k);
            return f && f->is_bool() && f->get_bool();
        };
        bool final = flag("isFinal") || flag("is_final");
        if (auto* a = o.if_contains("audio"); a && a->is_string()) {
            auto pcm = base64Decode(a->get_string());
            if (!pcm) {
                e.message = "audio that is not base64";
                return e;
            }
            e.kind = TtsEvent::Kind::Audio;
            e.pcm = std::move(*pcm);
            e.last = final;
            return e;
        }
        if (final) {
            e.kind = TtsEvent::Kind::Done;
            return e;
        }
        std::string error = str(o, "error");
        std::string message = str(o, "message");
        if (!error.empty() || (!message.empty() && !o.contains("audio"))) {
            e.kind = TtsEvent::Kind::Error;
            e.message = printable(error + (error.empty() ? "" : ": ") + message, 300);
            std::string what = error + " " + message;
            for (auto& c : what) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            if (what.find("api key") != std::string::npos || what.find("api_key") != std::string::npos ||
                what.find("auth") != std::string::npos || what.find("unauthorized") != std::string::npos)
                e.cause = FailureCause::Unauthorized;
            else if (what.find("voice_not_found") != std::string::npos || what.find("not found") != std::string::npos)
                e.cause = FailureCause::NotFound;
            else if (what.find("internal") != std::string::npos || what.find("server error") != std::string::npos)
                e.cause = FailureCause::ServerError;
            return e;
        }
        // "audio": null without isFinal, or a message this version does not know: skipped.
        e.kind = TtsEvent::Kind::Ignore;
        return e;
    }

private:
    std::string voiceId_;
    std::string query_;
    json::object init_;
};

}  // namespace

std::shared_ptr<const TtsProtocol> protocol(const json::object& voice) { return std::make_shared<Protocol>(voice); }

}  // namespace voxa::providers::elevenlabs
