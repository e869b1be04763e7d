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
constexpr std::array<KeyVar, 11> kKeyVars = {{
    {"deepgram", "DEEPGRAM_API_KEY"},
    {"assembly-ai", "ASSEMBLYAI_API_KEY"},
    {"openai", "OPENAI_API_KEY"},
    {"11labs", "ELEVENLABS_API_KEY"},
    {"cartesia", "CARTESIA_API_KEY"},
    {"groq", "GROQ_API_KEY"},
    {"together-ai", "TOGETHER_API_KEY"},
    {"openrouter", "OPENROUTER_API_KEY"},
    {"deepinfra", "DEEPINFRA_API_KEY"},
    {"anthropic", "ANTHROPIC_API_KEY"},
    {"custom-llm", nullptr},  // a key only when the org has stored one
}};

std::optional<ProviderCredential> fromBody(const json::object& c) {
    std::string key = str(c, "apiKey");
    if (key.empty()) return std::nullopt;
    return ProviderCredential{std::move(key), str(c, "apiUrl")};
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
        auto* plan = list ? cfg.if_contains("fallbackPlan") : nullptr;
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
    return std::nullopt;
}

std::map<std::string, ProviderCredential> resolveCredentials(
    const json::object& assistant, std::span<const json::object> orgCredentials,
    std::vector<std::string>* missing) {
    std::map<std::string, ProviderCredential> out;
    for (auto& k : keyedProviders(assistant)) {
        if (auto cred = resolveCredential(k.provider, assistant, orgCredentials)) {
            out.emplace(k.provider, std::move(*cred));
        } else if (k.required && missing) {
            missing->push_back(k.field + ".provider \"" + k.provider + "\" needs an API key: add a " +
                               k.provider + " credential (POST /credential), list one in the assistant's "
                               "credentials, or set " + keyEnvVar(k.provider) + " on the server");
        }
    }
    return out;
}

}  // namespace voxa::providers
