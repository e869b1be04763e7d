// AssemblyAI Universal Streaming's wire format: the query Vapi's fields become, the options
// Voxa acts on, close codes, and how its messages decode. No I/O (assemblyai.cpp runs the
// socket), so it is fuzzed (tests/fuzz/provider_messages_fuzz.cpp).
#include <boost/json.hpp>

#include <algorithm>
#include <charconv>
#include <optional>
#include <string>

#include "common/json_fields.h"
#include "providers/assemblyai/assemblyai.h"
#include "providers/endpoints.h"
#include "providers/streaming.h"

namespace voxa::providers::assemblyai {

namespace json = boost::json;

namespace {

using json_fields::str;
using json_fields::optNum;
using json_fields::optBool;

/// Keyterms: AssemblyAI takes up to 100 terms of up to 50 characters.
constexpr size_t kMaxKeyterms = 100;
constexpr size_t kMaxKeytermChars = 50;

/// Shortest text that reads back as `v` ("0.7", "160").
std::string number(double v) {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    return ec == std::errc() ? std::string(buf, end) : std::string("0");
}

std::string speechModel(const json::object& config) {
    std::string m = str(config, "speechModel");
    if (m == "universal-streaming-english" || m == "universal-streaming-multilingual" || m == "universal-3-5-pro")
        return m;
    return str(config, "language") == "multi" ? "universal-streaming-multilingual" : "universal-streaming-english";
}

/// A JSON list of the strings of config[key] (at most `max`, each at most `maxChars`,
/// without duplicates), appended to `out`.
void addStrings(json::array& out, const json::object& config, std::string_view key, size_t max, size_t maxChars) {
    auto* v = config.if_contains(key);
    if (!v || !v->is_array()) return;
    for (auto& e : v->get_array()) {
        if (out.size() >= max) return;
        if (!e.is_string() || e.get_string().empty() || e.get_string().size() > maxChars) continue;
        if (std::find(out.begin(), out.end(), e) == out.end()) out.push_back(e);
    }
}

bool contains(std::string_view text, std::string_view word) {
    auto it = std::search(text.begin(), text.end(), word.begin(), word.end(),
                          [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; });
    return it != text.end();
}

}  // namespace

Options optionsOf(const json::object& config) {
    Options o;
    if (auto t = optNum(config, "confidenceThreshold"); t && *t >= 0 && *t <= 1) o.confidenceThreshold = *t;
    o.partials = !optBool(config, "disablePartialTranscripts").value_or(false);
    // Universal-3.5 Pro formats every end of turn itself.
    o.awaitFormatted = speechModel(config) != "universal-3-5-pro" && optBool(config, "formatTurns").value_or(true);
    return o;
}

std::string streamQuery(const json::object& config, int sampleRate) {
    std::string model = speechModel(config);
    bool pro = model == "universal-3-5-pro";
    std::string q = "sample_rate=" + std::to_string(sampleRate) + "&encoding=pcm_s16le&speech_model=" + model;
    if (!pro) q += std::string("&format_turns=") + (optBool(config, "formatTurns").value_or(true) ? "true" : "false");
    // Vapi's defaults (its schema's @default), not AssemblyAI's: the same turn-taking as on Vapi.
    double eot = 0.7, minSilence = 160, maxSilence = 400;
    if (auto v = optNum(config, "endOfTurnConfidenceThreshold"); v && *v >= 0 && *v <= 1) eot = *v;
    if (auto v = optNum(config, "minEndOfTurnSilenceWhenConfident"); v && *v >= 0 && *v <= 60000) minSilence = *v;
    if (auto v = optNum(config, "maxTurnSilence"); v && *v >= 0 && *v <= 60000) maxSilence = *v;
    // Universal-3.5 Pro ends turns on punctuation: no confidence threshold.
    if (!pro) q += "&end_of_turn_confidence_threshold=" + number(eot);
    // min_turn_silence is the current name of min_end_of_turn_silence_when_confident.
    q += "&min_turn_silence=" + std::to_string(static_cast<int64_t>(minSilence)) +
         "&max_turn_silence=" + std::to_string(static_cast<int64_t>(maxSilence));
    json::array terms;
    addStrings(terms, config, "keytermsPrompt", kMaxKeyterms, kMaxKeytermChars);
    addStrings(terms, config, "wordBoost", kMaxKeyterms, kMaxKeytermChars);  // v2's custom vocabulary
    if (!terms.empty()) q += "&keyterms_prompt=" + queryEscape(json::serialize(terms));
    if (pro) {
        if (auto p = str(config, "prompt"); !p.empty()) q += "&prompt=" + queryEscape(p.substr(0, 1750));
        if (auto c = str(config, "agentContext"); !c.empty()) q += "&agent_context=" + queryEscape(c.substr(0, 1750));
        if (auto m = str(config, "mode"); m == "max_accuracy" || m == "min_latency" || m == "balanced") q += "&mode=" + m;
        json::array codes;
        addStrings(codes, config, "languageCodes", 32, 8);
        if (!codes.empty()) q += "&language_codes=" + queryEscape(json::serialize(codes));
    }
    return q;
}

std::optional<std::string> realtimeBase(std::string_view url) {
    constexpr std::string_view scheme = "wss://";
    if (!url.starts_with(scheme)) return std::nullopt;
    auto rest = url.substr(scheme.size());
    size_t end = rest.find_first_of("/?#");
    std::string_view host = rest.substr(0, end);
    std::string_view path = end == std::string_view::npos ? std::string_view() : rest.substr(end);
    if (path.find_first_of("?#") != std::string_view::npos) path = path.substr(0, path.find_first_of("?#"));
    for (char c : host)
        if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '-' ||
              c == '.'))
            return std::nullopt;  // no userinfo, port or upper-case tricks
    constexpr std::string_view domain = "assemblyai.com";
    bool ours = host == domain || (host.size() > domain.size() + 1 && host.ends_with(domain) &&
                                   host[host.size() - domain.size() - 1] == '.');
    if (!ours) return std::nullopt;
    while (!path.empty() && path.back() == '/') path.remove_suffix(1);
    if (path.empty()) path = kPath;
    for (char c : path)
        if (c < 0x21 || c > 0x7e) return std::nullopt;
    return "wss://" + std::string(host) + std::string(path);
}

