#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "call/pricing.h"
#include "call/session.h"

namespace voxa::call {

namespace json = boost::json;

TEST(Templating, ReplacesVariablesEverywhereAndUnknownsWithNothing) {
    json::value v = json::parse(R"({
        "firstMessage": "Hello {{name}}, call {{ call.id }}!",
        "model": {"messages": [{"role": "system", "content": "Today is {{date}}. {{missing}}done"}]},
        "n": 3, "list": ["{{name}}", "plain"]})");
    json::object vars{{"name", "Ada"}, {"call.id", "c-1"}, {"date", "Nov 24, 2026"}};
    applyVariables(v, vars);
    EXPECT_EQ(v.at("firstMessage"), "Hello Ada, call c-1!");
    EXPECT_EQ(v.at("model").at("messages").at(0).at("content"), "Today is Nov 24, 2026. done");
    EXPECT_EQ(v.at("list").at(0), "Ada");
    EXPECT_EQ(v.at("n"), 3);
}

TEST(Templating, NonStringValuesAreSerializedAndFiltersIgnored) {
    json::value v = "Count: {{count}} / {{name | upcase}} / {{ unterminated";
    applyVariables(v, json::object{{"count", 7}, {"name", "ada"}});
    EXPECT_EQ(v, "Count: 7 / ada / {{ unterminated");
}

TEST(Pricing, LocalEnginesAreFreeAndOpenAiIsPricedPerToken) {
    auto local = priceCall(json::object{}, {.minutes = 2, .promptTokens = 1000, .completionTokens = 100});
    EXPECT_EQ(local.total, 0);
    EXPECT_EQ(local.breakdown.at("llmPromptTokens"), 1000);

    json::object a{{"model", json::object{{"provider", "openai"}, {"model", "gpt-4o-mini"}}},
                   {"transcriber", json::object{{"provider", "deepgram"}}}};
    auto c = priceCall(a, {.minutes = 10, .promptTokens = 1'000'000, .completionTokens = 1'000'000});
    EXPECT_NEAR(c.breakdown.at("llm").to_number<double>(), 0.75, 1e-9);   // 0.15 + 0.60
    EXPECT_NEAR(c.breakdown.at("stt").to_number<double>(), 0.043, 1e-9);  // 10 min deepgram
    EXPECT_NEAR(c.total, 0.793, 1e-9);
    ASSERT_EQ(c.items.size(), 5u);
    EXPECT_EQ(c.items[2].at("type"), "model");
}

TEST(Pricing, AssemblyAiUniversalStreamingIsFifteenCentsAnHour) {
    json::object a{{"transcriber", json::object{{"provider", "assembly-ai"}}}};
    auto c = priceCall(a, {.minutes = 60});
    EXPECT_NEAR(c.breakdown.at("stt").to_number<double>(), 0.15, 1e-9);
    EXPECT_NEAR(c.total, 0.15, 1e-9);
    EXPECT_EQ(c.items[1].at("transcriber").at("provider"), "assembly-ai");
}

}  // namespace voxa::call
