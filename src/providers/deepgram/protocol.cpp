// Deepgram's live transcription wire format: the query Vapi's fields become and how its
// messages decode. No I/O (deepgram.cpp runs the socket), so it is fuzzed
// (tests/fuzz/provider_messages_fuzz.cpp).
#include <boost/json.hpp>

#include <optional>
#include <string>

#include "common/json_fields.h"
#include "providers/deepgram/deepgram.h"
#include "providers/endpoints.h"
#include "providers/streaming.h"

namespace voxa::providers::deepgram {

namespace json = boost::json;

namespace {

using json_fields::str;
using json_fields::optNum;
using json_fields::optBool;

bool flag(const json::object& o, std::string_view key) { return optBool(o, key).value_or(false); }

void addList(std::string& q, const char* name, const json::object& config, std::string_view key,
             size_t max = 100) {
    auto* v = config.if_contains(key);
    if (!v || !v->is_array()) return;
    size_t n = 0;
    for (auto& e : v->get_array()) {
        if (!e.is_string() || e.get_string().empty()) continue;
        if (++n > max) break;
        q += std::string("&") + name + "=" + queryEscape(e.get_string());
    }
}

}  // namespace

std::string listenQuery(const json::object& config, int sampleRate) {
    std::string model = str(config, "model");
    if (model.empty()) model = "nova-2";
    std::string language = str(config, "language");
    if (language.empty()) language = "en";
    std::string q = "model=" + queryEscape(model) + "&language=" + queryEscape(language) +
                    "&encoding=linear16&sample_rate=" + std::to_string(sampleRate) +
                    "&channels=1&interim_results=true&punctuate=true";
    q += std::string("&smart_format=") + (flag(config, "smartFormat") ? "true" : "false");
    if (flag(config, "numerals")) q += "&numerals=true";
    if (flag(config, "profanityFilter")) q += "&profanity_filter=true";
    if (flag(config, "mipOptOut")) q += "&mip_opt_out=true";
    addList(q, "redact", config, "redaction", 8);
    int endpointing = 300;
    if (auto e = optNum(config, "endpointing"); e && *e >= 10 && *e <= 500) endpointing = static_cast<int>(*e);
    q += "&endpointing=" + std::to_string(endpointing);
    q += "&utterance_end_ms=1000&vad_events=true";
    // Keyterm prompting is Nova-3's; keywords (word[:boost]) are the older models'.
    if (model.starts_with("nova-3")) addList(q, "keyterm", config, "keyterm");
    else addList(q, "keywords", config, "keywords");
    return q;
}

ServerMessage decode(std::string_view text) {
    ServerMessage m;
    boost::system::error_code ec;
    auto v = json::parse(text, ec);
    if (ec || !v.is_object()) {
        m.error = printable(text);
        return m;
    }
    auto& o = v.get_object();
    std::string type = str(o, "type");
    if (type == "Results") {
        auto* ch = o.if_contains("channel");
        auto* alts = ch && ch->is_object() ? ch->get_object().if_contains("alternatives") : nullptr;
        if (!alts || !alts->is_array()) {
            m.error = "Results without channel.alternatives";
            return m;
        }
        m.kind = ServerMessage::Kind::Results;
        if (!alts->get_array().empty() && alts->get_array()[0].is_object()) {
            auto& a = alts->get_array()[0].get_object();
            m.transcript = str(a, "transcript");
            m.confidence = optNum(a, "confidence").value_or(0);
        }
        m.isFinal = flag(o, "is_final");
        m.speechFinal = flag(o, "speech_final");
        m.fromFinalize = flag(o, "from_finalize");
        m.start = optNum(o, "start").value_or(0);
        m.duration = optNum(o, "duration").value_or(0);
        return m;
    }
    if (type == "SpeechStarted") m.kind = ServerMessage::Kind::SpeechStarted;
    else if (type == "UtteranceEnd") m.kind = ServerMessage::Kind::UtteranceEnd;
    else if (type == "Metadata") m.kind = ServerMessage::Kind::Metadata;
    else if (type == "Error") {
        m.kind = ServerMessage::Kind::Error;
        m.error = printable(str(o, "description").empty() ? str(o, "message") : str(o, "description"), 300);
    } else if (type.empty()) {
        m.error = "no type: " + printable(text);
    } else {
        m.kind = ServerMessage::Kind::Unknown;
    }
    return m;
}

}  // namespace voxa::providers::deepgram
