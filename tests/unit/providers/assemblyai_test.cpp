// The assembly-ai transcriber: Vapi's fields -> the /v3/ws query, close codes -> causes,
// AssemblyAI's messages decoded, and sessions against an in-process AssemblyAI (HttpServer +
// WebSocket) for the order of things: connect at open, audio in 50-1000 ms chunks,
// ForceEndpoint -> the formatted final, Terminate, and each failure's cause.
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>

#include "fakes/loopback_egress.h"
#include "net/server.h"
#include "providers/assemblyai/assemblyai.h"
#include "providers/endpoints.h"
#include "unit/providers/session_harness.h"

namespace voxa::providers::assemblyai {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;

json::object obj(std::string_view s) { return json::parse(s).as_object(); }

TEST(AssemblyAiQuery, VapiDefaults) {
    EXPECT_EQ(streamQuery(obj(R"({"provider":"assembly-ai"})"), 16000),
              "sample_rate=16000&encoding=pcm_s16le&speech_model=universal-streaming-english&format_turns=true"
              "&end_of_turn_confidence_threshold=0.7&min_turn_silence=160&max_turn_silence=400");
}

TEST(AssemblyAiQuery, VapiFieldsMapToTheQuery) {
    auto q = streamQuery(obj(R"({"provider":"assembly-ai","language":"multi","formatTurns":false,
        "endOfTurnConfidenceThreshold":0.55,"minEndOfTurnSilenceWhenConfident":240,"maxTurnSilence":1280,
        "keytermsPrompt":["Voxa","tooth ache"],"wordBoost":["Voxa","Kubernetes"],
        "prompt":"only for universal-3-5-pro","confidenceThreshold":0.9})"), 16000);
    EXPECT_EQ(q, "sample_rate=16000&encoding=pcm_s16le&speech_model=universal-streaming-multilingual"
                 "&format_turns=false&end_of_turn_confidence_threshold=0.55&min_turn_silence=240"
                 "&max_turn_silence=1280"
                 "&keyterms_prompt=%5B%22Voxa%22%2C%22tooth%20ache%22%2C%22Kubernetes%22%5D");
}

TEST(AssemblyAiQuery, Universal35ProAndBounds) {
    auto q = streamQuery(obj(R"({"speechModel":"universal-3-5-pro","formatTurns":true,"mode":"min_latency",
        "prompt":"A dental clinic.","agentContext":"You book appointments.","languageCodes":["en","es"],
        "endOfTurnConfidenceThreshold":7,"maxTurnSilence":-1})"), 8000);
    EXPECT_EQ(q, "sample_rate=8000&encoding=pcm_s16le&speech_model=universal-3-5-pro"
                 "&min_turn_silence=160&max_turn_silence=400&prompt=A%20dental%20clinic."
                 "&agent_context=You%20book%20appointments.&mode=min_latency"
                 "&language_codes=%5B%22en%22%2C%22es%22%5D")
        << "no format_turns (always formatted), no confidence threshold (punctuation ends turns), "
           "out-of-range values fall back to the defaults";
    std::string many = R"({"keytermsPrompt":[)";
    for (int i = 0; i < 150; ++i) many += std::string(i ? "," : "") + "\"term" + std::to_string(i) + "\"";
    many += R"(,"this keyterm is far longer than fifty characters, so it is dropped"]})";
    q = streamQuery(obj(many), 16000);
    EXPECT_NE(q.find("term99%22%5D"), std::string::npos) << "the first 100 terms";
    EXPECT_EQ(q.find("term100"), std::string::npos);
    EXPECT_EQ(streamQuery(obj(R"({"speechModel":"nonsense","keytermsPrompt":[1,""]})"), 16000).find("keyterms"),
              std::string::npos);
}

TEST(AssemblyAiRealtimeUrl, OnlyAssemblyAisOwnHostsGetTheKey) {
    EXPECT_EQ(realtimeBase("wss://streaming.eu.assemblyai.com/v3/ws"), "wss://streaming.eu.assemblyai.com/v3/ws");
    EXPECT_EQ(realtimeBase("wss://streaming.assemblyai.com"), "wss://streaming.assemblyai.com/v3/ws");
    EXPECT_EQ(realtimeBase("wss://streaming.assemblyai.com/v3/ws?sample_rate=8000"),
              "wss://streaming.assemblyai.com/v3/ws");
    EXPECT_EQ(realtimeBase("ws://streaming.assemblyai.com/v3/ws"), std::nullopt) << "TLS only";
    EXPECT_EQ(realtimeBase("wss://evil.example.com/v3/ws"), std::nullopt);
    EXPECT_EQ(realtimeBase("wss://evilassemblyai.com/v3/ws"), std::nullopt);
    EXPECT_EQ(realtimeBase("wss://assemblyai.com.evil.com/v3/ws"), std::nullopt);
    EXPECT_EQ(realtimeBase("wss://user@streaming.assemblyai.com/v3/ws"), std::nullopt);
    EXPECT_EQ(realtimeBase("wss://streaming.assemblyai.com:8443/v3/ws"), std::nullopt);
    EXPECT_EQ(realtimeBase("https://streaming.assemblyai.com/v3/ws"), std::nullopt);
}

TEST(AssemblyAiCloseCodes, MapToCauses) {
    EXPECT_EQ(closeCause(1008, "Unauthorized Connection: Missing Authorization header"), FailureCause::Unauthorized);
    EXPECT_EQ(closeCause(1008, "Unauthorized Connection: Invalid API key"), FailureCause::Unauthorized);
    EXPECT_EQ(closeCause(1008, "Unauthorized Connection: Insufficient account balance"), FailureCause::Forbidden);
    EXPECT_EQ(closeCause(1008, "Unauthorized connection: Too many concurrent sessions"), FailureCause::Other);
    EXPECT_EQ(closeCause(4001, "Not Authorized"), FailureCause::Unauthorized);
    EXPECT_EQ(closeCause(4002, ""), FailureCause::Forbidden);
    EXPECT_EQ(closeCause(3005, "Session Cancelled: An error occurred"), FailureCause::ServerError);
    EXPECT_EQ(closeCause(3006, "Invalid JSON: {"), FailureCause::BadRequest);
    EXPECT_EQ(closeCause(3007, "Input duration violation: 20 ms. Expected between 50 and 1000 ms"),
              FailureCause::BadRequest);
    EXPECT_EQ(closeCause(3008, "Session Expired: Maximum session duration exceeded"), FailureCause::Other);
    EXPECT_EQ(closeCause(3009, "Unauthorized Connection: Too many concurrent sessions"), FailureCause::Other);
}

TEST(AssemblyAiDecode, MessagesAndGarbage) {
    auto m = decode(R"({"type":"Turn","turn_order":2,"turn_is_formatted":false,"end_of_turn":false,
        "transcript":"hi my","end_of_turn_confidence":0.001,"utterance":"",
        "words":[{"start":1,"end":2,"text":"hi","confidence":0.8,"word_is_final":true},
                 {"start":3,"end":4,"text":"my","confidence":0.6,"word_is_final":true},
                 {"start":5,"end":6,"text":"name","confidence":1.0,"word_is_final":false}]})");
    EXPECT_EQ(m.kind, ServerMessage::Kind::Turn);
    EXPECT_EQ(m.turnOrder, 2);
    EXPECT_FALSE(m.endOfTurn);
    EXPECT_FALSE(m.formatted);
    EXPECT_EQ(m.transcript, "hi my");
    EXPECT_EQ(m.words, "hi my name");
    EXPECT_NEAR(m.confidence, 0.8, 1e-9);
    m = decode(R"({"type":"Turn","turn_order":0,"turn_is_formatted":true,"end_of_turn":true,"transcript":"Hi.","words":[]})");
    EXPECT_TRUE(m.endOfTurn && m.formatted);
    EXPECT_EQ(m.confidence, -1);
    auto b = decode(R"({"type":"Begin","id":"de5d9927-73a6-4be8-b52d-b4c07be37e6b","expires_at":1759796682})");
    EXPECT_EQ(b.kind, ServerMessage::Kind::Begin);
    EXPECT_EQ(b.id, "de5d9927-73a6-4be8-b52d-b4c07be37e6b");
    EXPECT_EQ(decode(R"({"type":"Termination","audio_duration_seconds":1,"session_duration_seconds":2})").kind,
              ServerMessage::Kind::Termination);
    auto e = decode(R"({"type":"Error","error_code":3008,"error":"Session Expired"})");
    EXPECT_EQ(e.kind, ServerMessage::Kind::Error);
    EXPECT_EQ(e.errorCode, 3008);
    EXPECT_EQ(e.error, "Session Expired");
    EXPECT_EQ(decode(R"({"error":"Not authorized"})").kind, ServerMessage::Kind::Error);
    EXPECT_EQ(decode(R"({"type":"SpeechStarted","timestamp":10})").kind, ServerMessage::Kind::Other);
    EXPECT_EQ(decode(R"({"type":"Heartbeat","total_audio_received_ms":1})").kind, ServerMessage::Kind::Other);
    EXPECT_EQ(decode("<html>502</html>").kind, ServerMessage::Kind::Invalid);
    EXPECT_EQ(decode(R"({"no":"type"})").kind, ServerMessage::Kind::Invalid);
    EXPECT_EQ(decode(R"({"type":"Turn","turn_order":"x","end_of_turn":true,"transcript":""})").kind,
              ServerMessage::Kind::Invalid);
    EXPECT_EQ(decode(R"({"type":"Turn","turn_order":1,"end_of_turn":true,"transcript":"","words":{}})").kind,
              ServerMessage::Kind::Invalid);
    EXPECT_EQ(decode("[]").kind, ServerMessage::Kind::Invalid);
}

