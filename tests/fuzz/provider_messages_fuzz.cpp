// libFuzzer target: the cloud speech providers' wire formats (scripts/fuzz.sh builds and
// runs it): what each provider can send back is decoded without crashing, and what Voxa
// sends is built from any voice config the API might hold.
//
// Input: byte 0 picks the provider (11labs, cartesia and Deepgram Aura voices; Deepgram and
// AssemblyAI transcribers; the Gemini model: its stream, one payload a line, its error bodies,
// and the request built from a config {model, messages, tools}; the Anthropic model's event
// stream, split into SSE events, with the request built from the config as a conversation);
// the rest is
// "<config JSON>\0<provider message>"
// (no \0: the whole is the message and the config is empty). Checks, beyond the sanitizers:
// a decoded event's message is short and printable (it goes to logs and to the call's
// endedReason detail), only audio events carry audio, and what is sent is valid JSON.
#include <boost/json.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "common/text.h"
#include "providers/anthropic/anthropic.h"
#include "providers/assemblyai/assemblyai.h"
#include "providers/cartesia/cartesia.h"
#include "providers/deepgram/deepgram.h"
#include "providers/deepgram/deepgram_tts.h"
#include "providers/elevenlabs/elevenlabs.h"
#include "providers/google/google.h"
#include "providers/openai/sse.h"

namespace json = boost::json;
using namespace voxa::providers;

namespace {

void check(bool ok) {
    if (!ok) std::abort();
}

void checkSent(const std::string& msg) {
    if (msg.empty()) return;
    boost::system::error_code ec;
    json::parse(msg, ec);
    check(!ec);
}

void exercise(const TtsProtocol& p, std::string_view message) {
    TtsEvent e = p.decode(message);
    check(e.message.size() <= 400);
    for (unsigned char c : e.message) check(c >= 0x20 && c < 0x7f);
    // Audio may be an odd number of bytes: the engine carries the odd one over (socket_tts.cpp).
    check(e.kind == TtsEvent::Kind::Audio || e.pcm.empty());
    // TtsStage hands every voice valid UTF-8 (common/text.h).
    for (auto& m : p.speak("voxa-1", voxa::validUtf8(message.substr(0, 64)))) checkSent(m);
    checkSent(p.cancel("voxa-1"));
    checkSent(p.goodbye());
    (void)p.url("ws://127.0.0.1:1");
    (void)p.headers("key");
    TtsEvent b = p.decodeBinary(message);
    check(b.message.size() <= 400);
    check(b.kind == TtsEvent::Kind::Audio || b.pcm.empty());
}

void checkPrintable(const std::string& s) {
    check(s.size() <= 400);
    for (unsigned char c : s) check(c >= 0x20 && c < 0x7f);
}

// The query becomes part of a URL: nothing in it may need escaping again.
void checkQuery(const std::string& q) {
    for (unsigned char c : q) check(c > 0x20 && c < 0x7f && c != '#' && c != ' ');
}

void exerciseGoogle(const json::object& config, std::string_view message) {
    LlmCallbacks cb;
    cb.onText = [](const std::string& t) { check(!t.empty()); };
    cb.onToolCall = [](const ToolCall& c) {
        check(!c.id.empty() && !c.name.empty());
        checkSent(c.arguments);  // always a JSON text
    };
    google::StreamDecoder decoder(cb, [] { return false; });
    size_t start = 0;
    while (start <= message.size()) {
        size_t end = message.find('\n', start);
        if (end == std::string_view::npos) end = message.size();
        if (!decoder.onData(message.substr(start, end - start))) break;
        start = end + 1;
    }
    if (auto& e = decoder.error()) {
        checkPrintable(e->message);
        check(e->code.size() <= 64);
    }
    auto h = google::httpError(static_cast<int>(400 + message.size() % 200), message, "http://127.0.0.1:1/x");
    checkPrintable(h.message);
    google::Settings s;
    if (auto* m = config.if_contains("model"); m && m->is_string()) s.model = std::string(m->get_string());
    LlmRequest req;
    if (auto* m = config.if_contains("messages"); m && m->is_array()) req.messages = m->get_array();
    if (auto* t = config.if_contains("tools"); t && t->is_array()) req.tools = t->get_array();
    checkSent(google::buildRequestBody(s, req, {{"call_1", "c2ln"}}));
    (void)google::toSchema(json::value(config));
}

// The Anthropic stream: every callback's payload is bounded, a tool call's arguments are
// what the stream said (or "{}"), nothing follows the terminal callback, and the request
// built from any conversation is alternating JSON starting with the user.
void exerciseAnthropic(const json::object& config, std::string_view stream) {
    int terminal = 0;
    LlmCallbacks cb{
        .onText = [&](const std::string&) { check(terminal == 0); },
        .onToolCall = [&](const ToolCall& c) {
            check(terminal == 0);
            check(!c.arguments.empty() && c.arguments.size() <= anthropic::StreamDecoder::kMaxToolInput);
        },
        .onDone = [&](const Usage& u) {
            check(terminal++ == 0);
            check(u.promptTokens >= 0 && u.cachedPromptTokens <= u.promptTokens);
        },
        .onError = [&](const ProviderError& e) {
            check(terminal++ == 0);
            checkPrintable(e.message);
            for (unsigned char c : e.code) check(c > 0x20 && c < 0x7f);
        },
    };
    anthropic::StreamDecoder dec(cb, [] { return false; });
    openai::SseParser parser(64 * 1024);
    std::vector<openai::SseEvent> events;
    parser.feed(stream, events);
    parser.finish(events);
    for (auto& e : events) dec.onEvent(e.event, e.data);
    (void)dec.takeThinking();

    LlmRequest req;
    if (auto* m = config.if_contains("messages"); m && m->is_array()) req.messages = m->as_array();
    if (auto* t = config.if_contains("tools"); t && t->is_array()) req.tools = t->as_array();
    anthropic::Settings s;
    s.model = "m";
    auto body = anthropic::buildRequest(s, req);
    auto& messages = body.at("messages").as_array();
    check(!messages.empty() && messages.front().at("role") == "user");
    for (size_t i = 1; i < messages.size(); ++i) check(messages[i].at("role") != messages[i - 1].at("role"));
    checkSent(json::serialize(body));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
    json::object config;
    std::string_view message = rest;
    if (auto nul = rest.find('\0'); nul != std::string_view::npos) {
        boost::system::error_code ec;
        auto v = json::parse(rest.substr(0, nul), ec);
        if (!ec && v.is_object()) config = v.as_object();
        message = rest.substr(nul + 1);
    }
    switch (data[0] % 7) {
        case 0: exercise(*elevenlabs::protocol(config), message); break;
        case 1: exercise(*cartesia::protocol(config), message); break;
        case 2: exercise(*deepgram::speakProtocol(config), message); break;
        case 3: {
            auto m = deepgram::decode(message);
            checkPrintable(m.error);
            checkQuery(deepgram::listenQuery(config, 16000));
            break;
        }
        case 4: {
            auto m = assemblyai::decode(message);
            checkPrintable(m.error);
            checkQuery(assemblyai::streamQuery(config, 16000));
            (void)assemblyai::optionsOf(config);
            (void)assemblyai::realtimeBase(message);
            (void)assemblyai::closeCause(static_cast<uint16_t>(message.size() * 37), message);
            break;
        }
        case 5: exerciseGoogle(config, message); break;
        case 6: exerciseAnthropic(config, message); break;
    }
    return 0;
}
