#include "providers/openai/openai_llm.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <cstdlib>

#include "common/metrics.h"
#include "fakes/fake_openai.h"
#include "fakes/loopback_egress.h"
#include "providers/openai/openai.h"

namespace voxa::providers::openai {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using fakes::FakeOpenAiServer;
using fakes::FakeReply;
using namespace std::chrono_literals;

// Every callback as one line, in order.
struct Recorder {
    std::vector<std::string> events;
    std::vector<ToolCall> calls;
    std::function<void()> onFirstText;

    LlmCallbacks callbacks() {
        return {
            .onText = [this](const std::string& t) {
                events.push_back("text:" + t);
                if (onFirstText) std::exchange(onFirstText, nullptr)();
            },
            .onToolCall = [this](const ToolCall& c) {
                calls.push_back(c);
                events.push_back("tool:" + c.id + "|" + c.name + "|" + c.arguments);
            },
            .onDone = [this](const Usage& u) {
                events.push_back("done:" + std::to_string(u.promptTokens) + "/" +
                                 std::to_string(u.completionTokens));
            },
            .onError = [this](const ProviderError& e) { events.push_back("error:" + e.message); },
        };
    }
    std::string text() const {
        std::string s;
        for (auto& e : events)
            if (e.starts_with("text:")) s += e.substr(5);
        return s;
    }
    size_t count(std::string_view prefix) const {
        size_t n = 0;
        for (auto& e : events) n += e.starts_with(prefix);
        return n;
    }
};

LlmRequest sampleRequest(bool withTools = false) {
    LlmRequest req;
    req.messages = json::parse(R"([{"role":"system","content":"Be brief."},
                                   {"role":"user","content":"Hi"}])").as_array();
    if (withTools)
        req.tools = json::parse(R"([{"type":"function","function":{"name":"lookup",
            "parameters":{"type":"object","properties":{"q":{"type":"string"}}}}}])").as_array();
    return req;
}

json::object config(std::string_view text) { return json::parse(text).as_object(); }

// One call's event loop driving one provider session against the fake (on loopback, which
// the egress policy opens for the harness's lifetime).
struct Harness {
    fakes::LoopbackEgress egress;
    asio::io_context io;
    Context ctx = makeContext(io);
    Recorder rec;

    static Context makeContext(asio::io_context& io) {
        Context c;
        c.executor = io.get_executor();
        return c;
    }

    std::unique_ptr<LlmSession> open(const std::string& baseUrl, const json::object& cfg) {
        return makeLlmProvider(baseUrl)->open(cfg, ctx);
    }
    std::shared_ptr<LlmTurn> runTurn(LlmSession& s, LlmRequest req = sampleRequest()) {
        auto turn = s.complete(std::move(req), rec.callbacks());
        EXPECT_TRUE(rec.events.empty()) << "callbacks must not fire inside complete()";
        io.run_for(15s);
        io.restart();
        return turn;
    }
};

const json::object kOpenAi = config(R"({"provider":"openai","model":"gpt-4o-mini"})");

TEST(OpenAiLlm, StreamsTextInOrderThenDoneWithUsage) {
    FakeOpenAiServer fake;
    fake.enqueue(FakeOpenAiServer::textStream({"Hel", "lo", " there", "!"}, {12, 4}, 5ms));
    Harness h;
    auto s = h.open(fake.baseUrl(), kOpenAi);
    h.runTurn(*s);
    std::vector<std::string> want = {"text:Hel", "text:lo", "text: there", "text:!", "done:12/4"};
    EXPECT_EQ(h.rec.events, want);
}

