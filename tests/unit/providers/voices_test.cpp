// The 11labs and cartesia voices: Vapi's fields -> their WebSocket messages, their messages
// decoded, and the shared socket engine (socket_tts.h)
// against an in-process provider speaking Cartesia's protocol: connect at open, audio per
// utterance in order, cancel, an idle close and the reconnect, failures with their cause.
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>

#include "common/crypto.h"
#include "fakes/loopback_egress.h"
#include "net/server.h"
#include "providers/cartesia/cartesia.h"
#include "providers/elevenlabs/elevenlabs.h"
#include "providers/endpoints.h"
#include "unit/providers/session_harness.h"

namespace voxa::providers {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;
using K = TtsEvent::Kind;

json::object obj(std::string_view s) { return json::parse(s).as_object(); }

TEST(ElevenLabsProtocol, VapiFieldsMapToTheUrlAndTheFirstMessage) {
    auto p = elevenlabs::protocol(obj(R"({"provider":"11labs","voiceId":"abc","model":"eleven_flash_v2_5",
        "stability":0.4,"similarityBoost":0.8,"style":0.1,"useSpeakerBoost":true,"speed":1.1,"language":"de",
        "enableSsmlParsing":true,"autoMode":true,
        "pronunciationDictionaryLocators":[{"pronunciationDictionaryId":"d1","versionId":"v1"}]})"));
    EXPECT_EQ(p->url("wss://api.elevenlabs.io"),
              "wss://api.elevenlabs.io/v1/text-to-speech/abc/multi-stream-input?model_id=eleven_flash_v2_5"
              "&output_format=pcm_16000&inactivity_timeout=180&language_code=de&enable_ssml_parsing=true&auto_mode=true");
    auto h = p->headers("xi-secret");
    ASSERT_EQ(h.size(), 1u);
    EXPECT_EQ(h[0].name, "xi-api-key");
    EXPECT_EQ(h[0].value, "xi-secret");
    auto m = p->speak("voxa-3", "Hello there.");
    ASSERT_EQ(m.size(), 3u);
    EXPECT_EQ(json::parse(m[0]), json::parse(R"({"voice_settings":{"stability":0.4,"similarity_boost":0.8,"style":0.1,
        "use_speaker_boost":true,"speed":1.1},"pronunciation_dictionary_locators":[{"pronunciation_dictionary_id":"d1",
        "version_id":"v1"}],"text":" ","context_id":"voxa-3"})"));
    EXPECT_EQ(json::parse(m[1]), json::parse(R"({"text":"Hello there. ","context_id":"voxa-3","flush":true})"));
    EXPECT_EQ(json::parse(m[2]), json::parse(R"({"context_id":"voxa-3","close_context":true})"));
    EXPECT_EQ(p->cancel("voxa-3"), "") << "barge-in closes the socket";
    EXPECT_EQ(p->goodbye(), R"({"close_socket":true})");
}

TEST(ElevenLabsProtocol, DefaultsAndOutOfRangeSettings) {
    auto p = elevenlabs::protocol(obj(R"({"provider":"11labs","voiceId":"v x","speed":3})"));
    EXPECT_EQ(p->url("ws://h"), "ws://h/v1/text-to-speech/v%20x/multi-stream-input?model_id=eleven_turbo_v2"
                                "&output_format=pcm_16000&inactivity_timeout=180");
    EXPECT_EQ(json::parse(p->speak("c", "Hi")[0]), json::parse(R"({"text":" ","context_id":"c"})"));
}

