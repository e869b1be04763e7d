#include <gtest/gtest.h>

#include "local_test_util.h"

namespace voxa::providers::local::test {

namespace {

struct LlmRecorder {
    std::vector<std::string> pieces;
    std::vector<ToolCall> tools;
    std::optional<Usage> done;
    std::vector<std::string> errors;
    std::string text() const {
        std::string s;
        for (auto& p : pieces) s += p;
        return s;
    }
    LlmCallbacks callbacks() {
        return {.onText = [this](const std::string& d) { pieces.push_back(d); },
                .onToolCall = [this](const ToolCall& t) { tools.push_back(t); },
                .onDone = [this](const Usage& u) { done = u; },
                .onError = [this](const ProviderError& e) { errors.push_back(e.message); }};
    }
};

LlmRequest userSays(const std::string& text) {
    LlmRequest r;
    r.messages.push_back({{"role", "system"}, {"content", "You are a helpful agent."}});
    r.messages.push_back({{"role", "user"}, {"content", text}});
    return r;
}

const char* kRules = R"json({
  "provider": "local",
  "rules": [
    {"match": ["hello", "hi"], "reply": "Hello! How can I help?"},
    {"match": ["bye", "goodbye"], "reply": "Goodbye!"},
    {"match": ["weather"], "tool": "get_weather", "arguments": {"city": "Paris"},
     "reply": "Let me check.", "toolReply": "Weather report: {{result}}"},
    {"regex": "order (?:number )?(\\d+)", "reply": "Looking up order {{1}}.",
     "tool": "lookup_order", "arguments": {"order": "{{1}}", "said": "{{text}}"}},
    {"all": ["cancel", "appointment"], "reply": "Your appointment is cancelled."}
  ],
  "fallback": "Sorry, I can only help with the weather. You said: {{text}}"
})json";

}  // namespace

struct ScriptedLlm : ::testing::Test {
    Loop loop;
    LlmRecorder rec;
    std::string run(const char* config, LlmRequest req) {
        auto session = makeScriptedLlmProvider()->open(obj(config), loop.ctx);
        auto turn = session->complete(std::move(req), rec.callbacks());
        EXPECT_TRUE(loop.runUntil([&] { return rec.done || !rec.errors.empty(); }));
        return rec.text();
    }
};

TEST_F(ScriptedLlm, MatchesKeywordRulesAndStreamsWords) {
    EXPECT_EQ(run(kRules, userSays("Hi there")), "Hello! How can I help?");
    EXPECT_EQ(rec.pieces, (std::vector<std::string>{"Hello!", " How", " can", " I", " help?"}));
    ASSERT_TRUE(rec.done);
    EXPECT_EQ(rec.done->completionTokens, 5);
    EXPECT_EQ(rec.done->promptTokens, 5 + 2);
    EXPECT_TRUE(rec.tools.empty());
}

TEST_F(ScriptedLlm, KeywordsMatchWholeWordsOnly) {
    // "this" contains "hi" but is not the word "hi"; "goodbye" comes second in the rules.
    EXPECT_EQ(run(kRules, userSays("this is it, goodbye.")), "Goodbye!");
}

TEST_F(ScriptedLlm, EmitsToolCallAndAnswersWithTheResult) {
    EXPECT_EQ(run(kRules, userSays("What's the WEATHER like?")), "Let me check.");
    ASSERT_EQ(rec.tools.size(), 1u);
    EXPECT_EQ(rec.tools[0].name, "get_weather");
    EXPECT_EQ(rec.tools[0].id, "call_local_1");
    EXPECT_EQ(boost::json::parse(rec.tools[0].arguments),
              boost::json::parse(R"({"city":"Paris"})"));

    LlmRequest req = userSays("What's the weather like?");
    req.messages.push_back(
        {{"role", "assistant"},
         {"content", nullptr},
         {"tool_calls", boost::json::array{{{"id", "call_local_1"},
                                            {"type", "function"},
                                            {"function", {{"name", "get_weather"},
                                                          {"arguments", "{}"}}}}}}});
    req.messages.push_back(
        {{"role", "tool"}, {"tool_call_id", "call_local_1"}, {"content", "sunny, 21 degrees"}});
    rec = {};
    EXPECT_EQ(run(kRules, req), "Weather report: sunny, 21 degrees");
    EXPECT_TRUE(rec.tools.empty());
}