// The call starts: TCP and TLS to the model's host are done before its first turn, which
// then goes out on that connection; the turn's time to first token lands in the histogram.
TEST(OpenAiLlm, OpeningTheSessionWarmsTheConnectionTheFirstTurnUses) {
    FakeOpenAiServer fake({.keepAlive = true});
    fake.enqueue(FakeOpenAiServer::textStream({"Hi"}, {1, 1}));
    Harness h;
    auto cfg = config(R"({"provider":"custom-llm","model":"m","url":")" + fake.baseUrl() + R"("})");
    auto firstTokens = [] {
        auto text = metrics::text();
        auto at = text.find("voxa_llm_first_token_seconds_count{provider=\"custom-llm\"} ");
        return at == std::string::npos ? 0 : std::stoi(text.substr(text.find("} ", at) + 2));
    };
    int before = firstTokens();
    auto s = h.open("", cfg);
    {
        auto busy = asio::make_work_guard(h.io);
        for (int i = 0; i < 50 && fake.connectionsAccepted() == 0; ++i) h.io.run_for(20ms);
        h.io.run_for(50ms);
    }
    h.io.restart();
    EXPECT_EQ(fake.connectionsAccepted(), 1);
    EXPECT_TRUE(fake.requests().empty());
    h.runTurn(*s);
    EXPECT_EQ(h.rec.text(), "Hi") << (h.rec.events.empty() ? "" : h.rec.events.back());
    EXPECT_EQ(fake.connectionsAccepted(), 1);  // the warmed one
    EXPECT_EQ(fake.requests().size(), 1u);
    EXPECT_EQ(firstTokens(), before + 1);
}

TEST(OpenAiLlm, RequestBodyShape) {
    FakeOpenAiServer fake;
    fake.enqueue(FakeOpenAiServer::textStream({"ok"}));
    Harness h;
    auto s = h.open(fake.baseUrl(), config(R"({"provider":"openai","model":"gpt-4o",
        "temperature":0.3,"maxTokens":120})"));
    auto req = sampleRequest(true);
    h.runTurn(*s, req);
    auto reqs = fake.requests();
    ASSERT_EQ(reqs.size(), 1u);
    EXPECT_EQ(reqs[0].method, "POST");
    EXPECT_EQ(reqs[0].target, "/v1/chat/completions");
    EXPECT_EQ(reqs[0].header("content-type"), "application/json");
    auto body = reqs[0].json().as_object();
    EXPECT_EQ(body.at("model"), "gpt-4o");
    EXPECT_EQ(body.at("messages"), json::value(req.messages));
    EXPECT_EQ(body.at("tools"), json::value(req.tools));
    EXPECT_EQ(body.at("stream"), true);
    EXPECT_EQ(body.at("stream_options").at("include_usage"), true);
    EXPECT_DOUBLE_EQ(body.at("temperature").to_number<double>(), 0.3);
    EXPECT_EQ(body.at("max_tokens").to_number<int64_t>(), 120);
}

TEST(OpenAiLlm, OptionalFieldsAreOmitted) {
    LlmSettings s;
    s.model = "m";
    auto body = json::parse(buildRequestBody(s, sampleRequest())).as_object();
    EXPECT_FALSE(body.contains("tools"));
    EXPECT_FALSE(body.contains("temperature"));
    EXPECT_FALSE(body.contains("max_tokens"));
    EXPECT_TRUE(body.contains("messages"));
}

TEST(OpenAiLlm, AuthorizationFromCredentialsOrEnvironment) {
    FakeOpenAiServer fake;
    for (int i = 0; i < 4; ++i) fake.enqueue(FakeOpenAiServer::textStream({"x"}));
    {
        Harness h;
        h.ctx.credentials["openai"] = {.apiKey = "sk-from-org"};
        auto s = h.open(fake.baseUrl(), kOpenAi);
        h.runTurn(*s);
    }
    ::setenv("OPENAI_API_KEY", "sk-from-env", 1);
    {
        Harness h;
        auto s = h.open(fake.baseUrl(), kOpenAi);
        h.runTurn(*s);
    }
    {
        // Self-hosted OpenAI-compatible servers get no key, even with the env var set.
        Harness h;
        auto s = h.open("", config(R"({"provider":"custom-llm","url":")" + fake.baseUrl() +
                                   R"("})"));
        h.runTurn(*s);
    }
    ::unsetenv("OPENAI_API_KEY");
    {
        Harness h;
        auto s = h.open(fake.baseUrl(), kOpenAi);
        h.runTurn(*s);
    }
    auto reqs = fake.requests();
    ASSERT_EQ(reqs.size(), 4u);
    EXPECT_EQ(reqs[0].header("authorization"), "Bearer sk-from-org");
    EXPECT_EQ(reqs[1].header("authorization"), "Bearer sk-from-env");
    EXPECT_FALSE(reqs[2].hasHeader("authorization"));
    EXPECT_FALSE(reqs[3].hasHeader("authorization"));
}

