// Time to first token of a model turn as Voxa sees it: from the request (LlmSession::
// complete()) to the first text delta or tool call handed to the caller, in the histogram
// voxa_llm_first_token_seconds{provider} (at /metrics). Every model provider wraps the
// callbacks of each turn it starts (one line in complete(), before the request goes out):
//
//   cb = providers::timeFirstToken(std::move(cb), "anthropic");
//
// The provider label is Vapi's provider name the registry resolved (a closed set).
#pragma once
#include <string>

#include "providers/providers.h"

namespace voxa::providers {

LlmCallbacks timeFirstToken(LlmCallbacks cb, const std::string& provider);

}  // namespace voxa::providers
