// The custom-transcriber: Vapi's start message, the server's messages decoded, the stereo
// mixer, and sessions against an in-process transcriber server (HttpServer + WebSocket):
// headers, start then interleaved stereo (customer left, assistant right), customer finals,
// the empty final after an unanswered end of speech, failures and the egress policy.
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <mutex>

#include "fakes/loopback_egress.h"
#include "net/server.h"
#include "providers/custom_transcriber/custom_transcriber.h"
#include "unit/providers/session_harness.h"

namespace voxa::providers::custom_transcriber {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;

json::object obj(std::string_view s) { return json::parse(s).as_object(); }

std::vector<int16_t> samples(const std::string& bytes) {
    std::vector<int16_t> out(bytes.size() / 2);
    std::memcpy(out.data(), bytes.data(), out.size() * 2);
    return out;
}

TEST(CustomTranscriber, StartMessageIsVapis) {
    EXPECT_EQ(json::parse(startMessage(16000)),
              json::parse(R"({"type":"start","encoding":"linear16","container":"raw","sampleRate":16000,"channels":2})"));
}

TEST(CustomTranscriber, Decode) {
    using K = ServerMessage::Kind;
    auto m = decode(R"({"type":"transcriber-response","transcription":"  Hello there. ","channel":"customer"})");
    EXPECT_EQ(m.kind, K::Customer);
    EXPECT_EQ(m.text, "Hello there.");
    EXPECT_EQ(decode(R"({"type":"transcriber-response","transcription":"hi","channel":"assistant"})").kind, K::Assistant);
    EXPECT_EQ(decode(R"({"type":"transcriber-response","transcription":"hi"})").kind, K::Customer) << "no channel: the caller";
    EXPECT_EQ(decode(R"({"type":"transcriber-response","transcription":"hi","channel":"bot"})").kind, K::Ignore);
    EXPECT_EQ(decode(R"({"type":"error","error":"Transcription service error"})").kind, K::Ignore);
    EXPECT_EQ(decode(R"({"type":"transcriber-response","transcription":7})").kind, K::Invalid);
    EXPECT_EQ(decode(R"({"transcription":"hi"})").kind, K::Invalid);
    EXPECT_EQ(decode("<html>502</html>").kind, K::Invalid);
    std::string huge(10000, 'a');
    EXPECT_EQ(decode(R"({"type":"transcriber-response","transcription":")" + huge + R"("})").text.size(), kMaxTranscriptBytes);
}

TEST(StereoMixer, InterleavesCustomerLeftAssistantRight) {
    StereoMixer m;
    std::vector<int16_t> caller{1, 2, 3}, bot{10, 20};
    m.caller(caller);
    m.assistant(bot);
    std::string out;
    m.take(out);
    EXPECT_EQ(samples(out), (std::vector<int16_t>{1, 10, 2, 20})) << "the third caller sample waits for its pair";
    out.clear();
    // The caller's transport goes quiet: after 100 ms the assistant goes on alone.
    std::vector<int16_t> talk(2000, 5);
    m.assistant(talk);
    m.take(out);
    auto s = samples(out);
    ASSERT_EQ(s.size(), 2u * (2000 - StereoMixer::kSlack)) << "100 ms of the assistant held for its pair";
    EXPECT_EQ(s[0], 3);
    EXPECT_EQ(s[1], 5);
    EXPECT_EQ(s[2], 0) << "silence on the quiet channel";
    EXPECT_EQ(s[3], 5);
}

/// An in-process transcriber server: records the upgrade and what arrives, answers on demand.
struct FakeServer {
    enum class Mode { Normal, Unauthorized, Garbage, Hangup };
    std::mutex mu;
    std::string secret, tenant, target;
    std::vector<std::string> texts;
    std::string audio;  // binary bytes, concatenated
    std::shared_ptr<net::WsConnection> ws;
    std::atomic<Mode> mode{Mode::Normal};
    net::HttpServer server;

    FakeServer()
        : server(net::ServerOptions{.host = "127.0.0.1", .port = 0, .threads = 1},
                 [](net::HttpRequest&) -> asio::awaitable<net::HttpResponse> {
                     co_return net::HttpResponse::json(401, R"({"error":"invalid secret"})");
                 }) {
        server.setUpgradeHandler([this](net::HttpRequest& req) -> asio::awaitable<std::optional<net::WsHandler>> {
            {
                std::lock_guard l(mu);
                secret = std::string(req.header("x-vapi-secret"));
                tenant = std::string(req.header("x-tenant"));
                target = req.target;
            }
            if (mode == Mode::Unauthorized) co_return std::nullopt;
            co_return net::WsHandler([this](std::shared_ptr<net::WsConnection> c) { return serve(this, c); });
        });
        server.start();
    }
    ~FakeServer() {
        {
            std::lock_guard l(mu);
            ws.reset();
        }
        server.stop();
    }
    std::string url() const { return "ws://127.0.0.1:" + std::to_string(server.port()) + "/transcriber"; }

