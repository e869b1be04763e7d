// Provider keys: which credential a call uses for each provider its assistant talks to. One
// resolution for every provider (transcribers, voices, models):
//
//   1. the assistant's inline `credentials[]` entry for the provider (Vapi: "dynamic
//      credentials override existing credentials");
//   2. else the org's stored credential for it (`POST /credential {provider, apiKey,
//      apiUrl?}`), newest first; when `assistant.credentialIds` lists ids, only those;
//   3. else the server's environment, for single-tenant installs (DEEPGRAM_API_KEY,
//      ASSEMBLYAI_API_KEY, OPENAI_API_KEY, ELEVENLABS_API_KEY, CARTESIA_API_KEY, ...).
//
//   // at POST /call (call/manager.cpp), with the org's /credential bodies of those providers:
//   std::vector<std::string> missing;
//   auto creds = providers::resolveCredentials(assistant, orgCredentials, &missing);
//   if (!missing.empty()) -> 400 "assistant.transcriber.provider \"deepgram\" needs an API key: ..."
//   ctx.credentials = creds;                     // providers read ctx.credentials["deepgram"]
//   providers::keyedProviders(assistant)         // [{"transcriber", "deepgram"}, {"model", "openai"}]
//
// Vapi's azure-openai credential (openAIKey, openAIEndpoint, models) resolves to {apiKey:
// openAIKey, apiUrl: openAIEndpoint}; an "openai" model it lists gets it as ctx.credentials
// ["azure-openai"] and then needs no OpenAI key (openai/openai_llm.h, usesAzure).
//
// Keys are never logged, echoed in errors or stored in the call record.
#pragma once
#include <boost/json/object.hpp>

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "providers/providers.h"

namespace voxa::providers {

/// The environment variable holding `provider`'s key on a single-tenant install, or nullptr.
const char* keyEnvVar(std::string_view provider);

struct KeyedProvider {
    std::string field;     // "transcriber", "voice", "model"
    std::string provider;  // Vapi's name: "deepgram"
    bool required = true;  // a call without a key for it is refused
};

/// The providers `assistant` uses that take a key, fallbackPlan entries included (field
/// "voice.fallbackPlan.voices[0]"). Required: the cloud providers Voxa knows a key variable
/// for, unless a model has its own `url` (an OpenAI-compatible server that may take none);
/// custom-llm's credential is optional. A fallback without a key refuses the call like a
/// primary would: a fallback that cannot work would only be found out during an outage.
std::vector<KeyedProvider> keyedProviders(const boost::json::object& assistant);

/// One provider's credential (order above); nullopt when there is none.
std::optional<ProviderCredential> resolveCredential(std::string_view provider,
                                                    const boost::json::object& assistant,
                                                    std::span<const boost::json::object> orgCredentials);

/// Every keyed provider of `assistant` that has a credential. `missing` (may be null) gets
/// the message for each required one that has none.
std::map<std::string, ProviderCredential> resolveCredentials(
    const boost::json::object& assistant, std::span<const boost::json::object> orgCredentials,
    std::vector<std::string>* missing);

}  // namespace voxa::providers