std::string turn(int order, bool eot, bool formatted, std::string transcript, double confidence,
                 std::vector<std::string> words) {
    json::array ws;
    for (size_t i = 0; i < words.size(); ++i)
        ws.push_back(json::object{{"start", i * 100}, {"end", i * 100 + 80}, {"text", words[i]},
                                  {"confidence", confidence}, {"word_is_final", eot || i + 1 < words.size()}});
    return json::serialize(json::object{{"type", "Turn"}, {"turn_order", order}, {"turn_is_formatted", formatted},
                                        {"end_of_turn", eot}, {"transcript", transcript},
                                        {"end_of_turn_confidence", eot ? 0.9 : 0.01}, {"words", ws}});
}

/// An in-process AssemblyAI: records what it gets; answers ForceEndpoint with the end of
/// the turn (and its formatted copy when format_turns=true).
struct FakeAssemblyAi {
    enum class Mode { Normal, HttpUnauthorized, ErrorFrame, CloseOnly, Garbage, Stall, Drop, Huge, NoFormatted };
    std::mutex mu;
    std::string target, auth;
    std::vector<std::string> texts;
    std::vector<size_t> chunks;
    std::vector<std::chrono::steady_clock::time_point> arrivals;  // of each chunk
    double confidence = 0.9;
    Mode mode = Mode::Normal;
    uint16_t closeCode = 1008;
    std::string closeReason = "Unauthorized Connection: Missing Authorization header";
    std::atomic<bool> closed{false};
    net::HttpServer server;

