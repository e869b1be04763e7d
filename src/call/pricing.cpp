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
constexpr double kElevenLabsPer1kChars = 0.18;
constexpr double kCartesiaPer1kChars = 0.03;  // 1 credit a character, ~$0.03 / 1k on its plans
struct SpeechPrice {
    const char* model;
    double price;
};
// OpenAI's Audio API. Transcription: USD per minute (of the call, as Deepgram's row; unknown
// models use the first row). Speech: USD per 1k characters; gpt-4o-mini-tts is billed per
// minute of audio (~$0.015), taken at ~15 characters a second (900 a minute).
constexpr SpeechPrice kOpenAiSttPerMinute[] = {{"gpt-4o-transcribe", 0.006}, {"gpt-4o-mini-transcribe", 0.003},
                                               {"whisper-1", 0.006}};
constexpr SpeechPrice kOpenAiTtsPer1kChars[] = {{"tts-1", 0.015}, {"tts-1-hd", 0.030},
                                                {"gpt-4o-mini-tts", 0.015 / 0.9}};

template <size_t N>
double priceOf(const SpeechPrice (&table)[N], const std::string& m) {
    for (auto& row : table)
        if (m == row.model) return row.price;
    return table[0].price;
}

/// `a[key].model`: assistant.model.model, assistant.transcriber.model, assistant.voice.model.
std::string model(const json::object& a, const char* key = "model") {
    if (auto* v = a.if_contains(key); v && v->is_object())
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
    double sttCost = u.minutes * kLocalSttPerMinute;
    if (stt == "deepgram") sttCost = u.minutes * kDeepgramPerMinute;
    else if (stt == "openai") sttCost = u.minutes * priceOf(kOpenAiSttPerMinute, model(a, "transcriber"));
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
    else if (tts == "openai") ttsCost = double(u.ttsCharacters) / 1000 * priceOf(kOpenAiTtsPer1kChars, model(a, "voice"));
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
