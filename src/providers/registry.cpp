#include <boost/json.hpp>

#include <stdexcept>

#include "providers/local/local.h"
#include "providers/anthropic/anthropic.h"
#include "providers/assemblyai/assemblyai.h"
#include "providers/bench/bench.h"
#include "providers/cartesia/cartesia.h"
#include "providers/custom_transcriber/custom_transcriber.h"
#include "providers/custom_voice/custom_voice.h"
#include "providers/deepgram/deepgram.h"
#include "providers/deepgram/deepgram_tts.h"
#include "providers/elevenlabs/elevenlabs.h"
#include "providers/google/google.h"
#include "providers/openai/openai.h"
#include "providers/providers.h"

namespace voxa::providers {

Registry::Registry() {
    // One line per provider. Embedded engines need no key and are the defaults.
    addStt("local", local::makeSttProvider());
    addTts("local", local::makeTtsProvider());
    addLlm("local", local::makeScriptedLlmProvider());
    // Deterministic timers instead of engines, for load tests (bench/).
    addStt("bench", bench::makeSttProvider());
    addTts("bench", bench::makeTtsProvider());
    addLlm("bench", bench::makeLlmProvider());
    // Cloud speech providers on their own protocols (base URLs: providers/endpoints.h).
    addStt("deepgram", deepgram::makeSttProvider());
    addStt("assembly-ai", assemblyai::makeSttProvider());
    addStt("custom-transcriber", custom_transcriber::makeSttProvider());  // transcriber.server.url
    addTts("11labs", elevenlabs::makeTtsProvider());
    addTts("cartesia", cartesia::makeTtsProvider());
    addTts("deepgram", deepgram::makeTtsProvider());  // Aura
    addTts("custom-voice", custom_voice::makeTtsProvider());  // POST voice.server.url
    addStt("openai", openai::makeSttProvider());  // POST {base}/audio/transcriptions per utterance
    addTts("openai", openai::makeTtsProvider());  // POST {base}/audio/speech, PCM streamed back
    // OpenAI-compatible chat completions (streaming SSE), each with its default base URL.
    addLlm("openai", openai::makeLlmProvider("https://api.openai.com/v1"));
    addLlm("custom-llm", openai::makeLlmProvider(""));  // model.url is required
    addLlm("groq", openai::makeLlmProvider("https://api.groq.com/openai/v1"));
    addLlm("together-ai", openai::makeLlmProvider("https://api.together.xyz/v1"));
    addLlm("openrouter", openai::makeLlmProvider("https://openrouter.ai/api/v1"));
    addLlm("deepinfra", openai::makeLlmProvider("https://api.deepinfra.com/v1/openai"));
    addLlm("perplexity-ai", openai::makeLlmProvider("https://api.perplexity.ai"));
    addLlm("xai", openai::makeLlmProvider("https://api.x.ai/v1"));
    addLlm("cerebras", openai::makeLlmProvider("https://api.cerebras.ai/v1"));
    addLlm("deepseek", openai::makeLlmProvider("https://api.deepseek.com"));
    addLlm("anyscale", openai::makeLlmProvider("https://api.endpoints.anyscale.com/v1"));
    // {openAIEndpoint}/openai/deployments/{model}/chat/completions?api-version=..., api-key
    // header, from the org's azure-openai credential (also used by "openai" models it lists).
    addLlm("azure-openai", openai::makeLlmProvider(""));
    addLlm("google", google::makeLlmProvider());  // Gemini streamGenerateContent (SSE)
    addLlm("anthropic", anthropic::makeLlmProvider());  // POST {base}/v1/messages, streamed
}

const char* toString(FailureCause c) {
    switch (c) {
        case FailureCause::Unauthorized: return "unauthorized";
        case FailureCause::Forbidden: return "forbidden";
        case FailureCause::NotFound: return "not-found";
        case FailureCause::BadRequest: return "bad-request";
        case FailureCause::ServerError: return "server-error";
        case FailureCause::ConnectFailed: return "connect-failed";
        case FailureCause::Disconnected: return "disconnected";
        case FailureCause::Timeout: return "timeout";
        case FailureCause::BadMessage: return "bad-message";
        case FailureCause::MissingKey: return "missing-key";
        case FailureCause::RateLimited: return "rate-limited";
        case FailureCause::Other: return "other";
    }
    return "other";
}

Registry& Registry::instance() {
    static Registry r;
    return r;
}

SttProvider* Registry::stt(const std::string& p) const {
    auto it = stt_.find(p);
    return it == stt_.end() ? nullptr : it->second.get();
}
TtsProvider* Registry::tts(const std::string& p) const {
    auto it = tts_.find(p);
    return it == tts_.end() ? nullptr : it->second.get();
}
LlmProvider* Registry::llm(const std::string& p) const {
    auto it = llm_.find(p);
    return it == llm_.end() ? nullptr : it->second.get();
}
namespace {

template <class Map>
std::string names(const Map& m) {
    std::string out;
    for (auto& [name, _] : m) out += (out.empty() ? "" : ", ") + name;
    return out;
}

}  // namespace

std::optional<std::string> Registry::unavailable(const boost::json::object& assistant) const {
    // The primary and every fallbackPlan entry: a fallback that cannot run would only show
    // in the middle of an outage.
    auto check = [&](const char* key, const char* list, const char* kind,
                     const auto& map) -> std::optional<std::string> {
        std::string name = "local";
        auto* o = assistant.if_contains(key);
        if (o && o->is_object())
            if (auto* p = o->as_object().if_contains("provider"); p && p->is_string()) name = p->as_string();
        if (!map.count(name))
            return std::string(key) + ".provider \"" + name + "\" is not available on this server (" + kind +
                   " providers: " + names(map) + ")";
        if (!list || !o || !o->is_object()) return std::nullopt;
        auto* plan = o->as_object().if_contains("fallbackPlan");
        auto* entries = plan && plan->is_object() ? plan->as_object().if_contains(list) : nullptr;
        if (!entries || !entries->is_array()) return std::nullopt;
        size_t i = 0;
        for (auto& e : entries->as_array()) {
            auto* p = e.is_object() ? e.as_object().if_contains("provider") : nullptr;
            if (p && p->is_string() && !map.count(std::string(p->as_string())))
                return std::string(key) + ".fallbackPlan." + list + "[" + std::to_string(i) + "].provider \"" +
                       std::string(p->as_string()) + "\" is not available on this server (" + kind +
                       " providers: " + names(map) + ")";
            ++i;
        }
        return std::nullopt;
    };
    if (auto e = check("transcriber", "transcribers", "transcriber", stt_)) return e;
    if (auto e = check("voice", "voices", "voice", tts_)) return e;
    return check("model", nullptr, "model", llm_);
}

void Registry::addStt(std::string n, std::shared_ptr<SttProvider> p) { stt_[std::move(n)] = std::move(p); }
void Registry::addTts(std::string n, std::shared_ptr<TtsProvider> p) { tts_[std::move(n)] = std::move(p); }
void Registry::addLlm(std::string n, std::shared_ptr<LlmProvider> p) { llm_[std::move(n)] = std::move(p); }

}  // namespace voxa::providers
