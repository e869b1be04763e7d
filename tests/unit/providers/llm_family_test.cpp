// The OpenAI-compatible model family (providers/registry.cpp, openai/openai_llm.h): Vapi's
// provider names and keys, Azure OpenAI deployment URLs from the azure-openai credential, and
// the body a custom-llm server gets.
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <cstdlib>

#include "providers/credentials.h"
#include "providers/endpoints.h"
#include "providers/openai/openai_llm.h"

namespace voxa::providers::openai {
namespace {

namespace json = boost::json;

json::object obj(std::string_view s) { return json::parse(s).as_object(); }

TEST(ModelFamily, EveryVapiNameIsRegisteredWithItsKeyVariable) {
    auto& reg = Registry::instance();
    for (auto [name, env] : std::initializer_list<std::pair<const char*, const char*>>{
             {"openai", "OPENAI_API_KEY"}, {"groq", "GROQ_API_KEY"}, {"together-ai", "TOGETHER_API_KEY"},
             {"openrouter", "OPENROUTER_API_KEY"}, {"deepinfra", "DEEPINFRA_API_KEY"},
             {"perplexity-ai", "PERPLEXITY_API_KEY"}, {"xai", "XAI_API_KEY"}, {"cerebras", "CEREBRAS_API_KEY"},
             {"deepseek", "DEEPSEEK_API_KEY"}, {"anyscale", "ANYSCALE_API_KEY"},
             {"azure-openai", "AZURE_OPENAI_API_KEY"}}) {
        EXPECT_NE(reg.llm(name), nullptr) << name;
        ASSERT_NE(keyEnvVar(name), nullptr) << name;
        EXPECT_STREQ(keyEnvVar(name), env);
    }
    EXPECT_NE(reg.llm("custom-llm"), nullptr);
}

TEST(ModelFamily, DefaultBaseUrls) {
    Context ctx;
    auto url = [&](const char* provider, const char* base) {
        return resolveSettings(json::object{{"provider", provider}, {"model", "m"}}, ctx, base).url;
    };
    // The registry's defaults, as each provider documents its chat completions endpoint.
    EXPECT_EQ(url("perplexity-ai", "https://api.perplexity.ai"), "https://api.perplexity.ai/chat/completions");
    EXPECT_EQ(url("xai", "https://api.x.ai/v1"), "https://api.x.ai/v1/chat/completions");
    EXPECT_EQ(url("deepseek", "https://api.deepseek.com"), "https://api.deepseek.com/chat/completions");
}

TEST(ModelFamily, AMissingKeyNamesTheProvider) {
    ::unsetenv("XAI_API_KEY");
    std::vector<std::string> missing;
    resolveCredentials(obj(R"({"model":{"provider":"xai","model":"grok-3"}})"), {}, &missing);
    ASSERT_EQ(missing.size(), 1u);
    EXPECT_NE(missing[0].find("model.provider \"xai\" needs an API key"), std::string::npos) << missing[0];
    EXPECT_NE(missing[0].find("XAI_API_KEY"), std::string::npos);
}

TEST(AzureOpenAi, DeploymentUrlWithApiVersion) {
    EXPECT_EQ(azureChatUrl("https://acme.openai.azure.com/", "gpt-4o-2024-11-20"),
              "https://acme.openai.azure.com/openai/deployments/gpt-4o-2024-11-20/chat/completions"
              "?api-version=2024-10-21");
    EXPECT_EQ(azureChatUrl("https://acme.openai.azure.com", "gpt-4o-2024-11-20:westus", "2025-01-01-preview"),
              "https://acme.openai.azure.com/openai/deployments/gpt-4o-2024-11-20/chat/completions"
              "?api-version=2025-01-01-preview")
        << "Vapi's region suffix is not part of the deployment";
}

TEST(AzureOpenAi, AnOpenAiModelTheCredentialListsGoesToAzureWithTheApiKeyHeader) {
    ::unsetenv("OPENAI_API_KEY");
    auto assistant = obj(R"({"model":{"provider":"openai","model":"gpt-4o-2024-11-20"}})");
    std::vector<json::object> org = {obj(R"({"id":"c1","provider":"azure-openai","region":"eastus2",
        "models":["gpt-4o-2024-11-20"],"openAIKey":"az-key","openAIEndpoint":"https://acme.openai.azure.com"})")};
    std::vector<std::string> missing;
    Context ctx;
    ctx.credentials = resolveCredentials(assistant, org, &missing);
    EXPECT_TRUE(missing.empty()) << "no OpenAI key needed: " << missing.front();
    auto s = resolveSettings(assistant.at("model").as_object(), ctx, "https://api.openai.com/v1");
    EXPECT_TRUE(s.error.empty()) << s.error;
    EXPECT_EQ(s.url, "https://acme.openai.azure.com/openai/deployments/gpt-4o-2024-11-20/chat/completions"
                     "?api-version=2024-10-21");
    EXPECT_EQ(s.source, net::UrlSource::OrgConfig);
    bool apiKey = false;
    for (auto& h : s.headers) {
        EXPECT_NE(h.name, "Authorization") << "Azure takes the key in api-key";
        apiKey = apiKey || (h.name == "api-key" && h.value == "az-key");
    }
    EXPECT_TRUE(apiKey);

    // A model the credential does not list stays on OpenAI (and needs its key).
    missing.clear();
    auto other = obj(R"({"model":{"provider":"openai","model":"gpt-4o-mini"}})");
    Context ctx2;
    ctx2.credentials = resolveCredentials(other, org, &missing);
    EXPECT_EQ(missing.size(), 1u);
    EXPECT_EQ(resolveSettings(other.at("model").as_object(), ctx2, "https://api.openai.com/v1").url,
              "https://api.openai.com/v1/chat/completions");
}

TEST(AzureOpenAi, ExplicitProviderNeedsAnEndpoint) {
    Context ctx;
    ctx.credentials["azure-openai"] = {"az-key", ""};
    auto s = resolveSettings(obj(R"({"provider":"azure-openai","model":"my-deployment"})"), ctx, "");
    EXPECT_NE(s.error.find("openAIEndpoint"), std::string::npos) << s.error;
    ctx.credentials["azure-openai"].apiUrl = "https://acme.openai.azure.com";
    s = resolveSettings(obj(R"({"provider":"azure-openai","model":"my-deployment","apiVersion":"2024-06-01"})"), ctx, "");
    EXPECT_EQ(s.url, "https://acme.openai.azure.com/openai/deployments/my-deployment/chat/completions"
                     "?api-version=2024-06-01");
}

TEST(CustomLlm, TheBodyCarriesTheCallAsVapiSendsIt) {
    auto message = obj(R"({"type":"custom-llm","call":{"id":"call-1","orgId":"org-1"},
                           "assistant":{"metadata":{"tenant":"acme","tier":"gold"}},
                           "customer":{"number":"+15550001111"},"phoneNumber":{"id":"pn-1"}})");
    LlmSettings s;
    s.model = "my-model";
    LlmRequest req;
    req.messages.push_back(json::object{{"role", "user"}, {"content", "hi"}});

