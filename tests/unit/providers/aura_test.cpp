// The deepgram voice (Aura): Vapi's DeepgramVoice -> Deepgram's model and the /v1/speak
// query, its messages decoded, and sessions against an in-process Deepgram speak socket for
// what the ordered protocol asks of the engine (providers/socket_tts.h): binary audio to the
// utterance being spoken, Flushed ends it, Clear on a barge-in with the audio until Cleared
// dropped, and a new socket past Deepgram's 20 Flush a minute.
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <mutex>

#include "fakes/loopback_egress.h"
#include "net/server.h"
#include "providers/deepgram/deepgram_tts.h"
#include "providers/endpoints.h"
#include "unit/providers/session_harness.h"

namespace voxa::providers::deepgram {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;

json::object obj(std::string_view s) { return json::parse(s).as_object(); }

TEST(AuraModel, VapiVoiceIdAndModelNameDeepgramsModel) {
    EXPECT_EQ(auraModel(obj(R"({"provider":"deepgram","voiceId":"thalia"})")), "aura-2-thalia-en") << "Aura-2 by default";
    EXPECT_EQ(auraModel(obj(R"({"voiceId":"asteria","model":"aura"})")), "aura-asteria-en");
    EXPECT_EQ(auraModel(obj(R"({"voiceId":"asteria","model":"aura-2"})")), "aura-2-asteria-en");
    EXPECT_EQ(auraModel(obj(R"({"voiceId":"stella"})")), "aura-stella-en") << "only Aura-1 has stella";
    EXPECT_EQ(auraModel(obj(R"({"voiceId":"celeste"})")), "aura-2-celeste-es");
    EXPECT_EQ(auraModel(obj(R"({"voiceId":"viktoria","model":"aura-2"})")), "aura-2-viktoria-de");
    EXPECT_EQ(auraModel(obj(R"({"voiceId":"aura-2-helena-en","model":"aura"})")), "aura-2-helena-en") << "a model name as it is";
    EXPECT_EQ(auraModel(obj(R"({"provider":"deepgram"})")), "aura-2-thalia-en");
}

TEST(AuraProtocol, UrlHeadersAndMessages) {
    auto p = speakProtocol(obj(R"({"provider":"deepgram","voiceId":"luna","model":"aura","mipOptOut":true})"));
    EXPECT_STREQ(p->provider(), "deepgram");
    EXPECT_EQ(p->url("wss://api.deepgram.com"),
              "wss://api.deepgram.com/v1/speak?model=aura-luna-en&encoding=linear16&sample_rate=16000&mip_opt_out=true");
    auto h = p->headers("dg-secret");
    ASSERT_EQ(h.size(), 1u);
    EXPECT_EQ(h[0].name, "Authorization");
    EXPECT_EQ(h[0].value, "Token dg-secret");
    auto m = p->speak("voxa-1", "Hello there.");
    ASSERT_EQ(m.size(), 2u);
    EXPECT_EQ(json::parse(m[0]), json::parse(R"({"type":"Speak","text":"Hello there."})"));
    EXPECT_EQ(json::parse(m[1]), json::parse(R"({"type":"Flush"})"));
    EXPECT_EQ(json::parse(p->cancel("")), json::parse(R"({"type":"Clear"})"));
    EXPECT_EQ(json::parse(p->goodbye()), json::parse(R"({"type":"Close"})"));
    EXPECT_TRUE(p->ordered());
    EXPECT_EQ(p->utterancesPerMinute(), 20u);
    EXPECT_EQ(speakProtocol(obj(R"({"voiceId":"thalia"})"))->url("ws://h").find("mip_opt_out"), std::string::npos);

    // A long text goes as Speak messages of at most 2,000 characters, cut at spaces, one Flush.
    std::string longText;
    while (longText.size() < 4500) longText += "word ";
    auto parts = p->speak("voxa-2", longText);
    ASSERT_EQ(parts.size(), 4u);
    std::string joined;
    for (size_t i = 0; i < 3; ++i) {
        auto o = json::parse(parts[i]).as_object();
        EXPECT_EQ(o.at("type"), "Speak");
        EXPECT_LE(o.at("text").as_string().size(), 2000u);
        joined += o.at("text").as_string();
    }
    EXPECT_EQ(joined, longText);
    EXPECT_EQ(json::parse(parts[3]), json::parse(R"({"type":"Flush"})"));
}

TEST(AuraProtocol, Decode) {
    auto p = speakProtocol(obj(R"({"voiceId":"thalia"})"));
    using K = TtsEvent::Kind;
    EXPECT_EQ(p->decode(R"({"type":"Flushed","sequence_id":0})").kind, K::Done);
    EXPECT_EQ(p->decode(R"({"type":"Cleared","sequence_id":3})").kind, K::Cleared);
    EXPECT_EQ(p->decode(R"({"type":"Metadata","request_id":"r","model_name":"aura-2-thalia-en"})").kind, K::Ignore);
    auto w = p->decode(R"({"type":"Warning","description":"Too many flushes","code":"FLUSH_LIMIT"})");
    EXPECT_EQ(w.kind, K::Ignore);
    EXPECT_NE(w.message.find("Too many flushes"), std::string::npos) << "logged";
    EXPECT_EQ(p->decode(R"({"type":"Error","description":"bad"})").kind, K::Error);
    EXPECT_EQ(p->decode(R"({"sequence_id":1})").kind, K::Invalid);
    EXPECT_EQ(p->decode("<html>502</html>").kind, K::Invalid);
    auto a = p->decodeBinary(std::string("\x01\x02\x03\x04", 4));
    EXPECT_EQ(a.kind, K::Audio);
    EXPECT_EQ(a.pcm.size(), 4u);
    EXPECT_TRUE(a.contextId.empty()) << "the utterance being spoken";
}

/// An in-process /v1/speak: per Flush, `chunks` binary chunks then Flushed (`hold`: one chunk
/// of the first and nothing more); Clear -> a stale chunk still in flight, then Cleared.
struct FakeSpeak {
    std::mutex mu;
    std::vector<std::vector<std::string>> texts;  // per socket
    std::string auth, target;
    int chunks = 2;
    std::atomic<bool> hold{false};  // the first Flush: one chunk, the rest never (a long utterance)
    net::HttpServer server;

