// OpenAI-compatible streaming chat completions (OpenAI, Groq, Together, OpenRouter, Ollama,
// vLLM, llama.cpp server, Vapi's custom-llm): POST {baseUrl}/chat/completions with
// stream:true, SSE parsing, tool-call deltas, usage.
#pragma once
#include <memory>
#include <string>

#include "providers/providers.h"

namespace voxa::providers::openai {

/// `defaultBaseUrl` is used unless the model config has `url` (custom-llm) or the server
/// was started with an override for this provider.
std::shared_ptr<LlmProvider> makeLlmProvider(std::string defaultBaseUrl);

}  // namespace voxa::providers::openai
