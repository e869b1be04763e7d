// Anthropic's Messages API without I/O: the request built from the pipeline's OpenAI-format
// conversation, and the stream decoder fed Anthropic's documented events.
#include "providers/anthropic/anthropic.h"

#include <boost/json.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>

#include "providers/credentials.h"
#include "providers/endpoints.h"
#include "providers/providers.h"

namespace voxa::providers::anthropic {
namespace {

namespace json = boost::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

struct Recorder {
    std::vector<std::string> events;
    std::optional<Usage> usage;
    std::optional<ProviderError> error;
    bool stopped = false;

    LlmCallbacks callbacks() {
        return {
            .onText = [this](const std::string& t) { events.push_back("text:" + t); },
            .onToolCall = [this](const ToolCall& c) {
                events.push_back("tool:" + c.id + "|" + c.name + "|" + c.arguments);
            },
            .onDone = [this](const Usage& u) {
                usage = u;
                events.push_back("done");
            },
            .onError = [this](const ProviderError& e) {
                error = e;
                events.push_back("error");
            },
        };
    }
};

Settings settings() {
    Settings s;
    s.model = "claude-sonnet-4-20250514";
    return s;
}

json::object build(const char* messages, const char* tools = "[]", Settings s = settings()) {
    LlmRequest req;
    req.messages = json::parse(messages).as_array();
    req.tools = json::parse(tools).as_array();
    return buildRequest(s, req);
}

// ---- the request -----------------------------------------------------------------------

TEST(AnthropicRequest, SystemIsSeparateAndMaxTokensAlwaysSent) {
    auto body = build(R"([{"role":"system","content":"You are a florist."},
                          {"role":"system","content":"Be brief."},
                          {"role":"user","content":"Hi"}])");
    EXPECT_EQ(body.at("model"), "claude-sonnet-4-20250514");
    EXPECT_EQ(body.at("system"), "You are a florist.\n\nBe brief.");
    EXPECT_EQ(body.at("max_tokens"), kDefaultMaxTokens);
    EXPECT_EQ(body.at("stream"), true);
    EXPECT_FALSE(body.contains("temperature"));
    EXPECT_FALSE(body.contains("tools"));
    EXPECT_EQ(json::serialize(body.at("messages")),
              R"([{"role":"user","content":[{"type":"text","text":"Hi"}]}])");
}

TEST(AnthropicRequest, ConversationStartsWithTheUserAndAlternates) {
    // The firstMessage is the assistant's; two user turns in a row are merged.
    auto body = build(R"([{"role":"system","content":"S"},
                          {"role":"assistant","content":"Hello, garden center."},
                          {"role":"user","content":"I need"},
                          {"role":"user","content":[{"type":"text","text":"tulips"}]},
                          {"role":"assistant","content":"Sure. "}])");
    auto& m = body.at("messages").as_array();
    ASSERT_EQ(m.size(), 4u);
    EXPECT_EQ(m[0].at("role"), "user");
    EXPECT_EQ(m[0].at("content").at(0).at("text"), "(The call has started.)");
    EXPECT_EQ(m[1].at("role"), "assistant");
    EXPECT_EQ(m[2].at("role"), "user");
    EXPECT_EQ(m[2].at("content").as_array().size(), 2u);
    EXPECT_EQ(m[2].at("content").at(1).at("text"), "tulips");
    EXPECT_EQ(m[3].at("content").at(0).at("text"), "Sure.");  // a prefill: no trailing space
}

TEST(AnthropicRequest, ToolCallsAndResultsBecomeToolUseAndToolResultBlocks) {
    auto body = build(R"([{"role":"user","content":"Weather in Paris and Rome?"},
                          {"role":"assistant","content":"","tool_calls":[
                             {"id":"toolu_1","type":"function","function":{"name":"getWeather","arguments":"{\"city\":\"Paris\"}"}},
                             {"id":"call.2","type":"function","function":{"name":"getWeather","arguments":"not json"}}]},
                          {"role":"tool","tool_call_id":"toolu_1","name":"getWeather","content":"sunny"},
                          {"role":"tool","tool_call_id":"call.2","content":"rainy"}])",
                      R"([{"type":"function","function":{"name":"getWeather","description":"Weather by city",
                           "parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}},
                          {"type":"function","function":{"name":"noParams"}}])");
    auto& m = body.at("messages").as_array();
    ASSERT_EQ(m.size(), 3u);
    EXPECT_EQ(json::serialize(m[1]),
              R"({"role":"assistant","content":[)"
              R"({"type":"tool_use","id":"toolu_1","name":"getWeather","input":{"city":"Paris"}},)"
              R"({"type":"tool_use","id":"call_2","name":"getWeather","input":{}}]})");
    EXPECT_EQ(json::serialize(m[2]),
              R"({"role":"user","content":[)"
              R"({"type":"tool_result","tool_use_id":"toolu_1","content":"sunny"},)"
              R"({"type":"tool_result","tool_use_id":"call_2","content":"rainy"}]})");
    EXPECT_EQ(json::serialize(body.at("tools")),
              R"([{"name":"getWeather","description":"Weather by city","input_schema":)"
              R"({"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}},)"
              R"({"name":"noParams","input_schema":{"type":"object"}}])");
}