    FakeSpeak()
        : server(net::ServerOptions{.host = "127.0.0.1", .port = 0, .threads = 1},
                 [](net::HttpRequest&) -> asio::awaitable<net::HttpResponse> {
                     co_return net::HttpResponse::json(401, R"({"err_code":"INVALID_AUTH","err_msg":"Invalid credentials."})");
                 }) {
        server.setUpgradeHandler([this](net::HttpRequest& req) -> asio::awaitable<std::optional<net::WsHandler>> {
            {
                std::lock_guard l(mu);
                auth = std::string(req.header("authorization"));
                target = req.target;
            }
            if (auth != "Token dg-secret") co_return std::nullopt;
            co_return net::WsHandler([this](std::shared_ptr<net::WsConnection> ws) { return serve(this, ws); });
        });
        server.start();
    }
    ~FakeSpeak() { server.stop(); }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(server.port()); }

    static asio::awaitable<void> serve(FakeSpeak* self, std::shared_ptr<net::WsConnection> ws) {
        size_t socket;
        {
            std::lock_guard l(self->mu);
            socket = self->texts.size();
            self->texts.emplace_back();
        }
        ws->send(R"({"type":"Metadata","request_id":"r","model_name":"aura-2-thalia-en"})", false);
        int seq = 0;
        while (auto m = co_await ws->read()) {
            std::string type;
            {
                std::lock_guard l(self->mu);
                self->texts[socket].push_back(m->data);
                type = std::string(json::parse(m->data).as_object().at("type").as_string());
            }
            if (type == "Flush") {
                int n = !self->hold ? self->chunks : seq == 0 ? 1 : 0;
                for (int i = 0; i < n; ++i) ws->send(std::string(3200, '\x01'), true);
                if (!self->hold) ws->send(json::serialize(json::object{{"type", "Flushed"}, {"sequence_id", seq}}), false);
                ++seq;
            } else if (type == "Clear") {
                ws->send(std::string(3200, '\x02'), true);  // audio already on its way
                ws->send(json::serialize(json::object{{"type", "Cleared"}, {"sequence_id", seq - 1}}), false);
            } else if (type == "Close") {
                ws->close(1000, {});
                break;
            }
        }
    }
    std::vector<std::vector<std::string>> seen() {
        std::lock_guard l(mu);
        return texts;
    }
};