TEST_F(ScriptedLlm, RegexCapturesFillReplyAndArguments) {
    EXPECT_EQ(run(kRules, userSays("Where is order number 1234?")), "Looking up order 1234.");
    ASSERT_EQ(rec.tools.size(), 1u);
    auto args = boost::json::parse(rec.tools[0].arguments).as_object();
    EXPECT_EQ(args["order"], "1234");
    EXPECT_EQ(args["said"], "Where is order number 1234?");
}

TEST_F(ScriptedLlm, AllOfKeywords) {
    EXPECT_EQ(run(kRules, userSays("please cancel my appointment")),
              "Your appointment is cancelled.");
    rec = {};
    EXPECT_EQ(run(kRules, userSays("please cancel it")),
              "Sorry, I can only help with the weather. You said: please cancel it");
}

TEST_F(ScriptedLlm, BuiltInDefaults) {
    EXPECT_EQ(run("{}", userSays("Good morning!")), "Hello! How can I help you today?");
    rec = {};
    EXPECT_EQ(run("{}", userSays("ok bye")), "Goodbye! Have a great day.");
    rec = {};
    EXPECT_EQ(run("{}", userSays("I need a plumber")), "You said: I need a plumber");
    rec = {};
    EXPECT_EQ(run("{}", userSays("   ")), "Sorry, I didn't catch that. Could you say it again?");
    rec = {};
    LlmRequest onlySystem;
    onlySystem.messages.push_back({{"role", "system"}, {"content", "Be nice."}});
    EXPECT_EQ(run("{}", onlySystem), "Hello! How can I help you today?");
    rec = {};
    // Array content parts (OpenAI format) are read too.
    LlmRequest parts;
    parts.messages.push_back(
        {{"role", "user"},
         {"content", boost::json::array{{{"type", "text"}, {"text", "hello"}}}}});
    EXPECT_EQ(run("{}", parts), "Hello! How can I help you today?");
}

TEST_F(ScriptedLlm, InvalidRegexIsReportedOnComplete) {
    run(R"json({"rules":[{"regex":"(unclosed","reply":"x"}]})json", userSays("hello"));
    ASSERT_EQ(rec.errors.size(), 1u);
    EXPECT_NE(rec.errors[0].find("regex"), std::string::npos);
    EXPECT_TRUE(rec.pieces.empty());
}

TEST_F(ScriptedLlm, CancelStopsFurtherCallbacks) {
    auto session = makeScriptedLlmProvider()->open(
        obj(R"({"rules":[{"match":["story"],"reply":"Once upon a time there was a cat.",
                 "tool":"log"}], "tokenDelayMs": 5})"),
        loop.ctx);
    std::shared_ptr<LlmTurn> turn;
    auto cb = rec.callbacks();
    auto onText = cb.onText;
    cb.onText = [&](const std::string& d) {
        onText(d);
        if (rec.pieces.size() == 2) turn->cancel();
    };
    turn = session->complete(userSays("tell me a story"), cb);
    loop.runFor(std::chrono::milliseconds(200));
    EXPECT_EQ(rec.pieces.size(), 2u);
    EXPECT_TRUE(rec.tools.empty());
    EXPECT_FALSE(rec.done);

    // Cancelling before the loop runs suppresses everything.
    LlmRecorder rec2;
    auto t2 = session->complete(userSays("a story"), rec2.callbacks());
    t2->cancel();
    loop.runFor(std::chrono::milliseconds(100));
    EXPECT_TRUE(rec2.pieces.empty());
    EXPECT_FALSE(rec2.done);
}

TEST_F(ScriptedLlm, TokenDelaySpacesWords) {
    auto t0 = Clock::now();
    run(R"({"rules":[{"match":["x"],"reply":"a b c d e"}],"tokenDelayMs":20})", userSays("x"));
    auto ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    EXPECT_EQ(rec.text(), "a b c d e");
    EXPECT_GE(ms, 75);
}

}  // namespace voxa::providers::local::test