TEST(OpenAiLlm, CustomLlmUrlHandling) {
    FakeOpenAiServer fake;
    for (int i = 0; i < 3; ++i) fake.enqueue(FakeOpenAiServer::textStream({"x"}));
    std::vector<std::string> urls = {fake.origin() + "/my/llm", fake.origin() + "/my/llm/",
                                     fake.origin() + "/my/llm/chat/completions"};
    for (auto& url : urls) {
        Harness h;
        h.ctx.credentials["custom-llm"] = {.apiKey = "secret"};
        auto s = h.open("", config(R"({"provider":"custom-llm","model":"mine","url":")" + url +
                                   R"(","headers":{"X-Tenant":"t-1"}})"));
        h.runTurn(*s);
        EXPECT_EQ(h.rec.events.back(), "done:0/0");
    }
    auto reqs = fake.requests();
    ASSERT_EQ(reqs.size(), 3u);
    for (auto& r : reqs) {
        EXPECT_EQ(r.target, "/my/llm/chat/completions");
        EXPECT_EQ(r.header("x-tenant"), "t-1");
        EXPECT_EQ(r.header("authorization"), "Bearer secret");
    }
}

TEST(OpenAiLlm, CustomLlmWithoutUrlReportsAnError) {
    Harness h;
    auto s = h.open("", config(R"({"provider":"custom-llm","model":"x"})"));
    h.runTurn(*s);
    ASSERT_EQ(h.rec.events.size(), 1u);
    EXPECT_NE(h.rec.events[0].find("model.url is required"), std::string::npos)
        << h.rec.events[0];
}

TEST(OpenAiLlm, UrlHelpers) {
    EXPECT_EQ(chatCompletionsUrl("https://api.openai.com/v1"),
              "https://api.openai.com/v1/chat/completions");
    EXPECT_EQ(chatCompletionsUrl("http://h/v1//"), "http://h/v1/chat/completions");
    EXPECT_EQ(chatCompletionsUrl("http://h/x/chat/completions"), "http://h/x/chat/completions");
    EXPECT_EQ(chatCompletionsUrl("http://h/x/chat/completions/"), "http://h/x/chat/completions");
}

TEST(OpenAiLlm, ToolCallsAssembledFromFragments) {
    FakeOpenAiServer fake;
    fake.enqueue(FakeOpenAiServer::toolCallStream(
        {{"call_1", "lookup", R"({"q":"weather in Paris"})"},
         {"call_2", "transferCall", R"({"destination":"+15550001111"})"}},
        3, {30, 12}));
    Harness h;
    auto s = h.open(fake.baseUrl(), kOpenAi);
    h.runTurn(*s, sampleRequest(true));
    std::vector<std::string> want = {
        R"(tool:call_1|lookup|{"q":"weather in Paris"})",
        R"(tool:call_2|transferCall|{"destination":"+15550001111"})", "done:30/12"};
    EXPECT_EQ(h.rec.events, want);
    EXPECT_EQ(json::parse(h.rec.calls.at(0).arguments).at("q"), "weather in Paris");
}

