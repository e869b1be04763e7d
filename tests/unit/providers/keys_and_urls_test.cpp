// providers/credentials.h and providers/endpoints.h: where a provider's key and base URL
// come from, in which order, and who chose the URL (egress policy or not).
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <cstdlib>
#include <stdexcept>

#include "providers/credentials.h"
#include "providers/endpoints.h"
#include "providers/streaming.h"

namespace voxa::providers {
namespace {

namespace json = boost::json;

json::object obj(std::string_view s) { return json::parse(s).as_object(); }

struct EnvVar {
    const char* name;
    EnvVar(const char* n, const char* v) : name(n) { ::setenv(n, v, 1); }
    ~EnvVar() { ::unsetenv(name); }
};

struct OperatorUrls {
    explicit OperatorUrls(std::map<std::string, std::string> m) { setOperatorUrls(std::move(m)); }
    ~OperatorUrls() { setOperatorUrls({}); }
};

const json::object kDeepgramAssistant = obj(R"({"transcriber":{"provider":"deepgram","model":"nova-2"},
    "voice":{"provider":"local"},"model":{"provider":"openai","model":"gpt-4o"}})");

TEST(ProviderKeys, InlineThenOrgThenEnvironment) {
    std::vector<json::object> org = {obj(R"({"id":"c1","provider":"deepgram","apiKey":"org-key","apiUrl":"https://dg.internal"})"),
                                     obj(R"({"id":"c2","provider":"openai","apiKey":"sk-org"})")};
    EnvVar env("DEEPGRAM_API_KEY", "env-key");
    auto cred = resolveCredential("deepgram", kDeepgramAssistant, org);
    ASSERT_TRUE(cred);
    EXPECT_EQ(cred->apiKey, "org-key");
    EXPECT_EQ(cred->apiUrl, "https://dg.internal");

    // Vapi: "dynamic credentials override existing credentials".
    auto withInline = kDeepgramAssistant;
    withInline["credentials"] = json::parse(R"([{"provider":"deepgram","apiKey":"inline-key"}])");
    EXPECT_EQ(resolveCredential("deepgram", withInline, org)->apiKey, "inline-key");

    // Without the org's: the environment.
    EXPECT_EQ(resolveCredential("deepgram", kDeepgramAssistant, {})->apiKey, "env-key");
    EXPECT_EQ(resolveCredential("deepgram", kDeepgramAssistant, {})->apiUrl, "");
}

TEST(ProviderKeys, CredentialIdsNarrowTheOrgsCredentials) {
    std::vector<json::object> org = {obj(R"({"id":"newest","provider":"deepgram","apiKey":"k-new"})"),
                                     obj(R"({"id":"older","provider":"deepgram","apiKey":"k-old"})")};
    EXPECT_EQ(resolveCredential("deepgram", kDeepgramAssistant, org)->apiKey, "k-new") << "newest first";
    auto a = kDeepgramAssistant;
    a["credentialIds"] = json::array{"older"};
    EXPECT_EQ(resolveCredential("deepgram", a, org)->apiKey, "k-old");
    a["credentialIds"] = json::array{"someone-elses"};
    EXPECT_FALSE(resolveCredential("deepgram", a, org)) << "no listed credential, no env var";
}

TEST(ProviderKeys, MissingRequiredKeysAreNamed) {
    ::unsetenv("DEEPGRAM_API_KEY");
    ::unsetenv("OPENAI_API_KEY");
    std::vector<std::string> missing;
    auto creds = resolveCredentials(kDeepgramAssistant, {}, &missing);
    EXPECT_TRUE(creds.empty());
    ASSERT_EQ(missing.size(), 2u);
    EXPECT_TRUE(missing[0].starts_with("transcriber.provider \"deepgram\" needs an API key")) << missing[0];
    EXPECT_NE(missing[0].find("DEEPGRAM_API_KEY"), std::string::npos);
    EXPECT_TRUE(missing[1].starts_with("model.provider \"openai\"")) << missing[1];
    for (auto& m : missing) EXPECT_EQ(m.find("apiKey\":"), std::string::npos);

    // A model on its own URL (a self-hosted OpenAI-compatible server) may take no key;
    // custom-llm's is optional; local providers take none.
    missing.clear();
    auto own = obj(R"({"model":{"provider":"openai","url":"http://10.0.0.5:8000/v1"},
                       "transcriber":{"provider":"local"}})");
    resolveCredentials(own, {}, &missing);
    resolveCredentials(obj(R"({"model":{"provider":"custom-llm","url":"http://x"}})"), {}, &missing);
    EXPECT_TRUE(missing.empty());
    auto keyed = keyedProviders(obj(R"({"model":{"provider":"custom-llm","url":"http://x"}})"));
    ASSERT_EQ(keyed.size(), 1u);
    EXPECT_FALSE(keyed[0].required);
    EXPECT_TRUE(keyedProviders(obj(R"({"transcriber":{"provider":"local"}})")).empty());
}

TEST(ProviderKeys, OpenAiSpeechNeedsTheOpenAiKey) {
    ::unsetenv("OPENAI_API_KEY");
    std::vector<std::string> missing;
    // The model on a URL of its own may go without; OpenAI's transcriber and voice may not.
    auto a = obj(R"({"transcriber":{"provider":"openai","model":"gpt-4o-transcribe"},
                     "voice":{"provider":"openai","voiceId":"alloy",
                              "fallbackPlan":{"voices":[{"provider":"openai","voiceId":"echo"}]}},
                     "model":{"provider":"openai","url":"http://10.0.0.5:8000/v1"}})");
    EXPECT_TRUE(resolveCredentials(a, {}, &missing).empty());
    ASSERT_EQ(missing.size(), 3u);
    EXPECT_TRUE(missing[0].starts_with("transcriber.provider \"openai\" needs an API key")) << missing[0];
    EXPECT_NE(missing[0].find("OPENAI_API_KEY"), std::string::npos);
    EXPECT_TRUE(missing[1].starts_with("voice.provider \"openai\"")) << missing[1];
    EXPECT_TRUE(missing[2].starts_with("voice.fallbackPlan.voices[0].provider \"openai\"")) << missing[2];
    missing.clear();
    EnvVar key("OPENAI_API_KEY", "sk-env");
    auto creds = resolveCredentials(a, {}, &missing);
    EXPECT_TRUE(missing.empty());
    EXPECT_EQ(creds.at("openai").apiKey, "sk-env");
}

TEST(ProviderKeys, EnvironmentVariablesOfTheCloudProviders) {
    EXPECT_STREQ(keyEnvVar("deepgram"), "DEEPGRAM_API_KEY");
    EXPECT_STREQ(keyEnvVar("assembly-ai"), "ASSEMBLYAI_API_KEY");
    EXPECT_STREQ(keyEnvVar("openai"), "OPENAI_API_KEY");
    EXPECT_STREQ(keyEnvVar("11labs"), "ELEVENLABS_API_KEY");
    EXPECT_STREQ(keyEnvVar("cartesia"), "CARTESIA_API_KEY");
    EXPECT_EQ(keyEnvVar("local"), nullptr);
    EXPECT_EQ(keyEnvVar("custom-llm"), nullptr);
}

TEST(ProviderUrls, ParsedFromFlagsAndTheEnvironmentList) {
    auto m = parseProviderUrls({"deepgram=http://127.0.0.1:9000/", "openai=https://llm.local/v1, 11labs=ws://x:1"});
    EXPECT_EQ(m.at("deepgram"), "http://127.0.0.1:9000");
    EXPECT_EQ(m.at("openai"), "https://llm.local/v1");
    EXPECT_EQ(m.at("11labs"), "ws://x:1");
    EXPECT_TRUE(parseProviderUrls({}).empty());
    EXPECT_THROW(parseProviderUrls({"deepgram"}), std::invalid_argument);
    EXPECT_THROW(parseProviderUrls({"=http://x"}), std::invalid_argument);
    EXPECT_THROW(parseProviderUrls({"deepgram=ftp://x"}), std::invalid_argument);
    EXPECT_THROW(parseProviderUrls({"deepgram=http://"}), std::invalid_argument);
}

TEST(ProviderUrls, CredentialThenOperatorThenDefault) {
    Context ctx;
    auto ep = endpoint("deepgram", ctx, "https://api.deepgram.com/");
    EXPECT_EQ(ep.url, "https://api.deepgram.com");
    EXPECT_EQ(ep.source, net::UrlSource::Operator);

    OperatorUrls urls(std::map<std::string, std::string>{{"deepgram", "http://127.0.0.1:9000"}});
    ep = endpoint("deepgram", ctx, "https://api.deepgram.com");
    EXPECT_EQ(ep.url, "http://127.0.0.1:9000");
    EXPECT_EQ(ep.source, net::UrlSource::Operator) << "the operator's choice is not policed";

    ctx.credentials["deepgram"] = {.apiKey = "k", .apiUrl = "http://dg.example.org:8080/"};
    ep = endpoint("deepgram", ctx, "https://api.deepgram.com");
    EXPECT_EQ(ep.url, "http://dg.example.org:8080");
    EXPECT_EQ(ep.source, net::UrlSource::OrgConfig) << "an org's apiUrl goes through the egress policy";

    EXPECT_EQ(endpoint("openai", ctx, "https://api.openai.com/v1").url, "https://api.openai.com/v1");
}

TEST(ProviderUrls, WebSocketSchemes) {
    EXPECT_EQ(websocketUrl("http://127.0.0.1:9000"), "ws://127.0.0.1:9000");
    EXPECT_EQ(websocketUrl("https://api.deepgram.com/"), "wss://api.deepgram.com");
    EXPECT_EQ(websocketUrl("wss://a"), "wss://a");
    EXPECT_EQ(queryEscape("appointment:2"), "appointment%3A2");
    EXPECT_EQ(queryEscape("a b&c=d"), "a%20b%26c%3Dd");
    EXPECT_EQ(queryEscape("en-US_x.y~"), "en-US_x.y~");
}

TEST(Streaming, ConnectFailuresByStatus) {
    using E = net::WsConnectResult::Error;
    auto rejected = [](int status) {
        net::WsConnectResult r;
        r.error = E::Rejected;
        r.status = status;
        return connectFailure(r);
    };
    EXPECT_EQ(rejected(400), FailureCause::BadRequest);
    EXPECT_EQ(rejected(401), FailureCause::Unauthorized);
    EXPECT_EQ(rejected(402), FailureCause::Forbidden);
    EXPECT_EQ(rejected(403), FailureCause::Forbidden);
    EXPECT_EQ(rejected(404), FailureCause::NotFound);
    EXPECT_EQ(rejected(503), FailureCause::ServerError);
    EXPECT_EQ(rejected(429), FailureCause::RateLimited);
    for (auto e : {E::BadUrl, E::Resolve, E::Egress, E::Connect, E::Tls, E::Handshake}) {
        net::WsConnectResult r;
        r.error = e;
        EXPECT_EQ(connectFailure(r), FailureCause::ConnectFailed);
    }
    Context ctx;
    ctx.credentials["deepgram"] = {.apiKey = "k"};
    EXPECT_EQ(apiKey(ctx, "deepgram"), "k");
    EXPECT_EQ(apiKey(ctx, "cartesia"), "");
    EXPECT_EQ(printable("a\x01" "b\n", 10), "a?b?");
    EXPECT_EQ(printable("abcdef", 3), "abc...");
}

}  // namespace
}  // namespace voxa::providers