    static asio::awaitable<void> serve(FakeServer* self, std::shared_ptr<net::WsConnection> c) {
        {
            std::lock_guard l(self->mu);
            self->ws = c;
        }
        while (auto m = co_await c->read()) {
            std::lock_guard l(self->mu);
            if (m->binary) self->audio += m->data;
            else self->texts.push_back(m->data);
            if (m->binary && self->mode == Mode::Garbage) c->send("<html>502</html>", false);
            if (m->binary && self->mode == Mode::Hangup) {
                c->close(1011, {});
                break;
            }
        }
    }
    void send(std::string text) {
        std::shared_ptr<net::WsConnection> c;
        {
            std::lock_guard l(mu);
            c = ws;
        }
        asio::post(c->executor(), [c, text] { c->send(text, false); });
    }
    template <class F>
    auto with(F f) {
        std::lock_guard l(mu);
        return f(*this);
    }
};

struct Session : test::SttHarness {
    explicit Session(json::object cfg) : SttHarness(*makeSttProvider(), "", "", "", cfg) {}
};

json::object config(const std::string& url) {
    return json::object{{"provider", "custom-transcriber"},
                        {"server", {{"url", url}, {"secret", "s3cret"}, {"headers", {{"X-Tenant", "acme"}}}}}};
}

TEST(CustomTranscriberSession, StartThenStereoAndCustomerFinals) {
    fakes::LoopbackEgress egress;
    FakeServer fake;
    Session s(config(fake.url()));
    ASSERT_TRUE(s.runUntil([&] { return fake.with([](auto& f) { return f.texts.size() == 1; }); }))
        << "opened with the session";
    fake.with([](auto& f) {
        EXPECT_EQ(f.secret, "s3cret");
        EXPECT_EQ(f.tenant, "acme");
        EXPECT_EQ(f.target, "/transcriber");
        EXPECT_EQ(json::parse(f.texts[0]), json::parse(startMessage(16000)));
        return 0;
    });
    std::vector<int16_t> caller(320, 7), bot(320, -9);
    s.stt->sendAudio(caller);  // the speech segments: not used, the whole call is
    s.stt->sendCallerAudio(caller);
    s.stt->sendAssistantAudio(bot);
    ASSERT_TRUE(s.runUntil([&] { return fake.with([](auto& f) { return f.audio.size() == 1280; }); }));
    auto stereo = samples(fake.with([](auto& f) { return f.audio; }));
    for (size_t i = 0; i < stereo.size(); i += 2) {
        ASSERT_EQ(stereo[i], 7) << "channel 0: the customer";
        ASSERT_EQ(stereo[i + 1], -9) << "channel 1: the assistant";
    }
    fake.send(R"({"type":"transcriber-response","transcription":"Good morning.","channel":"assistant"})");
    fake.send(R"({"type":"transcriber-response","transcription":"I need a table.","channel":"customer"})");
    ASSERT_TRUE(s.runUntil([&] { return !s.transcripts.empty(); }));
    ASSERT_EQ(s.transcripts.size(), 1u) << "the assistant's words are not the caller's";
    EXPECT_EQ(s.transcripts[0].text, "I need a table.");
    EXPECT_TRUE(s.transcripts[0].isFinal);

    // The end of speech with nothing from the server: nothing heard, after kAnswerWait.
    s.stt->finalize();
    ASSERT_TRUE(s.runUntil([&] { return s.transcripts.size() == 2; }, kAnswerWait + 2s));
    EXPECT_EQ(s.transcripts[1].text, "");
    EXPECT_TRUE(s.transcripts[1].isFinal);
    EXPECT_TRUE(s.errors.empty());
}

TEST(CustomTranscriberSession, FailuresCarryTheirCause) {
    fakes::LoopbackEgress egress;
    auto failOf = [](FakeServer::Mode mode, bool speak) {
        FakeServer fake;
        fake.mode = mode;
        Session s(config(fake.url()));
        if (speak) {
            s.runUntil([&] { return fake.with([](auto& f) { return !f.texts.empty(); }); });
            std::vector<int16_t> pcm(320, 1);
            s.stt->sendCallerAudio(pcm);
            s.stt->sendAssistantAudio(pcm);
        }
        EXPECT_TRUE(s.runUntil([&] { return !s.errors.empty(); }));
        return s.errors.empty() ? ProviderError{} : s.errors[0];
    };
    auto e = failOf(FakeServer::Mode::Unauthorized, false);
    EXPECT_EQ(e.cause, FailureCause::Unauthorized);
    EXPECT_TRUE(e.fatal);
    EXPECT_EQ(e.message.find("s3cret"), std::string::npos) << "the secret is never in a message";
    EXPECT_EQ(failOf(FakeServer::Mode::Garbage, true).cause, FailureCause::BadMessage);
    EXPECT_EQ(failOf(FakeServer::Mode::Hangup, true).cause, FailureCause::Disconnected);
    {
        Session s(config("ws://127.0.0.1:1/transcriber"));
        ASSERT_TRUE(s.runUntil([&] { return !s.errors.empty(); }));
        EXPECT_EQ(s.errors[0].cause, FailureCause::ConnectFailed);
    }
}

TEST(CustomTranscriberSession, TheUrlIsHeldToTheEgressPolicy) {
    FakeServer fake;  // on loopback, which the default policy refuses
    Session s(config(fake.url()));
    ASSERT_TRUE(s.runUntil([&] { return !s.errors.empty(); }));
    EXPECT_EQ(s.errors[0].cause, FailureCause::ConnectFailed);
    EXPECT_NE(s.errors[0].message.find("egress"), std::string::npos) << s.errors[0].message;
    EXPECT_TRUE(fake.with([](auto& f) { return f.target.empty(); })) << "nothing reached the server";
}

TEST(CustomTranscriberSession, NoUrlIsABadRequest) {
    Session s(obj(R"({"provider":"custom-transcriber","server":{}})"));
    ASSERT_TRUE(s.runUntil([&] { return !s.errors.empty(); }));
    EXPECT_EQ(s.errors[0].cause, FailureCause::BadRequest);
}

}  // namespace
}  // namespace voxa::providers::custom_transcriber