TEST(OpenAiLlm, SurvivesArbitraryTcpBoundaries) {
    for (size_t n : {1, 2, 7, 64}) {
        FakeOpenAiServer fake;
        auto reply = FakeOpenAiServer::toolCallStream({{"c", "f", R"({"a":[1,2,3]})"}}, 2);
        auto text = FakeOpenAiServer::textStream({"Hello", ", ", "world"}, {3, 3});
        // Text first (CRLF line ends), then tool calls, in one response.
        FakeReply mixed;
        for (size_t i = 0; i + 3 < text.pieces.size(); ++i) {  // drop stop, usage, [DONE]
            std::string p = text.pieces[i];
            p.replace(p.size() - 2, 2, "\r\n\r\n");
            mixed.pieces.push_back(p);
        }
        for (auto& p : reply.pieces) mixed.pieces.push_back(p);
        mixed.splitEvery(n);
        fake.enqueue(mixed);
        Harness h;
        auto s = h.open(fake.baseUrl(), kOpenAi);
        h.runTurn(*s);
        EXPECT_EQ(h.rec.text(), "Hello, world") << "split " << n;
        EXPECT_EQ(h.rec.count("tool:c|f|{\"a\":[1,2,3]}"), 1u) << "split " << n;
        EXPECT_EQ(h.rec.count("done:"), 1u);
    }
}

TEST(OpenAiLlm, Http401And500BecomeErrors) {
    FakeOpenAiServer fake;
    fake.enqueue(FakeOpenAiServer::errorReply(401, "Incorrect API key provided: sk-bad."));
    FakeReply oops;
    oops.status = 500;
    oops.contentType = "text/html";
    oops.framing = FakeReply::Framing::ContentLength;
    oops.pieces = {"<html>upstream exploded</html>"};
    fake.enqueue(oops);
    for (int status : {401, 500}) {
        Harness h;
        auto s = h.open(fake.baseUrl(), kOpenAi);
        h.runTurn(*s);
        ASSERT_EQ(h.rec.events.size(), 1u);
        auto& e = h.rec.events[0];
        EXPECT_TRUE(e.starts_with("error:openai: HTTP " + std::to_string(status))) << e;
        EXPECT_NE(e.find(status == 401 ? "Incorrect API key" : "upstream exploded"),
                  std::string::npos) << e;
    }
}

TEST(OpenAiLlm, TimeoutBeforeFirstByteAndBetweenChunks) {
    FakeOpenAiServer fake;
    FakeReply hang;
    hang.hang = true;
    fake.enqueue(hang);
    fake.enqueue(FakeOpenAiServer::textStream({"a", "b"}, {}, 700ms));
    for (int i = 0; i < 2; ++i) {
        Harness h;
        auto s = h.open(fake.baseUrl(), config(R"({"provider":"openai","model":"m",
                                                   "timeoutSeconds":0.3})"));
        auto start = std::chrono::steady_clock::now();
        h.runTurn(*s);
        EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
        ASSERT_EQ(h.rec.events.size(), 1u);
        EXPECT_NE(h.rec.events[0].find("timed out"), std::string::npos) << h.rec.events[0];
    }
}

TEST(OpenAiLlm, CancelInsideOnTextSilencesTheTurn) {
    FakeOpenAiServer fake;
    std::vector<std::string> many(50, "w ");
    fake.enqueue(FakeOpenAiServer::textStream(many, {}, 10ms));
    Harness h;
    auto s = h.open(fake.baseUrl(), kOpenAi);
    std::shared_ptr<LlmTurn> turn;
    h.rec.onFirstText = [&] { turn->cancel(); };
    turn = s->complete(sampleRequest(), h.rec.callbacks());
    h.io.run_for(10s);
    std::vector<std::string> want = {"text:w "};
    EXPECT_EQ(h.rec.events, want);
    EXPECT_TRUE(fake.waitForAbortedReplies(1, 5s));
}

TEST(OpenAiLlm, CancelFromTheLoopMidStream) {
    FakeOpenAiServer fake;
    std::vector<std::string> many(50, "w ");
    fake.enqueue(FakeOpenAiServer::textStream(many, {}, 10ms));
    Harness h;
    auto s = h.open(fake.baseUrl(), kOpenAi);
    auto turn = s->complete(sampleRequest(), h.rec.callbacks());
    size_t atCancel = 0;
    asio::steady_timer t(h.io, 150ms);
    t.async_wait([&](boost::system::error_code) {
        atCancel = h.rec.events.size();
        turn->cancel();
    });
    h.io.run_for(10s);
    EXPECT_GT(atCancel, 0u);
    EXPECT_EQ(h.rec.events.size(), atCancel);
    EXPECT_EQ(h.rec.count("done:") + h.rec.count("error:"), 0u);
}

