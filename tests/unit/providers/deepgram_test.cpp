// The deepgram transcriber: Vapi's fields -> the /v1/listen query, Deepgram's messages
// decoded, and one session against an in-process Deepgram (HttpServer + WebSocket) for the
// order of things: connect at open, audio, Finalize -> final, CloseStream, failures.
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>

#include "fakes/loopback_egress.h"
#include "net/server.h"
#include "providers/deepgram/deepgram.h"
#include "providers/endpoints.h"
#include "unit/providers/session_harness.h"

namespace voxa::providers::deepgram {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;

json::object obj(std::string_view s) { return json::parse(s).as_object(); }

TEST(DeepgramQuery, VapiFieldsMapToTheListenQuery) {
    auto q = listenQuery(obj(R"({"provider":"deepgram","model":"nova-2-phonecall","language":"en-US",
        "smartFormat":true,"numerals":true,"profanityFilter":true,"redaction":["pci","ssn"],
        "endpointing":255,"keywords":["Voxa:2","appointment"],"keyterm":["ignored"]})"), 16000);
    EXPECT_EQ(q, "model=nova-2-phonecall&language=en-US&encoding=linear16&sample_rate=16000&channels=1"
                 "&interim_results=true&punctuate=true&smart_format=true&numerals=true&profanity_filter=true"
                 "&redact=pci&redact=ssn&endpointing=255&utterance_end_ms=1000&vad_events=true"
                 "&keywords=Voxa%3A2&keywords=appointment");
}

TEST(DeepgramQuery, DefaultsAndNova3Keyterms) {
    auto q = listenQuery(obj(R"({"provider":"deepgram"})"), 16000);
    EXPECT_EQ(q, "model=nova-2&language=en&encoding=linear16&sample_rate=16000&channels=1"
                 "&interim_results=true&punctuate=true&smart_format=false&endpointing=300"
                 "&utterance_end_ms=1000&vad_events=true");
    q = listenQuery(obj(R"({"model":"nova-3","keyterm":["tooth ache"],"keywords":["no"],"endpointing":5000})"), 8000);
    EXPECT_NE(q.find("&keyterm=tooth%20ache"), std::string::npos) << q;
    EXPECT_EQ(q.find("keywords="), std::string::npos) << q;
    EXPECT_NE(q.find("&sample_rate=8000&"), std::string::npos);
    EXPECT_NE(q.find("&endpointing=300"), std::string::npos) << "out of Vapi's 10..500: the default";
}

TEST(DeepgramDecode, ResultsAndEvents) {
    auto m = decode(R"({"type":"Results","channel_index":[0,1],"duration":1.5,"start":0.25,"is_final":true,
        "speech_final":true,"from_finalize":true,"channel":{"alternatives":[{"transcript":"Hello there.",
        "confidence":0.98,"words":[]}]},"metadata":{"request_id":"r"}})");
    EXPECT_EQ(m.kind, ServerMessage::Kind::Results);
    EXPECT_EQ(m.transcript, "Hello there.");
    EXPECT_DOUBLE_EQ(m.confidence, 0.98);
    EXPECT_TRUE(m.isFinal && m.speechFinal && m.fromFinalize);
    EXPECT_DOUBLE_EQ(m.start, 0.25);
    EXPECT_DOUBLE_EQ(m.duration, 1.5);
    EXPECT_EQ(decode(R"({"type":"SpeechStarted","channel":[0,1],"timestamp":0.1})").kind, ServerMessage::Kind::SpeechStarted);
    EXPECT_EQ(decode(R"({"type":"UtteranceEnd","channel":[0,1],"last_word_end":2.3})").kind, ServerMessage::Kind::UtteranceEnd);
    EXPECT_EQ(decode(R"({"type":"Metadata","request_id":"r"})").kind, ServerMessage::Kind::Metadata);
    EXPECT_EQ(decode(R"({"type":"SomethingNew"})").kind, ServerMessage::Kind::Unknown);
    EXPECT_EQ(decode("<html>502</html>").kind, ServerMessage::Kind::Invalid);
    EXPECT_EQ(decode(R"({"no":"type"})").kind, ServerMessage::Kind::Invalid);
    EXPECT_EQ(decode(R"({"type":"Results","channel":{}})").kind, ServerMessage::Kind::Invalid);
    auto e = decode(R"({"type":"Error","description":"bad audio","message":"x"})");
    EXPECT_EQ(e.kind, ServerMessage::Kind::Error);
    EXPECT_EQ(e.error, "bad audio");
}

