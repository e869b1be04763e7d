#include "providers/credentials.h"

#include <boost/json.hpp>

#include <array>
#include <cstdlib>

#include "common/json_fields.h"

namespace voxa::providers {

namespace json = boost::json;

namespace {

using json_fields::str;

struct KeyVar {
    std::string_view provider;
    const char* env;
};

// Vapi's provider names of the cloud services Voxa speaks to (or will), with their keys.
constexpr std::array<KeyVar, 18> kKeyVars = {{
    {"deepgram", "DEEPGRAM_API_KEY"},
    {"assembly-ai", "ASSEMBLYAI_API_KEY"},
    {"openai", "OPENAI_API_KEY"},
    {"11labs", "ELEVENLABS_API_KEY"},
    {"cartesia", "CARTESIA_API_KEY"},
    {"groq", "GROQ_API_KEY"},
    {"together-ai", "TOGETHER_API_KEY"},
    {"openrouter", "OPENROUTER_API_KEY"},
    {"deepinfra", "DEEPINFRA_API_KEY"},
    {"perplexity-ai", "PERPLEXITY_API_KEY"},
    {"xai", "XAI_API_KEY"},
    {"cerebras", "CEREBRAS_API_KEY"},
    {"deepseek", "DEEPSEEK_API_KEY"},
    {"anyscale", "ANYSCALE_API_KEY"},
    {"azure-openai", "AZURE_OPENAI_API_KEY"},  // the endpoint: the credential's openAIEndpoint
    {"google", "GOOGLE_API_KEY"},  // else GEMINI_API_KEY (kSecondKeyVars)
    {"anthropic", "ANTHROPIC_API_KEY"},
    {"custom-llm", nullptr},  // a key only when the org has stored one
}};

// Second names a provider's key goes by, tried after the first.
constexpr std::array<KeyVar, 1> kSecondKeyVars = {{
    {"google", "GEMINI_API_KEY"},
}};

std::optional<ProviderCredential> fromBody(const json::object& c) {
    if (str(c, "provider") == "azure-openai") {
        // Vapi's CreateAzureOpenAICredentialDTO: openAIKey, openAIEndpoint, region, models.
        std::string key = str(c, "openAIKey");
        if (key.empty()) return std::nullopt;
        return ProviderCredential{std::move(key), str(c, "openAIEndpoint")};
    }
    std::string key = str(c, "apiKey");
    if (key.empty()) return std::nullopt;
    return ProviderCredential{std::move(key), str(c, "apiUrl")};
}

/// The deployments an azure-openai credential lists (Vapi's `models`), "" when it is not one.
bool listsModel(const json::object& c, std::string_view model) {
    auto colon = model.find(':');  // "gpt-4o-2024-11-20:westus": Vapi's region suffix
    if (colon != std::string_view::npos) model = model.substr(0, colon);
    auto* m = c.if_contains("models");
    if (!m || !m->is_array()) return false;
    for (auto& x : m->get_array())
        if (x.is_string() && x.get_string() == model) return true;
    return false;
}

/// The assistant's (inline) or org's azure-openai credential that lists `model`.
std::optional<ProviderCredential> azureFor(std::string_view model, const json::object& assistant,
                                           std::span<const json::object> orgCredentials) {
    if (model.empty()) return std::nullopt;
    if (auto* inl = assistant.if_contains("credentials"); inl && inl->is_array())
        for (auto& c : inl->get_array())
            if (c.is_object() && str(c.get_object(), "provider") == "azure-openai" && listsModel(c.get_object(), model))
                return fromBody(c.get_object());
    const json::array* ids = nullptr;
    if (auto* v = assistant.if_contains("credentialIds"); v && v->is_array() && !v->get_array().empty())
        ids = &v->get_array();
    for (auto& c : orgCredentials) {
        if (str(c, "provider") != "azure-openai" || !listsModel(c, model)) continue;
        if (ids) {
            std::string id = str(c, "id");
            bool listed = false;
            for (auto& x : *ids) listed = listed || (x.is_string() && x.get_string() == id);
            if (!listed) continue;
        }
        return fromBody(c);
    }
    return std::nullopt;
}

}  // namespace

const char* keyEnvVar(std::string_view provider) {
    for (auto& k : kKeyVars)
        if (k.provider == provider) return k.env;
    return nullptr;
}

std::vector<KeyedProvider> keyedProviders(const json::object& assistant) {
    std::vector<KeyedProvider> out;
    auto add = [&](std::string field, const json::object& cfg, bool model) {
        std::string provider = str(cfg, "provider");
        bool known = false;
        for (auto& k : kKeyVars) known = known || k.provider == provider;
        if (!known) return;
        bool required = keyEnvVar(provider) != nullptr;
        if (model && !str(cfg, "url").empty()) required = false;
        out.push_back({std::move(field), provider, required});
    };
    for (auto* field : {"transcriber", "voice", "model"}) {
        auto* v = assistant.if_contains(field);
        if (!v || !v->is_object()) continue;
        auto& cfg = v->get_object();
        add(field, cfg, std::string_view(field) == "model");
        // fallbackPlan entries need their keys as much as the primary does (see the header).
        const char* list = std::string_view(field) == "transcriber" ? "transcribers"
                           : std::string_view(field) == "voice"     ? "voices"
                                                                    : nullptr;
        // (model.fallbackModels are model names of the model's own provider: the same key.)
        if (!list) continue;
        auto* plan = cfg.if_contains("fallbackPlan");
        auto* entries = plan && plan->is_object() ? plan->get_object().if_contains(list) : nullptr;
        if (!entries || !entries->is_array()) continue;
        size_t i = 0;
        for (auto& e : entries->get_array()) {
            if (e.is_object())
                add(std::string(field) + ".fallbackPlan." + list + "[" + std::to_string(i) + "]", e.get_object(),
                    false);
            ++i;
        }
    }
    return out;
}

std::optional<ProviderCredential> resolveCredential(std::string_view provider,
                                                    const json::object& assistant,
                                                    std::span<const json::object> orgCredentials) {
    if (auto* inl = assistant.if_contains("credentials"); inl && inl->is_array())
        for (auto& c : inl->get_array())
            if (c.is_object() && str(c.get_object(), "provider") == provider)
                if (auto cred = fromBody(c.get_object())) return cred;
    const json::array* ids = nullptr;
    if (auto* v = assistant.if_contains("credentialIds"); v && v->is_array() && !v->get_array().empty())
        ids = &v->get_array();
    for (auto& c : orgCredentials) {
        if (str(c, "provider") != provider) continue;
        if (ids) {
            std::string id = str(c, "id");
            bool listed = false;
            for (auto& x : *ids) listed = listed || (x.is_string() && x.get_string() == id);
            if (!listed) continue;
        }
        if (auto cred = fromBody(c)) return cred;
    }
    if (const char* var = keyEnvVar(provider))
        if (const char* env = std::getenv(var); env && *env) return ProviderCredential{env, {}};
    for (auto& k : kSecondKeyVars)
        if (k.provider == provider)
            if (const char* env = std::getenv(k.env); env && *env) return ProviderCredential{env, {}};
    return std::nullopt;
}

std::map<std::string, ProviderCredential> resolveCredentials(
    const json::object& assistant, std::span<const json::object> orgCredentials,
    std::vector<std::string>* missing) {
    std::map<std::string, ProviderCredential> out;
    auto keyed = keyedProviders(assistant);
    // Vapi: an "openai" model runs on the org's own Azure OpenAI deployment when an
    // azure-openai credential lists it (openai/openai_llm.h, usesAzure); then the OpenAI key
    // is not required for the model.
    bool azure = false;
    if (auto* m = assistant.if_contains("model"); m && m->is_object() && str(m->get_object(), "provider") == "openai")
        if (auto cred = azureFor(str(m->get_object(), "model"), assistant, orgCredentials)) {
            out.emplace("azure-openai", std::move(*cred));
            azure = true;
        }
    for (auto& k : keyed) {
        if (auto cred = resolveCredential(k.provider, assistant, orgCredentials)) {
            out.emplace(k.provider, std::move(*cred));
        } else if (azure && k.provider == "openai" && k.field.starts_with("model")) {
            continue;
        } else if (k.required && missing) {
            missing->push_back(k.field + ".provider \"" + k.provider + "\" needs an API key: add a " +
                               k.provider + " credential (POST /credential), list one in the assistant's "
                               "credentials, or set " + keyEnvVar(k.provider) + " on the server");
        }
    }
    return out;
}

}  // namespace voxa::providers