TEST(ElevenLabsProtocol, Decode) {
    auto p = elevenlabs::protocol(obj(R"({"voiceId":"v"})"));
    auto e = p->decode(R"({"audio":")" + base64Encode(std::string("\x01\x02\x03\x04", 4)) +
                       R"(","normalizedAlignment":null,"alignment":null,"contextId":"voxa-1"})");
    EXPECT_EQ(e.kind, K::Audio);
    EXPECT_EQ(e.contextId, "voxa-1");
    EXPECT_EQ(e.pcm, std::string("\x01\x02\x03\x04", 4));
    EXPECT_FALSE(e.last);
    e = p->decode(R"({"isFinal":true,"contextId":"voxa-1"})");
    EXPECT_EQ(e.kind, K::Done);
    EXPECT_EQ(e.contextId, "voxa-1");
    EXPECT_EQ(p->decode(R"({"is_final":true,"context_id":"voxa-2","audio":null})").kind, K::Done);
    e = p->decode(R"({"message":"Invalid API key","error":"invalid_api_key","code":1008})");
    EXPECT_EQ(e.kind, K::Error);
    EXPECT_EQ(e.cause, FailureCause::Unauthorized);
    EXPECT_EQ(p->decode(R"({"error":"voice_not_found","message":"x"})").cause, FailureCause::NotFound);
    EXPECT_EQ(p->decode("<html>").kind, K::Invalid);
    EXPECT_EQ(p->decode(R"({"audio":"@@@"})").kind, K::Invalid);
    EXPECT_EQ(p->decode(R"({"audio":null,"contextId":"x"})").kind, K::Ignore);
}

TEST(CartesiaProtocol, VapiFieldsMapToTheRequest) {
    auto p = cartesia::protocol(obj(R"({"provider":"cartesia","voiceId":"vid","model":"sonic-3","language":"fr",
        "experimentalControls":{"speed":"fast","emotion":"positivity:high"},"generationConfig":{"speed":1.2,"volume":0.8}})"));
    EXPECT_EQ(p->url("wss://api.cartesia.ai"), std::string("wss://api.cartesia.ai/tts/websocket?cartesia_version=") + cartesia::kVersion);
    auto h = p->headers("sk_car");
    ASSERT_EQ(h.size(), 2u);
    EXPECT_EQ(h[0].name, "x-api-key");
    EXPECT_EQ(h[0].value, "sk_car");
    EXPECT_EQ(h[1].name, "cartesia-version");
    auto m = p->speak("voxa-5", "Bonjour.");
    ASSERT_EQ(m.size(), 1u);
    EXPECT_EQ(json::parse(m[0]), json::parse(R"({"model_id":"sonic-3","voice":{"mode":"id","id":"vid",
        "__experimental_controls":{"speed":"fast","emotion":["positivity:high"]}},
        "output_format":{"container":"raw","encoding":"pcm_s16le","sample_rate":16000},"language":"fr",
        "generation_config":{"speed":1.2,"volume":0.8},"transcript":"Bonjour. ","context_id":"voxa-5","continue":false})"));
    EXPECT_EQ(json::parse(p->cancel("voxa-5")), json::parse(R"({"context_id":"voxa-5","cancel":true})"));
    EXPECT_EQ(p->goodbye(), "");
    auto d = json::parse(cartesia::protocol(obj(R"({"voiceId":"v"})"))->speak("c", "x")[0]).as_object();
    EXPECT_EQ(d.at("model_id"), "sonic-2");
    EXPECT_EQ(d.at("language"), "en");
}

TEST(CartesiaProtocol, Decode) {
    auto p = cartesia::protocol(obj(R"({"voiceId":"v"})"));
    auto e = p->decode(R"({"type":"chunk","data":")" + base64Encode("ab") +
                       R"(","done":false,"status_code":206,"step_time":1,"context_id":"voxa-1"})");
    EXPECT_EQ(e.kind, K::Audio);
    EXPECT_EQ(e.pcm, "ab");
    EXPECT_EQ(e.contextId, "voxa-1");
    EXPECT_EQ(p->decode(R"({"type":"done","done":true,"status_code":206,"context_id":"voxa-1"})").kind, K::Done);
    EXPECT_EQ(p->decode(R"({"type":"timestamps","context_id":"voxa-1","word_timestamps":{}})").kind, K::Ignore);
    e = p->decode(R"({"type":"error","done":true,"status_code":402,"error":"Payment required","context_id":"voxa-1"})");
    EXPECT_EQ(e.kind, K::Error);
    EXPECT_EQ(e.cause, FailureCause::Forbidden);
    EXPECT_EQ(p->decode(R"({"type":"error","status_code":500,"error":"x"})").cause, FailureCause::ServerError);
    EXPECT_EQ(p->decode(R"({"data":"x"})").kind, K::Invalid);
    EXPECT_EQ(p->decode("not json").kind, K::Invalid);
}