std::string results(std::string text, double confidence, bool fromFinalize, double start, double duration) {
    json::object alt{{"transcript", text}, {"confidence", confidence}, {"words", json::array{}}};
    json::object m{{"type", "Results"}, {"channel_index", json::array{0, 1}}, {"start", start},
                   {"duration", duration}, {"is_final", true}, {"speech_final", true},
                   {"from_finalize", fromFinalize},
                   {"channel", json::object{{"alternatives", json::array{alt}}}}};
    return json::serialize(m);
}

/// An in-process Deepgram: records what it gets; answers Finalize with `finalText`.
struct FakeDeepgram {
    enum class Mode { Normal, Unauthorized, Garbage, Hangup };
    std::mutex mu;
    std::string target, auth;
    std::vector<std::string> texts;
    size_t audioBytes = 0;
    std::string finalText = "Hello there.";
    double finalConfidence = 0.9;
    Mode mode = Mode::Normal;
    std::atomic<bool> closed{false};
    net::HttpServer server;

    FakeDeepgram()
        : server(net::ServerOptions{.host = "127.0.0.1", .port = 0, .threads = 1},
                 [](net::HttpRequest&) -> asio::awaitable<net::HttpResponse> {
                     co_return net::HttpResponse::json(401, R"({"err_code":"INVALID_AUTH","err_msg":"Invalid credentials."})");
                 }) {
        server.setUpgradeHandler([this](net::HttpRequest& req) -> asio::awaitable<std::optional<net::WsHandler>> {
            {
                std::lock_guard l(mu);
                target = req.target;
                auth = std::string(req.header("authorization"));
            }
            if (mode == Mode::Unauthorized) co_return std::nullopt;
            co_return net::WsHandler([this](std::shared_ptr<net::WsConnection> ws) { return serve(this, ws); });
        });
        server.start();
    }
    ~FakeDeepgram() { server.stop(); }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(server.port()); }

    static asio::awaitable<void> serve(FakeDeepgram* self, std::shared_ptr<net::WsConnection> ws) {
        double seconds = 0;
        while (auto m = co_await ws->read()) {
            if (m->binary) {
                std::lock_guard l(self->mu);
                self->audioBytes += m->data.size();
                seconds += m->data.size() / 32000.0;
                if (self->mode == Mode::Garbage) ws->send("not json", false);
                if (self->mode == Mode::Hangup) {
                    ws->close(1011, "NET-0000");
                    break;
                }
                continue;
            }
            std::string type;
            {
                std::lock_guard l(self->mu);
                self->texts.push_back(m->data);
                type = std::string(json::parse(m->data).as_object().at("type").as_string());
            }
            if (type == "Finalize") ws->send(results(self->finalText, self->finalConfidence, true, 0, seconds), false);
            if (type == "CloseStream") {
                ws->send(R"({"type":"Metadata","request_id":"r","duration":1,"channels":1})", false);
                ws->close(1000, {});
                break;
            }
        }
        self->closed = true;
    }
    std::vector<std::string> textsSeen() {
        std::lock_guard l(mu);
        return texts;
    }
};

struct Session : test::SttHarness {
    explicit Session(const std::string& url, json::object cfg = obj(R"({"provider":"deepgram","model":"nova-2"})"))
        : SttHarness(*makeSttProvider(), "deepgram", url, "dg-secret", cfg) {}
};

TEST(DeepgramSession, ConnectsAtOpenThenAudioFinalizeAndCloseStream) {
    FakeDeepgram dg;
    Session s(dg.url());
    // The connection opens with the session, before any audio.
    ASSERT_TRUE(s.runUntil([&] { std::lock_guard l(dg.mu); return !dg.target.empty(); }));
    {
        std::lock_guard l(dg.mu);
        EXPECT_TRUE(dg.target.starts_with("/v1/listen?model=nova-2&")) << dg.target;
        EXPECT_EQ(dg.auth, "Token dg-secret");
    }
    std::vector<int16_t> pcm(16000, 1000);  // 1 s
    s.stt->sendAudio(pcm);
    s.stt->finalize();
    ASSERT_TRUE(s.runUntil([&] { return !s.transcripts.empty(); }));
    EXPECT_EQ(s.transcripts[0].text, "Hello there.");
    EXPECT_TRUE(s.transcripts[0].isFinal);
    EXPECT_EQ(dg.audioBytes, 32000u);
    s.stt->close();
    ASSERT_TRUE(s.runUntil([&] { return dg.closed.load(); }));
    auto texts = dg.textsSeen();
    ASSERT_EQ(texts.size(), 2u);
    EXPECT_EQ(texts[0], R"({"type":"Finalize"})");
    EXPECT_EQ(texts[1], R"({"type":"CloseStream"})");
    EXPECT_TRUE(s.errors.empty());
}

