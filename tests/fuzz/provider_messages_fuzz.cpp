// libFuzzer target: the cloud speech providers' wire formats (scripts/fuzz.sh builds and
// runs it): what each provider can send back is decoded without crashing, and what Voxa
// sends is built from any voice config the API might hold.
//
// Input: byte 0 picks the provider (11labs, cartesia and Deepgram Aura voices; Deepgram and
// AssemblyAI transcribers); the rest is "<config JSON>\0<provider message>"
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
#include "providers/assemblyai/assemblyai.h"
#include "providers/cartesia/cartesia.h"
#include "providers/deepgram/deepgram.h"
#include "providers/deepgram/deepgram_tts.h"
#include "providers/elevenlabs/elevenlabs.h"

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
    switch (data[0] % 5) {
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
    }
    return 0;
}