/// An in-process Cartesia: answers each request with `chunks` chunks of 0.1 s then done.
struct FakeCartesia {
    enum class Mode { Normal, Unauthorized, Silent, Hangup, Garbage };
    std::mutex mu;
    std::vector<std::string> texts;
    std::string key;
    int sockets = 0;
    int chunks = 3;
    Mode mode = Mode::Normal;
    std::shared_ptr<net::WsConnection> last;
    net::HttpServer server;

    FakeCartesia()
        : server(net::ServerOptions{.host = "127.0.0.1", .port = 0, .threads = 1},
                 [](net::HttpRequest&) -> asio::awaitable<net::HttpResponse> {
                     co_return net::HttpResponse::json(401, R"({"error":"Invalid API key"})");
                 }) {
        server.setUpgradeHandler([this](net::HttpRequest& req) -> asio::awaitable<std::optional<net::WsHandler>> {
            {
                std::lock_guard l(mu);
                key = std::string(req.header("x-api-key"));
            }
            if (mode == Mode::Unauthorized) co_return std::nullopt;
            co_return net::WsHandler([this](std::shared_ptr<net::WsConnection> ws) { return serve(this, ws); });
        });
        server.start();
    }
    ~FakeCartesia() {
        {
            std::lock_guard l(mu);
            last.reset();  // released while the server's loop still runs
        }
        server.stop();
    }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(server.port()); }

    static asio::awaitable<void> serve(FakeCartesia* self, std::shared_ptr<net::WsConnection> ws) {
        {
            std::lock_guard l(self->mu);
            ++self->sockets;
            self->last = ws;
        }
        while (auto m = co_await ws->read()) {
            json::object o;
            {
                std::lock_guard l(self->mu);
                self->texts.push_back(m->data);
                o = json::parse(m->data).as_object();
            }
            if (o.contains("cancel") || self->mode == Mode::Silent) continue;
            if (self->mode == Mode::Garbage) {
                ws->send("<html>", false);
                continue;
            }
            std::string id(o.at("context_id").as_string());
            std::string pcm(3200, '\x01');
            for (int i = 0; i < self->chunks; ++i) {
                ws->send(json::serialize(json::object{{"type", "chunk"}, {"data", base64Encode(pcm)}, {"done", false},
                                                      {"status_code", 206}, {"context_id", id}}), false);
                if (self->mode == Mode::Hangup) {
                    ws->close(1011, {});
                    co_return;
                }
            }
            ws->send(json::serialize(json::object{{"type", "done"}, {"done", true}, {"status_code", 206}, {"context_id", id}}), false);
        }
    }
    std::vector<std::string> textsSeen() {
        std::lock_guard l(mu);
        return texts;
    }
};

struct Session : test::TtsHarness {
    explicit Session(const std::string& url)
        : TtsHarness(*cartesia::makeTtsProvider(), "cartesia", url, "sk_car_secret",
                     obj(R"({"provider":"cartesia","voiceId":"v"})")) {}
};

