#include "call/pricing.h"

#include "common/json_fields.h"

#include <boost/json.hpp>

#include <cmath>
#include <string>

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
constexpr double kLocalSttPerMinute = 0.0;  // pocketsphinx on your own cores
constexpr double kDeepgramPerMinute = 0.0043;
constexpr double kAssemblyAiPerMinute = 0.0025;  // Universal-Streaming, $0.15 an hour
constexpr double kElevenLabsPer1kChars = 0.18;
constexpr double kCartesiaPer1kChars = 0.03;  // 1 credit a character, ~$0.03 / 1k on its plans
constexpr double kOpenAiTtsPer1kChars = 0.015;

std::string model(const json::object& a) {
    if (auto* v = a.if_contains("model"); v && v->is_object())
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
    double sttPerMinute = stt == "deepgram"      ? kDeepgramPerMinute
                          : stt == "assembly-ai" ? kAssemblyAiPerMinute
                                                 : kLocalSttPerMinute;
    double sttCost = u.minutes * sttPerMinute;
    double llmCost = 0;
    if (llm == "openai") {
        const LlmPrice* p = &kOpenAi[0];
        for (auto& row : kOpenAi)
            if (m == row.model) p = &row;
        llmCost = (double(u.promptTokens) * p->inputPerM + double(u.completionTokens) * p->outputPerM) / 1e6;
    }
    double ttsCost = 0;
    if (tts == "11labs") ttsCost = double(u.ttsCharacters) / 1000 * kElevenLabsPer1kChars;
    else if (tts == "cartesia") ttsCost = double(u.ttsCharacters) / 1000 * kCartesiaPer1kChars;
    else if (tts == "openai") ttsCost = double(u.ttsCharacters) / 1000 * kOpenAiTtsPer1kChars;
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
                               {"llmCachedPromptTokens", 0},
                               {"ttsCharacters", u.ttsCharacters}};
    c.items = json::array{
        json::object{{"type", "transport"}, {"provider", "vapi.websocket"}, {"minutes", r6(u.minutes)}, {"cost", r6(transport)}},
        json::object{{"type", "transcriber"}, {"transcriber", json::object{{"provider", stt}}}, {"minutes", r6(u.minutes)}, {"cost", r6(sttCost)}},
        json::object{{"type", "model"}, {"model", json::object{{"provider", llm}, {"model", m}}},
                     {"promptTokens", u.promptTokens}, {"completionTokens", u.completionTokens}, {"cost", r6(llmCost)}},
        json::object{{"type", "voice"}, {"voice", json::object{{"provider", tts}}}, {"characters", u.ttsCharacters}, {"cost", r6(ttsCost)}},
        json::object{{"type", "vapi"}, {"subType", "normal"}, {"minutes", r6(u.minutes)}, {"cost", r6(platform)}}};
    return c;
}

}  // namespace voxa::call