FailureCause closeCause(uint16_t code, std::string_view reason) {
    switch (code) {
        case 1008:  // "Unauthorized Connection: <reason>": the key, or the account
            if (contains(reason, "concurrent")) return FailureCause::Other;
            if (contains(reason, "balance") || contains(reason, "fund") || contains(reason, "credit") ||
                contains(reason, "paid"))
                return FailureCause::Forbidden;
            return FailureCause::Unauthorized;
        case 4001: return FailureCause::Unauthorized;        // Not Authorized
        case 4002:                                           // Insufficient Funds
        case 4003: return FailureCause::Forbidden;           // paid-only feature
        case 3006:                                           // invalid message, JSON or type
        case 3007:                                           // chunk duration or rate violation
        case 4000:                                           // bad sample rate
        case 4100:                                           // invalid JSON
        case 4101:                                           // invalid schema
        case 4104: return FailureCause::BadRequest;          // word boost parsing failed
        case 3005:                                           // Session Cancelled: server error
        case 1011:
        case 1013: return FailureCause::ServerError;
        case 1009: return FailureCause::BadMessage;
        default: return FailureCause::Other;                 // 3008 expired, 3009 concurrency, ...
    }
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
    if (type == "Turn") {
        auto* order = o.if_contains("turn_order");
        auto eot = optBool(o, "end_of_turn");
        auto* transcript = o.if_contains("transcript");
        if (!order || !order->is_number() || !eot || !transcript || !transcript->is_string()) {
            m.error = "Turn without turn_order, end_of_turn or transcript";
            return m;
        }
        auto* words = o.if_contains("words");
        if (words && !words->is_array()) {
            m.error = "Turn whose words are not a list";
            return m;
        }
        m.kind = ServerMessage::Kind::Turn;
        m.turnOrder = static_cast<int64_t>(std::clamp(order->to_number<double>(), -1.0, 9e15));
        m.endOfTurn = *eot;
        m.formatted = optBool(o, "turn_is_formatted").value_or(false);
        m.transcript = std::string(transcript->get_string());
        if (words) {
            double sum = 0;
            size_t n = 0;
            for (auto& w : words->get_array()) {
                if (!w.is_object()) continue;
                auto t = str(w.get_object(), "text");
                if (t.empty()) continue;
                if (!m.words.empty()) m.words += ' ';
                m.words += t;
                sum += optNum(w.get_object(), "confidence").value_or(0);
                ++n;
            }
            if (n) m.confidence = sum / static_cast<double>(n);
        }
        return m;
    }
    if (type == "Begin") {
        m.kind = ServerMessage::Kind::Begin;
        m.id = str(o, "id");
        return m;
    }
    if (type == "Termination") {
        m.kind = ServerMessage::Kind::Termination;
        return m;
    }
    if (type == "Error" || (type.empty() && o.if_contains("error"))) {
        // {"type":"Error","error_code":1008,"error":"..."} just before the close (older
        // servers: {"error": "..."} alone).
        m.kind = ServerMessage::Kind::Error;
        m.errorCode = static_cast<int>(std::clamp(optNum(o, "error_code").value_or(0), 0.0, 65535.0));
        m.error = printable(str(o, "error"), 300);
        return m;
    }
    if (type.empty()) {
        m.error = "no type: " + printable(text);
        return m;
    }
    m.kind = ServerMessage::Kind::Other;  // SpeechStarted, Warning, Heartbeat, ...
    return m;
}

}  // namespace voxa::providers::assemblyai