struct Session : test::TtsHarness {
    explicit Session(const std::string& url, std::string key = "dg-secret")
        : TtsHarness(*makeTtsProvider(), "deepgram", url, std::move(key),
                     obj(R"({"provider":"deepgram","voiceId":"thalia"})")) {}
};

TEST(AuraSession, AudioGoesToTheUtteranceBeingSpokenAndFlushedEndsIt) {
    FakeSpeak fake;
    Session s(fake.url());
    ASSERT_TRUE(s.runUntil([&] { return fake.seen().size() == 1; })) << "opened with the session";
    EXPECT_EQ(fake.target, "/v1/speak?model=aura-2-thalia-en&encoding=linear16&sample_rate=16000");
    s.tts->speak(1, "One.");
    s.tts->speak(2, "Two.");
    ASSERT_TRUE(s.runUntil([&] { return s.done.size() == 2; }));
    EXPECT_EQ(s.done, (std::vector<uint64_t>{1, 2}));
    EXPECT_EQ(s.samplesOf(1), 3200u);
    EXPECT_EQ(s.samplesOf(2), 3200u);
    EXPECT_EQ(fake.seen()[0], (std::vector<std::string>{R"({"type":"Speak","text":"One."})", R"({"type":"Flush"})",
                                                        R"({"type":"Speak","text":"Two."})", R"({"type":"Flush"})"}));
    s.tts->close();
    ASSERT_TRUE(s.runUntil([&] { return fake.seen()[0].back() == R"({"type":"Close"})"; }));
    EXPECT_TRUE(s.failures.empty());
}

TEST(AuraSession, ABargeInSendsOneClearAndNothingOfTheClearedAudioIsPlayed) {
    FakeSpeak fake;
    fake.hold = true;
    Session s(fake.url());
    s.tts->speak(1, "A long sentence.");
    s.tts->speak(2, "Another one.");
    ASSERT_TRUE(s.runUntil([&] { return s.samplesOf(1) == 1600; }));
    s.tts->cancel();
    fake.hold = false;
    s.tts->speak(3, "Sure.");
    ASSERT_TRUE(s.runUntil([&] { return !s.done.empty(); }));
    EXPECT_EQ(s.done, (std::vector<uint64_t>{3}));
    EXPECT_EQ(s.samplesOf(1), 1600u) << "the audio sent before Cleared was the cleared utterances'";
    EXPECT_EQ(s.samplesOf(2), 0u);
    EXPECT_EQ(s.samplesOf(3), 3200u);
    for (auto& [id, pcm] : s.audio)
        if (id == 3) EXPECT_EQ(pcm[0], 0x0101) << "none of the stale \\x02 chunk";
    auto texts = fake.seen()[0];
    EXPECT_EQ(std::count(texts.begin(), texts.end(), R"({"type":"Clear"})"), 1) << "one Clear stops them all";
    EXPECT_TRUE(s.failures.empty());
}

TEST(AuraSession, PastTwentyUtterancesAMinuteTheNextGoesOnANewSocket) {
    FakeSpeak fake;
    Session s(fake.url());
    for (uint64_t id = 1; id <= 21; ++id) s.tts->speak(id, "Line " + std::to_string(id) + ".");
    ASSERT_TRUE(s.runUntil([&] { return s.done.size() == 21; }, 10s));
    for (uint64_t id = 1; id <= 21; ++id) EXPECT_EQ(s.done[id - 1], id);
    auto sockets = fake.seen();
    ASSERT_EQ(sockets.size(), 2u);
    EXPECT_EQ(std::count(sockets[0].begin(), sockets[0].end(), R"({"type":"Flush"})"), 20);
    EXPECT_EQ(sockets[0].back(), R"({"type":"Close"})");
    EXPECT_EQ(std::count(sockets[1].begin(), sockets[1].end(), R"({"type":"Flush"})"), 1);
    EXPECT_TRUE(s.failures.empty());
}

TEST(AuraSession, AWrongKeyIsUnauthorized) {
    FakeSpeak fake;
    Session s(fake.url(), "dg-wrong");
    ASSERT_TRUE(s.runUntil([&] { return !s.failures.empty(); }));
    EXPECT_EQ(s.failures[0].cause, FailureCause::Unauthorized);
    EXPECT_EQ(s.failures[0].message.find("dg-wrong"), std::string::npos) << "the key is never in a message";
}

}  // namespace
}  // namespace voxa::providers::deepgram
