#include "call/pricing.h"

#include "common/json_fields.h"
#include "providers/deepgram/deepgram_tts.h"

#include <boost/json.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <string_view>

namespace voxa::call {

namespace json = boost::json;

namespace {

struct LlmPrice {
    const char* model;
    double inputPerM, outputPerM;  // USD per million tokens
};
// Public list prices (USD / 1M tokens). Unknown models of a cloud provider use the first
// row of that provider; local and self-hosted OpenAI-compatible servers are free.
constexpr LlmPrice kOpenAi[] = {{"gpt-4o", 2.5, 10.0},         {"gpt-4o-mini", 0.15, 0.6},
                                {"gpt-4.1", 2.0, 8.0},         {"gpt-4.1-mini", 0.4, 1.6},
                                {"gpt-4.1-nano", 0.1, 0.4},    {"gpt-3.5-turbo", 0.5, 1.5}};
// Anthropic (USD / 1M tokens), by the longest model prefix; an unknown model uses the first
// row. Prompt caching: a cache read costs 0.1x the input price, a (5-minute) cache write 1.25x.
constexpr LlmPrice kAnthropic[] = {
    {"claude-sonnet-4", 3.0, 15.0},      {"claude-sonnet", 3.0, 15.0},
    {"claude-opus-4", 15.0, 75.0},       {"claude-opus-4-5", 5.0, 25.0},
    {"claude-opus-4-6", 5.0, 25.0},      {"claude-haiku-4-5", 1.0, 5.0},
    {"claude-3-7-sonnet", 3.0, 15.0},    {"claude-3-5-sonnet", 3.0, 15.0},
    {"claude-3-5-haiku", 0.8, 4.0},      {"claude-3-opus", 15.0, 75.0},
    {"claude-3-sonnet", 3.0, 15.0},      {"claude-3-haiku", 0.25, 1.25}};
constexpr double kCacheReadFactor = 0.1, kCacheWriteFactor = 1.25;

const LlmPrice& anthropicPrice(std::string_view m) {
    const LlmPrice* best = &kAnthropic[0];
    size_t bestLen = 0;
    for (auto& row : kAnthropic) {
        std::string_view prefix = row.model;
        if (m.starts_with(prefix) && prefix.size() > bestLen) best = &row, bestLen = prefix.size();
    }
    return *best;
}

// Speech: the price of a provider's model, by the longest `model` prefix that matches the
// assistant's (an empty prefix is the provider's default row). Providers not listed here
// (local, custom-transcriber, custom-voice, bench) are free: they run on your own machines.
struct SpeechPrice {
    const char* provider;
    const char* modelPrefix;
    double price;  // transcribers: USD per minute of call; voices: USD per 1,000 characters
};
constexpr SpeechPrice kSttPerMinute[] = {
    {"deepgram", "", 0.0059},  // Nova-2 / Nova-3 streaming
    {"assembly-ai", "", 0.0025},  // Universal Streaming, $0.15 / hour
    {"openai", "", 0.006},  // gpt-4o-transcribe, whisper-1
    {"openai", "gpt-4o-mini-transcribe", 0.003},
};
constexpr SpeechPrice kTtsPer1kChars[] = {
    {"11labs", "", 0.05},  // the default model is eleven_turbo_v2: Flash / Turbo
    {"11labs", "eleven_multilingual", 0.10}, {"11labs", "eleven_v3", 0.10},
    {"11labs", "eleven_monolingual", 0.10},
    {"cartesia", "", 0.03},  // 1 credit a character, ~$0.03 / 1k on its plans
    {"openai", "", 0.015},  // tts-1
    {"openai", "tts-1-hd", 0.030},
    // Billed per minute of audio (~$0.015), taken at ~15 characters a second (900 a minute).
    {"openai", "gpt-4o-mini-tts", 0.015 / 0.9},
    {"deepgram", "aura-", 0.015}, {"deepgram", "aura-2-", 0.030},  // by auraModel(): Aura, Aura-2
};

template <size_t N>
double speechPrice(const SpeechPrice (&table)[N], const std::string& provider, const std::string& m) {
    const SpeechPrice* best = nullptr;
    size_t bestLen = 0;
    for (auto& row : table) {
        std::string_view prefix = row.modelPrefix;
        if (provider != row.provider || !std::string_view(m).starts_with(prefix)) continue;
        if (!best || prefix.size() > bestLen) best = &row, bestLen = prefix.size();
    }
    return best ? best->price : 0.0;
}

std::string model(const json::object& a, const char* part = "model") {
    if (auto* v = a.if_contains(part); v && v->is_object())
        if (auto* p = v->as_object().if_contains("model"); p && p->is_string())
            return std::string(p->as_string());
    return "";
}

double r6(double v) { return std::round(v * 1e6) / 1e6; }

}  // namespace

Cost priceCall(const json::object& a, const Usage& u) {
    Cost c;
    std::string stt = json_fields::provider(a, "transcriber", "local"),
                tts = json_fields::provider(a, "voice", "local"),
                llm = json_fields::provider(a, "model", "local"), m = model(a);
    double sttCost = u.minutes * speechPrice(kSttPerMinute, stt, model(a, "transcriber"));
    double llmCost = 0;
    if (llm == "openai") {
        const LlmPrice* p = &kOpenAi[0];
        for (auto& row : kOpenAi)
            if (m == row.model) p = &row;
        llmCost = (double(u.promptTokens) * p->inputPerM + double(u.completionTokens) * p->outputPerM) / 1e6;
    } else if (llm == "anthropic") {
        const LlmPrice& p = anthropicPrice(m);
        int64_t uncached = std::max<int64_t>(0, u.promptTokens - u.cachedPromptTokens - u.cacheWriteTokens);
        llmCost = (double(uncached) * p.inputPerM + double(u.cachedPromptTokens) * p.inputPerM * kCacheReadFactor +
                   double(u.cacheWriteTokens) * p.inputPerM * kCacheWriteFactor +
                   double(u.completionTokens) * p.outputPerM) / 1e6;
    }
    std::string ttsModel = model(a, "voice");
    if (tts == "deepgram") {  // Deepgram's model name, e.g. aura-2-thalia-en, from voiceId and model
        static const json::object kNone;
        auto* v = json_fields::obj(a, "voice");
        ttsModel = providers::deepgram::auraModel(v ? *v : kNone);
    }
    double ttsCost = double(u.ttsCharacters) / 1000 * speechPrice(kTtsPer1kChars, tts, ttsModel);
    double transport = 0, platform = 0;  // self-hosted: no per-minute fees
    c.total = r6(sttCost + llmCost + ttsCost + transport + platform);
    c.breakdown = json::object{{"transport", r6(transport)},
                               {"stt", r6(sttCost)},
                               {"llm", r6(llmCost)},
                               {"tts", r6(ttsCost)},
                               {"vapi", r6(platform)},
                               {"total", c.total},
                               {"llmPromptTokens", u.promptTokens},
                               {"llmCompletionTokens", u.completionTokens},
                               {"llmCachedPromptTokens", u.cachedPromptTokens},
                               {"ttsCharacters", u.ttsCharacters}};
    c.items = json::array{
        json::object{{"type", "transport"}, {"provider", "vapi.websocket"}, {"minutes", r6(u.minutes)}, {"cost", r6(transport)}},
        json::object{{"type", "transcriber"}, {"transcriber", json::object{{"provider", stt}}}, {"minutes", r6(u.minutes)}, {"cost", r6(sttCost)}},
        json::object{{"type", "model"}, {"model", json::object{{"provider", llm}, {"model", m}}},
                     {"promptTokens", u.promptTokens}, {"completionTokens", u.completionTokens},
                     {"cachedPromptTokens", u.cachedPromptTokens}, {"cost", r6(llmCost)}},
        json::object{{"type", "voice"}, {"voice", json::object{{"provider", tts}}}, {"characters", u.ttsCharacters}, {"cost", r6(ttsCost)}},
        json::object{{"type", "vapi"}, {"subType", "normal"}, {"minutes", r6(u.minutes)}, {"cost", r6(platform)}}};
    return c;
}

}  // namespace voxa::call
