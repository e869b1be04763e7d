// Deepgram Aura's wire format: URL, headers, Speak/Flush/Clear/Close, how its messages decode,
// the model name from Vapi's voiceId and model. No I/O (providers/socket_tts.cpp runs the
// socket), so it is fuzzed (tests/fuzz/provider_messages_fuzz.cpp).
#include "providers/deepgram/deepgram_tts.h"

#include <boost/json.hpp>

#include <array>
#include <string_view>
#include <utility>
#include <vector>

#include "common/json_fields.h"
#include "providers/endpoints.h"
#include "providers/streaming.h"

namespace voxa::providers::deepgram {

namespace json = boost::json;

namespace {

using json_fields::str;

/// One Speak message carries at most this much text (Deepgram's input limit per request).
constexpr size_t kMaxSpeakChars = 2000;
/// Flush messages Deepgram accepts per socket in 60 s.
constexpr size_t kFlushesPerMinute = 20;

// Aura-2 voices that are not English (Deepgram's model names end in the language); every
// other name is English.
constexpr std::array<std::pair<std::string_view, std::string_view>, 50> kLanguages = {{
    {"agustina", "es"}, {"alvaro", "es"},   {"antonia", "es"}, {"aquila", "es"},  {"carina", "es"},
    {"celeste", "es"},  {"diana", "es"},    {"estrella", "es"}, {"gloria", "es"}, {"javier", "es"},
    {"luciano", "es"},  {"nestor", "es"},   {"olivia", "es"},  {"selena", "es"},  {"silvia", "es"},
    {"sirio", "es"},    {"valerio", "es"},  {"aurelia", "de"}, {"elara", "de"},   {"fabian", "de"},
    {"julius", "de"},   {"kara", "de"},     {"lara", "de"},    {"viktoria", "de"}, {"beatrix", "nl"},
    {"cornelia", "nl"}, {"daphne", "nl"},   {"hestia", "nl"},  {"lars", "nl"},    {"leda", "nl"},
    {"rhea", "nl"},     {"roman", "nl"},    {"sander", "nl"},  {"agathe", "fr"},  {"hector", "fr"},
    {"cesare", "it"},   {"cinzia", "it"},   {"demetra", "it"}, {"dionisio", "it"}, {"elio", "it"},
    {"flavio", "it"},   {"livia", "it"},    {"maia", "it"},    {"melia", "it"},   {"perseo", "it"},
    {"ama", "ja"},      {"ebisu", "ja"},    {"fujin", "ja"},   {"izanami", "ja"}, {"uzume", "ja"},
}};
// Voices Aura-1 has and Aura-2 has not: without a model, these mean Aura-1.
constexpr std::array<std::string_view, 4> kAuraOneOnly = {"angus", "helios", "perseus", "stella"};

/// `text` in pieces of at most kMaxSpeakChars, cut at a space where there is one.
std::vector<std::string> pieces(const std::string& text) {
    std::vector<std::string> out;
    size_t at = 0;
    while (text.size() - at > kMaxSpeakChars) {
        size_t cut = text.rfind(' ', at + kMaxSpeakChars);
        if (cut == std::string::npos || cut <= at) cut = at + kMaxSpeakChars;
        out.push_back(text.substr(at, cut - at));
        at = cut;
    }
    out.push_back(text.substr(at));
    return out;
}

class Protocol final : public TtsProtocol {
public:
    explicit Protocol(const json::object& voice) {
        query_ = "model=" + queryEscape(auraModel(voice)) + "&encoding=linear16&sample_rate=" + std::to_string(audio::kRate);
        if (auto* v = voice.if_contains("mipOptOut"); v && v->is_bool() && v->get_bool()) query_ += "&mip_opt_out=true";
    }

    const char* provider() const override { return "deepgram"; }
    const char* label() const override { return "Deepgram"; }
    const char* defaultUrl() const override { return "https://api.deepgram.com"; }

    std::string url(const std::string& wsBase) const override { return wsBase + "/v1/speak?" + query_; }
    std::vector<net::Header> headers(const std::string& key) const override {
        return {{"Authorization", "Token " + key}};
    }

    std::vector<std::string> speak(const std::string&, const std::string& text) const override {
        std::vector<std::string> out;
        for (auto& p : pieces(text)) out.push_back(json::serialize(json::object{{"type", "Speak"}, {"text", p}}));
        out.push_back(R"({"type":"Flush"})");  // generate now: the utterance ends with its Flushed
        return out;
    }
    std::string cancel(const std::string&) const override { return R"({"type":"Clear"})"; }
    std::string goodbye() const override { return R"({"type":"Close"})"; }
    bool ordered() const override { return true; }
    size_t utterancesPerMinute() const override { return kFlushesPerMinute; }

    TtsEvent decodeBinary(std::string_view data) const override {
        TtsEvent e;
        e.kind = TtsEvent::Kind::Audio;  // linear16 at the rate asked for, for the utterance being spoken
        e.pcm.assign(data);
        return e;
    }

    TtsEvent decode(std::string_view text) const override {
        TtsEvent e;
        boost::system::error_code ec;
        auto v = json::parse(text, ec);
        if (ec || !v.is_object()) {
            e.message = printable(text);
            return e;
        }
        auto& o = v.get_object();
        std::string type = str(o, "type");
        if (type == "Flushed") {
            e.kind = TtsEvent::Kind::Done;
        } else if (type == "Cleared") {
            e.kind = TtsEvent::Kind::Cleared;
        } else if (type == "Warning") {
            e.kind = TtsEvent::Kind::Ignore;  // e.g. too many Flush messages: logged
            e.message = "Warning " + str(o, "code") + ": " + str(o, "description");
        } else if (type == "Error") {
            e.kind = TtsEvent::Kind::Error;
            std::string d = str(o, "description");
            if (d.empty()) d = str(o, "err_msg");
            e.message = printable(str(o, "code") + (d.empty() ? "" : ": " + d), 300);
        } else if (type.empty()) {
            e.message = "no type: " + printable(text);
        } else {
            e.kind = TtsEvent::Kind::Ignore;  // Metadata, and what this version does not know
        }
        return e;
    }

private:
    std::string query_;
};

}  // namespace

std::shared_ptr<const TtsProtocol> speakProtocol(const json::object& voice) {
    return std::make_shared<Protocol>(voice);
}

std::string auraModel(const json::object& voice) {
    std::string id = str(voice, "voiceId");
    if (id.starts_with("aura-")) return id;  // already Deepgram's model name
    if (id.empty()) id = "thalia";
    std::string model = str(voice, "model");
    if (model != "aura" && model != "aura-2") {
        bool oneOnly = false;
        for (auto v : kAuraOneOnly) oneOnly = oneOnly || v == id;
        model = oneOnly ? "aura" : "aura-2";
    }
    std::string_view language = "en";
    for (auto& [name, lang] : kLanguages)
        if (name == id) language = lang;
    return model + "-" + id + "-" + std::string(language);
}

}  // namespace voxa::providers::deepgram