TEST(DeepgramSession, BelowTheConfidenceThresholdTheFinalIsEmpty) {
    FakeDeepgram dg;
    dg.finalConfidence = 0.2;
    Session s(dg.url(), obj(R"({"provider":"deepgram","confidenceThreshold":0.5})"));
    std::vector<int16_t> pcm(8000, 1000);
    s.stt->sendAudio(pcm);  // queued until the connection is open
    s.stt->finalize();
    ASSERT_TRUE(s.runUntil([&] { return !s.transcripts.empty(); }));
    EXPECT_EQ(s.transcripts[0].text, "");
    EXPECT_TRUE(s.transcripts[0].isFinal);
    EXPECT_EQ(dg.audioBytes, 16000u);
}

TEST(DeepgramSession, KeepAliveWhileSilent) {
    FakeDeepgram dg;
    Session s(dg.url());
    s.runUntil([&] { return false; }, 4500ms);
    auto texts = dg.textsSeen();
    ASSERT_FALSE(texts.empty());
    EXPECT_EQ(texts[0], R"({"type":"KeepAlive"})");
}

TEST(DeepgramSession, FailuresCarryTheirCause) {
    {
        FakeDeepgram dg;
        dg.mode = FakeDeepgram::Mode::Unauthorized;
        Session s(dg.url());
        ASSERT_TRUE(s.runUntil([&] { return !s.errors.empty(); }));
        EXPECT_EQ(s.errors[0].cause, FailureCause::Unauthorized);
        EXPECT_TRUE(s.errors[0].fatal);
        EXPECT_EQ(s.errors[0].message.find("dg-secret"), std::string::npos) << "the key is never in a message";
    }
    {
        FakeDeepgram dg;
        dg.mode = FakeDeepgram::Mode::Garbage;
        Session s(dg.url());
        std::vector<int16_t> pcm(320, 1000);
        s.stt->sendAudio(pcm);
        ASSERT_TRUE(s.runUntil([&] { return !s.errors.empty(); }));
        EXPECT_EQ(s.errors[0].cause, FailureCause::BadMessage);
    }
    {
        FakeDeepgram dg;
        dg.mode = FakeDeepgram::Mode::Hangup;
        Session s(dg.url());
        std::vector<int16_t> pcm(320, 1000);
        s.stt->sendAudio(pcm);
        ASSERT_TRUE(s.runUntil([&] { return !s.errors.empty(); }));
        EXPECT_EQ(s.errors[0].cause, FailureCause::Disconnected);
        EXPECT_EQ(s.errors.size(), 1u);
    }
    {
        // A credential's apiUrl is org configuration: loopback is refused by the egress
        // policy (the operator's --provider-url would not be).
        FakeDeepgram dg;
        asio::io_context io;
        Context ctx;
        ctx.executor = io.get_executor();
        ctx.credentials["deepgram"] = {.apiKey = "k", .apiUrl = dg.url()};
        std::vector<ProviderError> errors;
        auto stt = makeSttProvider()->open(obj(R"({"provider":"deepgram"})"), ctx,
                                           {.onTranscript = [](const Transcript&) {},
                                            .onError = [&](const ProviderError& e) { errors.push_back(e); }});
        io.run_for(2s);
        ASSERT_EQ(errors.size(), 1u);
        EXPECT_EQ(errors[0].cause, FailureCause::ConnectFailed);
        EXPECT_NE(errors[0].message.find("egress"), std::string::npos) << errors[0].message;
        std::lock_guard l(dg.mu);
        EXPECT_TRUE(dg.target.empty()) << "nothing reached the server";
    }
    {
        Session s("http://127.0.0.1:1");
        ASSERT_TRUE(s.runUntil([&] { return !s.errors.empty(); }));
        EXPECT_EQ(s.errors[0].cause, FailureCause::ConnectFailed);
    }
}

}  // namespace
}  // namespace voxa::providers::deepgram