    FakeAssemblyAi()
        : server(net::ServerOptions{.host = "127.0.0.1", .port = 0, .threads = 1},
                 [](net::HttpRequest&) -> asio::awaitable<net::HttpResponse> {
                     co_return net::HttpResponse::json(401, R"({"error":"Invalid API key"})");
                 }) {
        server.setUpgradeHandler([this](net::HttpRequest& req) -> asio::awaitable<std::optional<net::WsHandler>> {
            {
                std::lock_guard l(mu);
                target = req.target;
                auth = std::string(req.header("authorization"));
            }
            if (mode == Mode::HttpUnauthorized) co_return std::nullopt;
            co_return net::WsHandler([this](std::shared_ptr<net::WsConnection> ws) { return serve(this, ws); });
        });
        server.start();
    }
    ~FakeAssemblyAi() { server.stop(); }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(server.port()); }

    static asio::awaitable<void> serve(FakeAssemblyAi* self, std::shared_ptr<net::WsConnection> ws) {
        auto mode = self->mode;
        if (mode == Mode::ErrorFrame) {
            ws->send(R"({"type":"Error","error_code":1008,"error":"Unauthorized Connection: Invalid API key"})", false);
            ws->close(1008, "See Error message for details");
        } else if (mode == Mode::CloseOnly) {
            ws->close(self->closeCode, self->closeReason);
        } else {
            ws->send(R"({"type":"Begin","id":"s-1","expires_at":1759796682})", false);
        }
        size_t segment = 0;
        int order = 0;
        bool partial = false;
        bool formatTurns = self->target.find("format_turns=true") != std::string::npos;
        while (auto m = co_await ws->read()) {
            if (m->binary) {
                {
                    std::lock_guard l(self->mu);
                    self->chunks.push_back(m->data.size());
                    self->arrivals.push_back(std::chrono::steady_clock::now());
                }
                segment += m->data.size();
                if (mode == Mode::Garbage) ws->send("<html>502 Bad Gateway</html>", false);
                if (mode == Mode::Huge) ws->send(std::string(300 * 1024, ' ') + "{}", false);
                if (mode == Mode::Drop) break;
                if (mode == Mode::Normal && !partial && segment >= 16000) {
                    partial = true;
                    ws->send(turn(order, false, false, "hello", self->confidence, {"hello", "there"}), false);
                }
                continue;
            }
            {
                std::lock_guard l(self->mu);
                self->texts.push_back(m->data);
            }
            if (mode == Mode::Stall) continue;
            auto type = json::parse(m->data).as_object().at("type").as_string();
            if (type == "ForceEndpoint" && segment) {
                ws->send(turn(order, true, false, "hello there", self->confidence, {"hello", "there"}), false);
                if (formatTurns && mode != Mode::NoFormatted)
                    ws->send(turn(order, true, true, "Hello there.", self->confidence, {"Hello", "there."}), false);
                ++order;
                segment = 0;
                partial = false;
            }
            if (type == "Terminate") {
                ws->send(R"({"type":"Termination","audio_duration_seconds":1,"session_duration_seconds":2})", false);
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
    explicit Session(const std::string& url, json::object cfg = obj(R"({"provider":"assembly-ai"})"))
        : SttHarness(*makeSttProvider(), "assembly-ai", url, "aai-secret", cfg) {}
};

TEST(AssemblyAiSession, ConnectsAtOpenChunksAudioForcesTheEndpointAndTerminates) {
    FakeAssemblyAi aai;
    Session s(aai.url());
    ASSERT_TRUE(s.runUntil([&] { std::lock_guard l(aai.mu); return !aai.target.empty(); }));
    {
        std::lock_guard l(aai.mu);
        EXPECT_TRUE(aai.target.starts_with("/v3/ws?sample_rate=16000&encoding=pcm_s16le&")) << aai.target;
        EXPECT_EQ(aai.auth, "aai-secret") << "the raw key, no scheme";
    }
    s.speak(1010);  // 1.01 s: 16 chunks of 60 ms and 50 ms left over
    ASSERT_TRUE(s.runUntil([&] { return !s.transcripts.empty(); }));
    EXPECT_EQ(s.transcripts[0].text, "hello there") << "a partial: every word so far";
    EXPECT_FALSE(s.transcripts[0].isFinal);
    s.stt->finalize();
    ASSERT_TRUE(s.runUntil([&] { return !s.finals().empty(); }));
    EXPECT_EQ(s.finals()[0].text, "Hello there.") << "the formatted Turn";
    EXPECT_NEAR(s.finals()[0].confidence, 0.9, 1e-9);
    s.stt->close();
    ASSERT_TRUE(s.runUntil([&] { return aai.closed.load(); }));
    EXPECT_EQ(s.finals().size(), 1u) << "one final per turn, not the unformatted one too";
    auto texts = aai.textsSeen();
    ASSERT_EQ(texts.size(), 2u);
    EXPECT_EQ(texts[0], R"({"type":"ForceEndpoint"})");
    EXPECT_EQ(texts[1], R"({"type":"Terminate"})");
    std::lock_guard l(aai.mu);
    size_t total = 0;
    for (auto n : aai.chunks) {
        EXPECT_GE(n, 1600u) << "at least 50 ms";
        EXPECT_LE(n, 32000u) << "at most 1000 ms";
        total += n;
    }
    EXPECT_EQ(total, 32320u) << "all the audio, the tail padded to 50 ms";
    EXPECT_TRUE(s.errors.empty());
}

TEST(AssemblyAiSession, EndOfSpeechWithNothingHeardIsAnEmptyFinal) {
    FakeAssemblyAi aai;
    Session s(aai.url());
    ASSERT_TRUE(s.runUntil([&] { std::lock_guard l(aai.mu); return !aai.target.empty(); }));
    s.runUntil([] { return false; }, 200ms);
    auto t0 = std::chrono::steady_clock::now();
    s.stt->finalize();
    ASSERT_TRUE(s.runUntil([&] { return !s.finals().empty(); }, 2s));
    EXPECT_EQ(s.finals()[0].text, "");
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s) << "answered at once: no audio was unanswered";
    EXPECT_TRUE(s.errors.empty());
}

TEST(AssemblyAiSession, BelowTheConfidenceThresholdOrWithoutTheFormattedTurn) {
    {
        FakeAssemblyAi aai;
        aai.confidence = 0.2;
        Session s(aai.url(), obj(R"({"provider":"assembly-ai","confidenceThreshold":0.5})"));
        s.speak(600);  // queued until the connection is open
        s.stt->finalize();
        ASSERT_TRUE(s.runUntil([&] { return !s.finals().empty(); }));
        EXPECT_EQ(s.finals()[0].text, "");
    }
    {
        FakeAssemblyAi aai;
        aai.mode = FakeAssemblyAi::Mode::NoFormatted;
        Session s(aai.url(), obj(R"({"provider":"assembly-ai","disablePartialTranscripts":true})"));
        s.speak(600);
        s.stt->finalize();
        ASSERT_TRUE(s.runUntil([&] { return !s.finals().empty(); }));
        EXPECT_EQ(s.finals()[0].text, "hello there") << "the unformatted one, 1 s later";
        EXPECT_EQ(s.transcripts.size(), 1u) << "no partials";
    }
    {
        FakeAssemblyAi aai;
        Session s(aai.url(), obj(R"({"provider":"assembly-ai","formatTurns":false})"));
        s.speak(600);
        s.stt->finalize();
        ASSERT_TRUE(s.runUntil([&] { return !s.finals().empty(); }, 500ms));
        EXPECT_EQ(s.finals()[0].text, "hello there") << "at once: no formatted Turn is coming";
    }
}

TEST(AssemblyAiSession, AudioGoesNoFasterThanRealTime) {
    // A fallback's replay: 3 s of the utterance at once, before the connection is even open.
    FakeAssemblyAi aai;
    Session s(aai.url(), obj(R"({"provider":"assembly-ai","formatTurns":false})"));
    s.speak(3000);
    s.stt->finalize();
    ASSERT_TRUE(s.runUntil([&] { return !s.finals().empty(); }, 6s));
    EXPECT_EQ(s.finals()[0].text, "hello there") << "ForceEndpoint went out after the audio before it";
    EXPECT_TRUE(s.errors.empty());
    std::lock_guard l(aai.mu);
    ASSERT_FALSE(aai.arrivals.empty());
    double received = 0;
    for (size_t i = 0; i < aai.chunks.size(); ++i) {
        received += aai.chunks[i] / 32000.0;
        double elapsed = std::chrono::duration<double>(aai.arrivals[i] - aai.arrivals[0]).count();
        EXPECT_LE(received, elapsed + 1.2) << "chunk " << i << ": AssemblyAI closes a stream that runs ahead";
    }
    EXPECT_NEAR(received, 3.0, 0.06);
    EXPECT_GE(std::chrono::duration<double>(aai.arrivals.back() - aai.arrivals.front()).count(), 1.7);
}

TEST(AssemblyAiSession, FailuresCarryTheirCause) {
    using M = FakeAssemblyAi::Mode;
    struct Case {
        M mode;
        uint16_t code;
        std::string reason;
        FailureCause cause;
    };
    for (auto& c : {Case{M::HttpUnauthorized, 0, "", FailureCause::Unauthorized},
                    Case{M::ErrorFrame, 0, "", FailureCause::Unauthorized},
                    Case{M::CloseOnly, 1008, "Unauthorized Connection: Missing Authorization header", FailureCause::Unauthorized},
                    Case{M::CloseOnly, 1008, "Unauthorized Connection: insufficient account balance", FailureCause::Forbidden},
                    Case{M::CloseOnly, 3005, "Session Cancelled: An error occurred", FailureCause::ServerError},
                    Case{M::CloseOnly, 1000, "", FailureCause::Disconnected},
                    Case{M::Garbage, 0, "", FailureCause::BadMessage},
                    Case{M::Huge, 0, "", FailureCause::BadMessage},
                    Case{M::Drop, 0, "", FailureCause::Disconnected}}) {
        FakeAssemblyAi aai;
        aai.mode = c.mode;
        aai.closeCode = c.code;
        aai.closeReason = c.reason;
        Session s(aai.url());
        s.speak(200);
        ASSERT_TRUE(s.runUntil([&] { return !s.errors.empty(); })) << static_cast<int>(c.mode) << " " << c.code;
        EXPECT_EQ(s.errors[0].cause, c.cause) << static_cast<int>(c.mode) << " " << c.code << ": " << s.errors[0].message;
        EXPECT_TRUE(s.errors[0].fatal);
        EXPECT_EQ(s.errors[0].message.find("aai-secret"), std::string::npos) << "the key is never in a message";
        s.runUntil([] { return false; }, 100ms);
        EXPECT_EQ(s.errors.size(), 1u);
    }
    {
        Session s("http://127.0.0.1:1");
        ASSERT_TRUE(s.runUntil([&] { return !s.errors.empty(); }));
        EXPECT_EQ(s.errors[0].cause, FailureCause::ConnectFailed);
    }
}

TEST(AssemblyAiSession, SpeechTheServerNeverAnswersIsAStall) {
    FakeAssemblyAi aai;
    aai.mode = FakeAssemblyAi::Mode::Stall;
    Session s(aai.url());
    ASSERT_TRUE(s.runUntil([&] { std::lock_guard l(aai.mu); return !aai.target.empty(); }));
    s.runUntil([] { return false; }, 200ms);  // Begin, then nothing more
    s.speak(3000);
    s.stt->finalize();
    ASSERT_TRUE(s.runUntil([&] { return !s.errors.empty(); }, 9s));
    EXPECT_EQ(s.errors[0].cause, FailureCause::Timeout);
    EXPECT_TRUE(s.finals().empty());
}

TEST(AssemblyAiSession, ShortNoiseWithoutWordsIsNotAStall) {
    // The same silent server after a second of sound: nothing was heard, not a failure.
    FakeAssemblyAi aai;
    aai.mode = FakeAssemblyAi::Mode::Stall;
    Session s(aai.url());
    ASSERT_TRUE(s.runUntil([&] { std::lock_guard l(aai.mu); return !aai.target.empty(); }));
    s.runUntil([] { return false; }, 200ms);
    s.speak(1000);
    s.stt->finalize();
    ASSERT_TRUE(s.runUntil([&] { return !s.finals().empty(); }, 3s));
    EXPECT_EQ(s.finals()[0].text, "");
    EXPECT_TRUE(s.errors.empty());
}

}  // namespace
}  // namespace voxa::providers::assemblyai