TEST(AnthropicRequest, EveryToolUseIsAnsweredAndResultsComeFirst) {
    // The caller spoke while the tool ran (their words came before its result), a second
    // call never got a result, and a stray result answers nothing.
    auto body = build(R"([{"role":"user","content":"Book it"},
                          {"role":"assistant","content":"One moment.","tool_calls":[
                             {"id":"a","type":"function","function":{"name":"book","arguments":"{}"}},
                             {"id":"b","type":"function","function":{"name":"notify","arguments":"{}"}}]},
                          {"role":"user","content":"hello?"},
                          {"role":"tool","tool_call_id":"a","content":"booked"},
                          {"role":"tool","tool_call_id":"zzz","content":"old"}])");
    auto& user = body.at("messages").at(2).at("content").as_array();
    ASSERT_EQ(user.size(), 4u);
    EXPECT_EQ(user[0].at("tool_use_id"), "a");
    EXPECT_EQ(user[1].at("tool_use_id"), "b");
    EXPECT_EQ(user[1].at("is_error"), true);
    EXPECT_EQ(user[2].at("text"), "hello?");
    EXPECT_EQ(user[3].at("text"), "Result of an earlier tool call: old");
}

TEST(AnthropicRequest, TemperatureMaxTokensAndThinking) {
    Settings s = settings();
    s.temperature = 0.3;
    s.maxTokens = 400;
    auto body = build(R"([{"role":"user","content":"Hi"}])", "[]", s);
    EXPECT_EQ(body.at("temperature").as_double(), 0.3);
    EXPECT_EQ(body.at("max_tokens"), 400);
    EXPECT_FALSE(body.contains("thinking"));

    s.thinkingBudget = 2048;  // max_tokens must exceed the budget; no temperature with thinking
    body = build(R"([{"role":"user","content":"Hi"}])", "[]", s);
    EXPECT_EQ(json::serialize(body.at("thinking")), R"({"type":"enabled","budget_tokens":2048})");
    EXPECT_EQ(body.at("max_tokens"), 2448);
    EXPECT_FALSE(body.contains("temperature"));
}

TEST(AnthropicRequest, ThinkingGoesBackAheadOfTheToolUseItLedTo) {
    LlmRequest req;
    req.messages = json::parse(R"([{"role":"user","content":"Weather?"},
        {"role":"assistant","content":"","tool_calls":[{"id":"toolu_9","type":"function","function":{"name":"w","arguments":"{}"}}]},
        {"role":"tool","tool_call_id":"toolu_9","content":"sunny"}])").as_array();
    ThinkingByToolUse thinking;
    thinking["toolu_9"] = json::parse(R"([{"type":"thinking","thinking":"Use the tool.","signature":"sig"}])").as_array();
    auto body = buildRequest(settings(), req, &thinking);
    auto& assistant = body.at("messages").at(1).at("content").as_array();
    ASSERT_EQ(assistant.size(), 2u);
    EXPECT_EQ(assistant[0].at("type"), "thinking");
    EXPECT_EQ(assistant[0].at("signature"), "sig");
    EXPECT_EQ(assistant[1].at("type"), "tool_use");
}

TEST(AnthropicSettings, UrlHeadersAndFields) {
    EXPECT_EQ(messagesUrl("https://api.anthropic.com"), "https://api.anthropic.com/v1/messages");
    EXPECT_EQ(messagesUrl("http://127.0.0.1:9/"), "http://127.0.0.1:9/v1/messages");
    EXPECT_EQ(messagesUrl("http://h/v1"), "http://h/v1/messages");
    EXPECT_EQ(messagesUrl("http://h/v1/messages"), "http://h/v1/messages");

    Context ctx;
    ctx.credentials["anthropic"] = {"sk-ant-test", ""};
    auto s = resolveSettings(json::parse(R"({"provider":"anthropic","model":"claude-3-5-haiku-20241022",
        "temperature":0.5,"maxTokens":300,"thinking":{"type":"enabled","budgetTokens":1024},
        "timeoutSeconds":2})").as_object(), ctx);
    EXPECT_EQ(s.url, "https://api.anthropic.com/v1/messages");
    EXPECT_EQ(s.model, "claude-3-5-haiku-20241022");
    EXPECT_EQ(s.maxTokens, 300);
    EXPECT_EQ(s.thinkingBudget, 1024);
    EXPECT_EQ(s.timeout, std::chrono::milliseconds(2000));
    auto header = [&](std::string_view name) {
        for (auto& h : s.headers)
            if (h.name == name) return h.value;
        return std::string("<none>");
    };
    EXPECT_EQ(header("x-api-key"), "sk-ant-test");
    EXPECT_EQ(header("anthropic-version"), "2023-06-01");
    EXPECT_EQ(header("Content-Type"), "application/json");
    EXPECT_EQ(header("Authorization"), "<none>");

    setOperatorUrls({{"anthropic", "http://127.0.0.1:4555"}});
    EXPECT_EQ(resolveSettings({}, ctx).url, "http://127.0.0.1:4555/v1/messages");
    setOperatorUrls({});
}