TEST(OpenAiLlm, DestroyingTheSessionCancelsItsTurns) {
    FakeOpenAiServer fake;
    std::vector<std::string> many(50, "w ");
    fake.enqueue(FakeOpenAiServer::textStream(many, {}, 10ms));
    Harness h;
    auto s = h.open(fake.baseUrl(), kOpenAi);
    auto turn = s->complete(sampleRequest(), h.rec.callbacks());
    size_t atClose = 0;
    asio::steady_timer t(h.io, 150ms);
    t.async_wait([&](boost::system::error_code) {
        atClose = h.rec.events.size();
        s.reset();
    });
    h.io.run_for(10s);
    EXPECT_EQ(h.rec.events.size(), atClose);
}

TEST(OpenAiLlm, StreamWithoutDoneMarkerStillCompletes) {
    FakeOpenAiServer fake;
    auto reply = FakeOpenAiServer::textStream({"a"}, {1, 1});
    reply.pieces.pop_back();  // no [DONE]
    fake.enqueue(reply);
    Harness h;
    auto s = h.open(fake.baseUrl(), kOpenAi);
    h.runTurn(*s);
    std::vector<std::string> want = {"text:a", "done:1/1"};
    EXPECT_EQ(h.rec.events, want);
}

TEST(OpenAiLlm, ConnectionDroppedMidStreamIsAnError) {
    FakeOpenAiServer fake;
    auto reply = FakeOpenAiServer::textStream({"a", "b"});
    reply.pieces.resize(2);  // role chunk + "a", then the connection drops
    reply.truncate = true;
    fake.enqueue(reply);
    Harness h;
    auto s = h.open(fake.baseUrl(), kOpenAi);
    h.runTurn(*s);
    ASSERT_EQ(h.rec.events.size(), 2u);
    EXPECT_EQ(h.rec.events[0], "text:a");
    EXPECT_TRUE(h.rec.events[1].starts_with("error:")) << h.rec.events[1];
}

TEST(OpenAiLlm, InStreamErrorObjectIsAnError) {
    FakeOpenAiServer fake;
    FakeReply r;
    json::object d;
    d["content"] = "par";
    r.pieces = {FakeOpenAiServer::sse(FakeOpenAiServer::chunk(d)),
                FakeOpenAiServer::sse(R"({"error":{"message":"The server had an error"}})"),
                FakeOpenAiServer::sse("[DONE]")};
    fake.enqueue(r);
    Harness h;
    auto s = h.open(fake.baseUrl(), kOpenAi);
    h.runTurn(*s);
    ASSERT_EQ(h.rec.events.size(), 2u);
    EXPECT_EQ(h.rec.events[1], "error:openai: stream error: The server had an error");
}

TEST(OpenAiLlm, NonStreamingJsonCompletionIsAccepted) {
    FakeOpenAiServer fake;
    FakeReply r;
    r.contentType = "application/json";
    r.framing = FakeReply::Framing::ContentLength;
    r.pieces = {R"({"id":"x","object":"chat.completion","choices":[{"index":0,
        "message":{"role":"assistant","content":"whole answer"},"finish_reason":"stop"}],
        "usage":{"prompt_tokens":5,"completion_tokens":2}})"};
    fake.enqueue(r);
    Harness h;
    auto s = h.open(fake.baseUrl(), kOpenAi);
    h.runTurn(*s);
    std::vector<std::string> want = {"text:whole answer", "done:5/2"};
    EXPECT_EQ(h.rec.events, want);
}

// ---- Decoder without a network -----------------------------------------------------------

