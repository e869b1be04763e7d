// OpenAI and OpenAI-compatible APIs: streaming chat completions (OpenAI, Groq, Together,
// OpenRouter, Ollama, vLLM, llama.cpp server, Vapi's custom-llm): POST {baseUrl}/chat/completions
// with stream:true, SSE parsing, tool-call deltas, usage (openai_llm.h); the Audio API's
// transcriptions (openai_stt.h) and speech (openai_tts.h).
#pragma once
#include <memory>
#include <string>
#include <string_view>

#include "providers/providers.h"

namespace voxa::providers::openai {

/// `defaultBaseUrl` is used unless the model config has `url` (custom-llm) or the server
/// was started with an override for this provider.
std::shared_ptr<LlmProvider> makeLlmProvider(std::string defaultBaseUrl);

/// `transcriber.provider: "openai"`: POST {base}/audio/transcriptions per utterance.
std::shared_ptr<SttProvider> makeSttProvider();

/// `voice.provider: "openai"`: POST {base}/audio/speech per utterance, PCM streamed back.
std::shared_ptr<TtsProvider> makeTtsProvider();

/// `{base}{path}` (path "/audio/transcriptions", "/audio/speech"), trailing slashes of `base`
/// dropped, as the chat model joins "/chat/completions": `base` is the API root
/// (https://api.openai.com/v1, or --provider-url openai=http://host:port/v1).
std::string audioUrl(std::string_view base, std::string_view path);

}  // namespace voxa::providers::openai