TEST(AnthropicSettings, KeyIsRequiredAndNamed) {
    ::unsetenv("ANTHROPIC_API_KEY");
    auto a = json::parse(R"({"model":{"provider":"anthropic","model":"claude-sonnet-4-20250514"}})").as_object();
    std::vector<std::string> missing;
    EXPECT_TRUE(resolveCredentials(a, {}, &missing).empty());
    ASSERT_EQ(missing.size(), 1u);
    EXPECT_TRUE(missing[0].starts_with("model.provider \"anthropic\" needs an API key")) << missing[0];
    EXPECT_THAT(missing[0], HasSubstr("ANTHROPIC_API_KEY"));
    ::setenv("ANTHROPIC_API_KEY", "sk-ant-env", 1);
    auto creds = resolveCredentials(a, {}, &missing);
    ::unsetenv("ANTHROPIC_API_KEY");
    ASSERT_TRUE(creds.count("anthropic"));
    EXPECT_EQ(creds["anthropic"].apiKey, "sk-ant-env");
}

// ---- the stream ------------------------------------------------------------------------

struct Stream {
    Recorder rec;
    LlmCallbacks cb = rec.callbacks();
    StreamDecoder dec{cb, [this] { return rec.stopped; }};
    bool feed(std::string_view event, std::string_view data) { return dec.onEvent(event, data); }
};

TEST(AnthropicStream, TextToolCallsSplitAcrossDeltasAndUsage) {
    Stream s;
    s.feed("message_start", R"({"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant",
        "content":[],"model":"claude-sonnet-4-20250514","stop_reason":null,"stop_sequence":null,
        "usage":{"input_tokens":12,"cache_creation_input_tokens":100,"cache_read_input_tokens":2000,"output_tokens":1}}})");
    s.feed("content_block_start", R"({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}})");
    s.feed("ping", R"({"type": "ping"})");
    s.feed("content_block_delta", R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Let me "}})");
    s.feed("content_block_delta", R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"check."}})");
    s.feed("content_block_stop", R"({"type":"content_block_stop","index":0})");
    s.feed("content_block_start", R"({"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_a","name":"getWeather","input":{}}})");
    s.feed("content_block_delta", R"({"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":""}})");
    s.feed("content_block_delta", R"({"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"ci"}})");
    s.feed("content_block_delta", R"({"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"ty\": \"Paris\"}"}})");
    EXPECT_EQ(s.rec.events.size(), 2u) << "no tool call before its block stops";
    s.feed("content_block_stop", R"({"type":"content_block_stop","index":1})");
    s.feed("content_block_start", R"({"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_b","name":"getTime","input":{}}})");
    s.feed("content_block_stop", R"({"type":"content_block_stop","index":2})");
    s.feed("message_delta", R"({"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":42}})");
    EXPECT_TRUE(s.feed("message_stop", R"({"type":"message_stop"})"));
    EXPECT_THAT(s.rec.events, ElementsAre("text:Let me ", "text:check.", "tool:toolu_a|getWeather|{\"city\": \"Paris\"}",
                                          "tool:toolu_b|getTime|{}", "done"));
    EXPECT_EQ(s.dec.stopReason(), "tool_use");
    ASSERT_TRUE(s.rec.usage);
    EXPECT_EQ(s.rec.usage->promptTokens, 2112);  // input + cache read + cache write
    EXPECT_EQ(s.rec.usage->cachedPromptTokens, 2000);
    EXPECT_EQ(s.rec.usage->cacheWriteTokens, 100);
    EXPECT_EQ(s.rec.usage->completionTokens, 42);
    // Nothing after message_stop.
    s.feed("content_block_delta", R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"late"}})");
    EXPECT_EQ(s.rec.events.size(), 5u);
}

TEST(AnthropicStream, EventNameAloneIsEnoughAndUnknownEventsAreIgnored) {
    Stream s;
    s.feed("content_block_delta", R"({"index":0,"delta":{"type":"text_delta","text":"Hi"}})");
    s.feed("something_new", R"({"type":"something_new","x":1})");
    s.feed("", R"({"type":"message_stop"})");
    EXPECT_THAT(s.rec.events, ElementsAre("text:Hi", "done"));
}