TEST(OpenAiDecoder, InterleavedToolFragmentsFlushInIndexOrderAtFinishReason) {
    Recorder rec;
    auto cb = rec.callbacks();
    ChatStreamDecoder d(cb, [] { return false; });
    auto delta = [](std::string_view tc) {
        return R"({"choices":[{"index":0,"delta":{"tool_calls":[)" + std::string(tc) +
               R"(]},"finish_reason":null}]})";
    };
    ASSERT_TRUE(
        d.onData(delta(R"({"index":1,"id":"b","function":{"name":"two","arguments":""}})")));
    ASSERT_TRUE(
        d.onData(delta(R"({"index":0,"id":"a","function":{"name":"one","arguments":"{\"x\""}})")));
    ASSERT_TRUE(d.onData(delta(R"({"index":1,"function":{"arguments":"{}"}})")));
    ASSERT_TRUE(d.onData(delta(R"({"index":0,"function":{"arguments":":1}"}})")));
    EXPECT_TRUE(rec.events.empty());  // nothing until the calls are complete
    ASSERT_TRUE(d.onData(R"({"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]})"));
    std::vector<std::string> want = {R"(tool:a|one|{"x":1})", "tool:b|two|{}"};
    EXPECT_EQ(rec.events, want);
    d.finish();
    EXPECT_EQ(rec.events.size(), 2u);  // not emitted twice
}

TEST(OpenAiDecoder, ToolCallsFlushAtStreamEndAndToleratePeculiarServers) {
    Recorder rec;
    auto cb = rec.callbacks();
    ChatStreamDecoder d(cb, [] { return false; });
    // Name repeated on each fragment; an Ollama-style whole call with no index and an
    // arguments object.
    ASSERT_TRUE(d.onData(R"({"choices":[{"delta":{"tool_calls":[
        {"index":0,"id":"a","function":{"name":"f","arguments":"{\"k\":"}}]}}]})"));
    ASSERT_TRUE(d.onData(R"({"choices":[{"delta":{"tool_calls":[
        {"index":0,"function":{"name":"f","arguments":"2}"}}]}}]})"));
    ASSERT_TRUE(d.onData(R"({"choices":[{"delta":{"tool_calls":[
        {"id":"o","function":{"name":"g","arguments":{"z":true}}}]}}]})"));
    EXPECT_TRUE(rec.events.empty());
    d.finish();
    std::vector<std::string> want = {R"(tool:a|f|{"k":2})", R"(tool:o|g|{"z":true})"};
    EXPECT_EQ(rec.events, want);
}

TEST(OpenAiDecoder, UsageErrorsAndStopPredicate) {
    Recorder rec;
    auto cb = rec.callbacks();
    bool stopped = false;
    ChatStreamDecoder d(cb, [&] { return stopped; });
    ASSERT_TRUE(d.onData(R"({"choices":[{"index":0,"delta":{"content":"hi"}}],"usage":null})"));
    ASSERT_TRUE(d.onData(R"({"choices":[],"usage":{"prompt_tokens":7,"completion_tokens":3}})"));
    EXPECT_EQ(d.usage().promptTokens, 7);
    EXPECT_EQ(d.usage().completionTokens, 3);
    ASSERT_TRUE(d.onData(R"({"choices":[{"index":1,"delta":{"content":"other choice"}}]})"));
    stopped = true;
    ASSERT_TRUE(d.onData(R"({"choices":[{"index":0,"delta":{"content":"late"}}]})"));
    std::vector<std::string> want = {"text:hi"};
    EXPECT_EQ(rec.events, want);
    EXPECT_FALSE(d.onData("{not json"));
    EXPECT_FALSE(d.onData(R"({"error":{"message":"overloaded"}})"));
    EXPECT_EQ(d.error(), "stream error: overloaded");
}

TEST(OpenAiDecoder, DescribeHttpError) {
    EXPECT_EQ(describeHttpError(401, R"({"error":{"message":"bad key","type":"x"}})", "u"),
              "HTTP 401 from u: bad key");
    EXPECT_EQ(describeHttpError(404, R"({"error":"model not found"})", "u"),
              "HTTP 404 from u: model not found");
    EXPECT_EQ(describeHttpError(502, "Bad Gateway", "u"), "HTTP 502 from u: Bad Gateway");
    EXPECT_EQ(describeHttpError(503, "", "u"), "HTTP 503 from u");
}

}  // namespace
}  // namespace voxa::providers::openai
