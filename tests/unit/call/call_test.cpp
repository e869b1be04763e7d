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
    EXPECT_NEAR(c.breakdown.at("stt").to_number<double>(), 0.059, 1e-9);  // 10 min deepgram
    EXPECT_NEAR(c.total, 0.809, 1e-9);
    ASSERT_EQ(c.items.size(), 5u);
    EXPECT_EQ(c.items[2].at("type"), "model");
}

TEST(Pricing, AnthropicIsPricedByModelWithItsPromptCacheRates) {
    json::object a{{"model", json::object{{"provider", "anthropic"}, {"model", "claude-3-5-haiku-20241022"}}}};
    // 1M prompt tokens, of which 600k were read from the cache and 200k written to it.
    auto c = priceCall(a, {.promptTokens = 1'000'000, .completionTokens = 100'000,
                           .cachedPromptTokens = 600'000, .cacheWriteTokens = 200'000});
    // 200k * 0.8 + 600k * 0.08 + 200k * 1.0 + 100k * 4.0, per million
    EXPECT_NEAR(c.breakdown.at("llm").to_number<double>(), 0.16 + 0.048 + 0.2 + 0.4, 1e-9);
    EXPECT_EQ(c.breakdown.at("llmCachedPromptTokens"), 600'000);
    EXPECT_EQ(c.items[2].at("cachedPromptTokens"), 600'000);
    EXPECT_EQ(c.items[2].at("model").at("provider"), "anthropic");
    // The longest prefix: claude-opus-4-5 is not priced as claude-opus-4.
    json::object opus{{"model", json::object{{"provider", "anthropic"}, {"model", "claude-opus-4-5-20251101"}}}};
    EXPECT_NEAR(priceCall(opus, {.promptTokens = 1'000'000}).total, 5.0, 1e-9);
}

TEST(Pricing, SpeechIsPricedByProviderAndTheLongestMatchingModel) {
    auto price = [](const char* stt, const char* sttModel, const char* tts, const char* ttsModel) {
        json::object t{{"provider", stt}}, v{{"provider", tts}};
        if (*sttModel) t["model"] = sttModel;
        if (*ttsModel) v["model"] = ttsModel;
        return priceCall(json::object{{"transcriber", t}, {"voice", v}}, {.minutes = 10, .ttsCharacters = 2000});
    };
    auto c = price("assembly-ai", "", "11labs", "");
    EXPECT_NEAR(c.breakdown.at("stt").to_number<double>(), 0.025, 1e-9);  // $0.15 / hour
    EXPECT_NEAR(c.breakdown.at("tts").to_number<double>(), 0.10, 1e-9);   // turbo: $0.05 / 1k
    EXPECT_NEAR(price("openai", "gpt-4o-mini-transcribe", "11labs", "eleven_multilingual_v2").total,
                0.03 + 0.20, 1e-9);
    EXPECT_NEAR(price("openai", "gpt-4o-transcribe", "openai", "tts-1-hd").total, 0.06 + 0.06, 1e-9);
    EXPECT_NEAR(price("deepgram", "nova-3", "deepgram", "aura").total, 0.059 + 0.03, 1e-9);
    EXPECT_NEAR(price("deepgram", "nova-3", "deepgram", "aura-2").total, 0.059 + 0.06, 1e-9);
    EXPECT_NEAR(price("deepgram", "nova-3", "deepgram", "").total, 0.059 + 0.06, 1e-9) << "Aura-2 by default";
    EXPECT_EQ(price("custom-transcriber", "", "custom-voice", "").total, 0) << "your own servers";
    EXPECT_EQ(price("local", "", "local", "").total, 0);
    auto items = price("assembly-ai", "", "cartesia", "sonic-2").items;
    EXPECT_EQ(items[1].at("transcriber").at("provider"), "assembly-ai");
    EXPECT_NEAR(items[3].at("cost").to_number<double>(), 0.06, 1e-9);
}

TEST(Pricing, DeepgramAuraIsPricedPerCharacterByGeneration) {
    auto tts = [](const char* voice) {
        json::object a{{"voice", json::parse(voice)}};
        return priceCall(a, {.minutes = 1, .ttsCharacters = 2000}).breakdown.at("tts").to_number<double>();
    };
    EXPECT_NEAR(tts(R"({"provider":"deepgram","voiceId":"thalia"})"), 0.060, 1e-9);  // Aura-2: $0.030 / 1k
    EXPECT_NEAR(tts(R"({"provider":"deepgram","voiceId":"asteria","model":"aura"})"), 0.030, 1e-9);  // Aura-1
    EXPECT_NEAR(tts(R"({"provider":"deepgram","voiceId":"aura-asteria-en"})"), 0.030, 1e-9);
}

TEST(Pricing, OpenAiSpeechIsPricedByItsModel) {
    auto cost = [](const char* stt, const char* tts) {
        json::object a{{"transcriber", json::object{{"provider", "openai"}, {"model", stt}}},
                       {"voice", json::object{{"provider", "openai"}, {"voiceId", "alloy"}, {"model", tts}}}};
        return priceCall(a, {.minutes = 10, .ttsCharacters = 100'000});
    };
    auto c = cost("gpt-4o-transcribe", "tts-1");
    EXPECT_NEAR(c.breakdown.at("stt").to_number<double>(), 0.06, 1e-9);  // $0.006 / min
    EXPECT_NEAR(c.breakdown.at("tts").to_number<double>(), 1.5, 1e-9);   // $15 / 1M characters
    c = cost("gpt-4o-mini-transcribe", "tts-1-hd");
    EXPECT_NEAR(c.breakdown.at("stt").to_number<double>(), 0.03, 1e-9);  // $0.003 / min
    EXPECT_NEAR(c.breakdown.at("tts").to_number<double>(), 3.0, 1e-9);   // $30 / 1M characters
    c = cost("whisper-1", "gpt-4o-mini-tts");
    EXPECT_NEAR(c.breakdown.at("stt").to_number<double>(), 0.06, 1e-9);
    // $0.015 a minute of audio at ~900 characters a minute: 100k characters ~ 111 minutes.
    EXPECT_NEAR(c.breakdown.at("tts").to_number<double>(), 1.666667, 1e-6);
    EXPECT_EQ(c.items[1].at("transcriber").at("provider"), "openai");
}

TEST(Pricing, AssemblyAiUniversalStreamingIsFifteenCentsAnHour) {
    json::object a{{"transcriber", json::object{{"provider", "assembly-ai"}}}};
    auto c = priceCall(a, {.minutes = 60});
    EXPECT_NEAR(c.breakdown.at("stt").to_number<double>(), 0.15, 1e-9);
    EXPECT_NEAR(c.total, 0.15, 1e-9);
    EXPECT_EQ(c.items[1].at("transcriber").at("provider"), "assembly-ai");
}

}  // namespace voxa::call