TEST(AnthropicStream, ThinkingIsNotSpokenButKeptForTheToolRound) {
    Stream s;
    s.feed("content_block_start", R"({"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}})");
    s.feed("content_block_delta", R"({"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"The user wants "}})");
    s.feed("content_block_delta", R"({"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"weather."}})");
    s.feed("content_block_delta", R"({"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQB"}})");
    s.feed("content_block_stop", R"({"type":"content_block_stop","index":0})");
    s.feed("content_block_start", R"({"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_t","name":"w","input":{}}})");
    s.feed("content_block_stop", R"({"type":"content_block_stop","index":1})");
    s.feed("message_stop", R"({"type":"message_stop"})");
    EXPECT_THAT(s.rec.events, ElementsAre("tool:toolu_t|w|{}", "done"));
    EXPECT_THAT(s.dec.toolUseIds(), ElementsAre("toolu_t"));
    EXPECT_EQ(json::serialize(s.dec.takeThinking()),
              R"([{"type":"thinking","thinking":"The user wants weather.","signature":"EqQB"}])");
}

TEST(AnthropicStream, ErrorEventsCarryAnthropicsTypeAndStatus) {
    struct Case {
        const char* type;
        int status;
        FailureCause cause;
    };
    for (auto c : {Case{"overloaded_error", 529, FailureCause::ServerError},
                   Case{"rate_limit_error", 429, FailureCause::RateLimited},
                   Case{"api_error", 500, FailureCause::ServerError},
                   Case{"authentication_error", 401, FailureCause::Unauthorized},
                   Case{"permission_error", 403, FailureCause::Forbidden},
                   Case{"invalid_request_error", 400, FailureCause::BadRequest}}) {
        Stream s;
        s.feed("content_block_delta", R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Sure"}})");
        std::string data = std::string(R"({"type":"error","error":{"type":")") + c.type + R"(","message":"Overloaded"}})";
        EXPECT_FALSE(s.feed("error", data));
        ASSERT_TRUE(s.rec.error) << c.type;
        EXPECT_EQ(s.rec.error->status, c.status) << c.type;
        EXPECT_EQ(s.rec.error->code, c.type);
        EXPECT_EQ(s.rec.error->cause, c.cause) << c.type;
        EXPECT_THAT(s.rec.error->message, HasSubstr("Overloaded"));
        EXPECT_FALSE(s.feed("message_stop", R"({"type":"message_stop"})"));
        EXPECT_THAT(s.rec.events, ElementsAre("text:Sure", "error"));
    }
    EXPECT_EQ(statusForErrorType("overloaded_error"), 529);
    EXPECT_EQ(statusForErrorType("nonsense"), 0);
    EXPECT_EQ(errorType(R"({"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}})"),
              "authentication_error");
    EXPECT_EQ(errorType(R"({"type":"error","error":{"type":"bad type\u0001"}})"), "");
    EXPECT_EQ(describeHttpError(401, R"({"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}})",
                                "http://h/v1/messages"),
              "HTTP 401 from http://h/v1/messages: invalid x-api-key");
}

TEST(AnthropicStream, BoundsAndBadInput) {
    {
        Stream s;
        EXPECT_FALSE(s.feed("message_start", "{not json"));
        ASSERT_TRUE(s.rec.error);
        EXPECT_EQ(s.rec.error->cause, FailureCause::BadMessage);
    }
    {
        Stream s;
        s.feed("content_block_start", R"({"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"t","name":"n","input":{}}})");
        std::string piece(64 * 1024, 'x');
        std::string data = R"({"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":")" + piece + "\"}}";
        bool ok = true;
        for (int i = 0; i < 20 && ok; ++i) ok = s.feed("content_block_delta", data);
        EXPECT_FALSE(ok) << "a tool input over 1 MiB fails the turn";
        ASSERT_TRUE(s.rec.error);
        EXPECT_THAT(s.rec.error->message, HasSubstr("1 MiB"));
    }
    {
        Stream s;
        bool ok = true;
        for (int i = 0; i < 100 && ok; ++i)
            ok = s.feed("content_block_start", R"({"type":"content_block_start","index":)" + std::to_string(i) +
                                                   R"(,"content_block":{"type":"text","text":""}})");
        EXPECT_FALSE(ok) << "at most 64 content blocks";
    }
    {
        Stream s;  // a callback that stops the turn silences the rest
        s.rec.stopped = true;
        s.feed("content_block_delta", R"({"index":0,"delta":{"type":"text_delta","text":"Hi"}})");
        s.feed("message_stop", R"({"type":"message_stop"})");
        EXPECT_TRUE(s.rec.events.empty());
    }
}

}  // namespace
}  // namespace voxa::providers::anthropic
