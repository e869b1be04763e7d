#include "pipeline/ended_reason.h"

#include <algorithm>
#include <array>

namespace voxa::pipeline {

namespace {

// The provider segments of Vapi's pipeline-error-<x>-{transcriber,voice,llm}-failed values.
constexpr std::array<std::string_view, 14> kTranscribers = {
    "assembly-ai", "azure-speech", "cartesia", "custom", "deepgram", "eleven-labs", "gladia",
    "google", "openai", "soniox", "speechmatics", "talkscriber", "vapi", "xai"};
constexpr std::array<std::string_view, 19> kVoices = {
    "azure", "cartesia", "custom", "deepgram", "eleven-labs", "hume", "inworld", "lmnt", "microsoft",
    "minimax", "neuphonic", "openai", "playht", "rime-ai", "sesame", "smallest-ai", "vapi",
    "wellsaid", "xai"};
constexpr std::array<std::string_view, 22> kModels = {
    "anthropic", "anthropic-bedrock", "anthropic-vertex", "anyscale", "azure-openai", "baseten",
    "cerebras", "custom-llm", "deep-seek", "deepinfra", "google", "groq", "inflection-ai",
    "minimax", "mistral", "openai", "openrouter", "perplexity-ai", "runpod", "together-ai", "vapi",
    "xai"};

/// Vapi's provider id (assistant.voice.provider, ...) as its endedReason segment.
std::string_view segment(Failed what, std::string_view p) {
    if (p == "11labs") return "eleven-labs";
    if (p == "custom-voice" || p == "custom-transcriber") return "custom";
    if (p == "azure" && what == Failed::Transcriber) return "azure-speech";
    if (p == "deepseek") return "deep-seek";
    return p;
}

template <size_t N>
bool known(const std::array<std::string_view, N>& list, std::string_view s) {
    return std::find(list.begin(), list.end(), s) != list.end();
}

}  // namespace

std::string endedReason(Failed what, std::string_view provider) {
    std::string_view s = segment(what, provider);
    switch (what) {
        case Failed::Transcriber:
            return "pipeline-error-" + std::string(known(kTranscribers, s) ? s : "vapi") + "-transcriber-failed";
        case Failed::Voice:
            return "pipeline-error-" + std::string(known(kVoices, s) ? s : "vapi") + "-voice-failed";
        case Failed::Model:
            return "pipeline-error-" + std::string(known(kModels, s) ? s : "vapi") + "-llm-failed";
    }
    return "pipeline-error-vapi-llm-failed";
}

std::string endedReason(Failed what, std::string_view provider, providers::FailureCause cause) {
    using C = providers::FailureCause;
    if (what == Failed::Transcriber && provider == "deepgram") {
        switch (cause) {
            case C::Unauthorized: return "pipeline-error-deepgram-returning-401-invalid-credentials";
            case C::Forbidden: return "pipeline-error-deepgram-returning-403-model-access-denied";
            case C::NotFound: return "pipeline-error-deepgram-returning-404-not-found";
            case C::BadRequest: return "pipeline-error-deepgram-returning-400-no-such-model-language-tier-combination";
            case C::ServerError:
            case C::ConnectFailed: return "pipeline-error-deepgram-returning-502-network-error";
            case C::Disconnected: return "pipeline-error-deepgram-returning-econnreset";
            case C::BadMessage: return "pipeline-error-deepgram-returning-500-invalid-json";
            case C::MissingKey: return "pipeline-error-deepgram-transcriber-api-key-missing";
            case C::Timeout:
            case C::RateLimited:
            case C::Other: break;
        }
    }
    if (what == Failed::Transcriber && provider == "assembly-ai") {
        switch (cause) {
            case C::Unauthorized: return "pipeline-error-assembly-ai-returning-401-invalid-credentials";
            // Vapi spells it "insufficent": its enum's value, as is.
            case C::Forbidden: return "pipeline-error-assembly-ai-returning-400-insufficent-funds";
            case C::BadRequest: return "pipeline-error-assembly-ai-returning-500-invalid-schema";
            default: break;  // no value of its own in Vapi's enum: transcriber-failed
        }
    }
    if (what == Failed::Voice && provider == "11labs") {
        switch (cause) {
            case C::Unauthorized: return "pipeline-error-eleven-labs-invalid-api-key";
            case C::Forbidden: return "pipeline-error-eleven-labs-unauthorized-access";
            case C::NotFound: return "pipeline-error-eleven-labs-voice-not-found";
            case C::ServerError: return "pipeline-error-eleven-labs-500-server-error";
            default: break;  // Vapi has no value of its own: voice-failed
        }
    }
    // The deepgram voice (Aura) and the custom-transcriber have one value each in Vapi's enum
    // (pipeline-error-deepgram-voice-failed, pipeline-error-custom-transcriber-failed): the
    // generic ones below; the deepgram-returning-* values are the transcriber's.
    if (what == Failed::Voice && provider == "cartesia") {
        switch (cause) {
            case C::Forbidden: return "pipeline-error-cartesia-requested-payment";  // 402 (and 403)
            case C::ServerError: return "pipeline-error-cartesia-500-server-error";
            case C::Disconnected: return "pipeline-error-cartesia-socket-hang-up";
            default: break;  // no invalid-key value for Cartesia in Vapi's enum: voice-failed
        }
    }
    // OpenAI's transcriber and voice: Vapi's enum has only their -failed values (its
    // pipeline-error-openai-401-*, -403-*, -429-*, -500-* values are the model's).
    return endedReason(what, provider);
}

std::string modelEndedReason(std::string_view provider, const providers::ProviderError& e) {
    std::string_view s = segment(Failed::Model, provider);
    if (!known(kModels, s)) s = "vapi";  // Voxa's own engines, like endedReason() above
    // Every model provider in Vapi's enum has the same six HTTP values; OpenAI has three more.
    int status = e.status;
    if (!status) {
        using C = providers::FailureCause;
        switch (e.cause) {  // a cause found without a status line (an error event mid-stream)
            case C::Unauthorized: status = 401; break;
            case C::Forbidden: status = 403; break;
            case C::BadRequest: status = 400; break;
            case C::RateLimited: status = 429; break;
            default: break;
        }
    }
    std::string head = "pipeline-error-" + std::string(s) + "-";
    bool openai = s == "openai";
    switch (status) {
        case 400: return head + "400-bad-request-validation-failed";
        case 401:
            if (openai && e.code == "invalid_api_key") return head + "401-incorrect-api-key";
            if (openai && e.code == "no_organization") return head + "401-account-not-in-organization";
            return head + "401-unauthorized";
        case 402:
        case 403: return head + "403-model-access-denied";
        case 429:
            // OpenAI tells a used-up quota (insufficient_quota) from a rate limit.
            if (openai && e.code != "insufficient_quota") return head + "429-rate-limit-reached";
            return head + "429-exceeded-quota";
        case 503:
        case 529:  // Anthropic's overloaded_error
            return head + "503-server-overloaded-error";
        default:
            if (status >= 500) return head + "500-server-error";
            return head + "llm-failed";
    }
}

}  // namespace voxa::pipeline