    // variable (Vapi's default): {messages, metadata, call, phoneNumber, customer}.
    auto extras = customLlmExtras("variable", message);
    auto body = json::parse(buildRequestBody(s, req, &extras)).as_object();
    EXPECT_EQ(body.at("model").as_string(), "my-model");
    EXPECT_EQ(body.at("stream").as_bool(), true);
    EXPECT_EQ(body.at("messages").as_array().size(), 1u);
    EXPECT_EQ(body.at("metadata").at("tenant").as_string(), "acme");
    EXPECT_EQ(body.at("call").at("id").as_string(), "call-1");
    EXPECT_EQ(body.at("customer").at("number").as_string(), "+15550001111");
    EXPECT_EQ(body.at("phoneNumber").at("id").as_string(), "pn-1");

    // destructured: the metadata's fields themselves; they never replace the body's own.
    auto d = customLlmExtras("destructured", obj(R"({"assistant":{"metadata":{"tier":"gold","model":"x"}},
                                                      "call":{"id":"call-1"}})"));
    body = json::parse(buildRequestBody(s, req, &d)).as_object();
    EXPECT_EQ(body.at("tier").as_string(), "gold");
    EXPECT_EQ(body.at("model").as_string(), "my-model");
    EXPECT_FALSE(body.contains("metadata"));
    EXPECT_EQ(body.at("call").at("id").as_string(), "call-1");

    EXPECT_TRUE(customLlmExtras("off", message).empty());

    Context ctx;
    EXPECT_EQ(resolveSettings(obj(R"({"provider":"custom-llm","url":"http://x/v1"})"), ctx, "").metadataSendMode,
              "variable");
}

}  // namespace
}  // namespace voxa::providers::openai
