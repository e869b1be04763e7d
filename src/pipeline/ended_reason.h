// Vapi's endedReason for a provider that failed during a call, from the provider name the
// assistant uses. Every value returned is in Vapi's Call.endedReason enum: provider names
// Vapi spells differently there are mapped ("11labs" -> "eleven-labs", "custom-voice" ->
// "custom"), and Voxa's own engines ("local", "bench") report as the platform's ("vapi").
//
//   pipeline::endedReason(pipeline::Failed::Voice, "11labs")      // "pipeline-error-eleven-labs-voice-failed"
//   pipeline::endedReason(pipeline::Failed::Model, "custom-llm")  // "pipeline-error-custom-llm-llm-failed"
//   pipeline::endedReason(pipeline::Failed::Transcriber, "deepgram", FailureCause::Unauthorized)
//       // "pipeline-error-deepgram-returning-401-invalid-credentials"
//   pipeline::endedReason(pipeline::Failed::Transcriber, "assembly-ai", FailureCause::Forbidden)
//       // "pipeline-error-assembly-ai-returning-400-insufficent-funds" (Vapi's spelling)
//
// With a cause, the provider's own value for it when Vapi's enum has one, else the generic
// "-failed" value above.
#pragma once
#include <string>
#include <string_view>

#include "providers/providers.h"

namespace voxa::pipeline {

enum class Failed { Transcriber, Voice, Model };

std::string endedReason(Failed what, std::string_view provider);
std::string endedReason(Failed what, std::string_view provider, providers::FailureCause cause);

/// A model turn that failed with `e` (its HTTP status, else its cause; OpenAI's error code):
///   modelEndedReason("anthropic", {.status = 401})   // "pipeline-error-anthropic-401-unauthorized"
///   modelEndedReason("openai", {.status = 429})      // "pipeline-error-openai-429-rate-limit-reached"
///   modelEndedReason("custom-llm", {ConnectFailed})  // "pipeline-error-custom-llm-llm-failed"
std::string modelEndedReason(std::string_view provider, const providers::ProviderError& e);

}  // namespace voxa::pipeline