TEST(SocketTts, ConnectsAtOpenSpeaksInOrderAndCancels) {
    FakeCartesia fake;
    Session s(fake.url());
    ASSERT_TRUE(s.runUntil([&] { std::lock_guard l(fake.mu); return fake.sockets == 1; }));
    EXPECT_EQ(fake.key, "sk_car_secret");
    s.tts->speak(1, "One.");
    s.tts->speak(2, "Two.");
    ASSERT_TRUE(s.runUntil([&] { return s.done.size() == 2; }));
    EXPECT_EQ(s.done, (std::vector<uint64_t>{1, 2}));
    EXPECT_EQ(s.samplesOf(1), 4800u);
    EXPECT_EQ(s.samplesOf(2), 4800u);
    // Barge-in: a cancel for the utterance with Cartesia, nothing of it delivered afterwards.
    fake.mode = FakeCartesia::Mode::Silent;
    s.tts->speak(3, "Three.");
    s.runUntil([&] { return fake.textsSeen().size() == 3; });
    s.tts->cancel();
    ASSERT_TRUE(s.runUntil([&] { return fake.textsSeen().size() == 4; }));
    EXPECT_EQ(json::parse(fake.textsSeen()[3]), json::parse(R"({"context_id":"voxa-3","cancel":true})"));
    s.runUntil([] { return false; }, 300ms);
    EXPECT_EQ(s.done.size(), 2u);
    EXPECT_TRUE(s.failures.empty());
    EXPECT_EQ(fake.sockets, 1);
}

TEST(SocketTts, AnIdleSocketClosedByTheProviderIsOpenedAgainAtTheNextUtterance) {
    FakeCartesia fake;
    Session s(fake.url());
    ASSERT_TRUE(s.runUntil([&] { std::lock_guard l(fake.mu); return fake.sockets == 1; }));
    {
        std::lock_guard l(fake.mu);
        auto ws = fake.last;
        asio::post(ws->executor(), [ws] { ws->close(1000, "idle"); });
    }
    s.runUntil([] { return false; }, 300ms);
    EXPECT_TRUE(s.failures.empty());
    EXPECT_EQ(fake.sockets, 1) << "not reopened before it is needed";
    s.tts->speak(1, "Again.");
    ASSERT_TRUE(s.runUntil([&] { return s.done.size() == 1; }));
    EXPECT_EQ(fake.sockets, 2);
    EXPECT_TRUE(s.failures.empty());
}

TEST(SocketTts, FailuresCarryTheirCause) {
    {
        FakeCartesia fake;
        fake.mode = FakeCartesia::Mode::Unauthorized;
        Session s(fake.url());
        ASSERT_TRUE(s.runUntil([&] { return !s.failures.empty(); }));
        EXPECT_EQ(s.failures[0].cause, FailureCause::Unauthorized);
        EXPECT_EQ(s.failures[0].message.find("sk_car_secret"), std::string::npos) << "the key is never in a message";
    }
    {
        FakeCartesia fake;
        fake.mode = FakeCartesia::Mode::Hangup;
        Session s(fake.url());
        s.tts->speak(1, "Hi.");
        ASSERT_TRUE(s.runUntil([&] { return !s.failures.empty(); }));
        EXPECT_EQ(s.failures[0].cause, FailureCause::Disconnected);
        EXPECT_EQ(s.failures.size(), 1u);
    }
    {
        FakeCartesia fake;
        fake.mode = FakeCartesia::Mode::Garbage;
        Session s(fake.url());
        s.tts->speak(1, "Hi.");
        ASSERT_TRUE(s.runUntil([&] { return !s.failures.empty(); }));
        EXPECT_EQ(s.failures[0].cause, FailureCause::BadMessage);
    }
    {
        FakeCartesia fake;
        fake.mode = FakeCartesia::Mode::Silent;
        Session s(fake.url());
        s.tts->speak(1, "Hi.");
        ASSERT_TRUE(s.runUntil([&] { return !s.failures.empty(); }, kStall + 2s));
        EXPECT_EQ(s.failures[0].cause, FailureCause::Timeout);
    }
    {
        Session s("http://127.0.0.1:1");
        ASSERT_TRUE(s.runUntil([&] { return !s.failures.empty(); }));
        EXPECT_EQ(s.failures[0].cause, FailureCause::ConnectFailed);
    }
}

}  // namespace
}  // namespace voxa::providers
