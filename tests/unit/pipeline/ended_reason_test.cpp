#include "pipeline/ended_reason.h"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "providers/providers.h"

namespace json = boost::json;
using voxa::pipeline::endedReason;
using voxa::pipeline::Failed;

namespace {

json::object load(const char* path) {
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    return json::parse(ss.str()).as_object();
}

std::set<std::string> endedReasonEnum() {
    auto doc = load(VOXA_RESPONSE_SCHEMAS);
    std::set<std::string> out;
    for (auto& v : doc.at("schemas").at("Call").at("properties").at("endedReason").at("enum").as_array())
        out.insert(std::string(v.as_string()));
    return out;
}

/// Every `provider` enum value of the request schemas whose name ends with `suffix`
/// (DeepgramTranscriber, ElevenLabsVoice, AnthropicModel, ...).
std::set<std::string> providerIds(const std::string& suffix) {
    auto doc = load(VOXA_REQUEST_SCHEMAS);
    std::set<std::string> out;
    for (auto& [name, schema] : doc.at("schemas").as_object()) {
        std::string n(name);
        if (n.size() <= suffix.size() || n.compare(n.size() - suffix.size(), suffix.size(), suffix) != 0) continue;
        if (n.starts_with("Fallback")) continue;
        auto* props = schema.as_object().if_contains("properties");
        auto* p = props ? props->as_object().if_contains("provider") : nullptr;
        auto* e = p && p->is_object() ? p->as_object().if_contains("enum") : nullptr;
        if (!e) continue;
        for (auto& v : e->as_array()) out.insert(std::string(v.as_string()));
    }
    return out;
}

}  // namespace

TEST(EndedReason, VapiSpellingsOfProviderNames) {
    EXPECT_EQ(endedReason(Failed::Voice, "11labs"), "pipeline-error-eleven-labs-voice-failed");
    EXPECT_EQ(endedReason(Failed::Voice, "custom-voice"), "pipeline-error-custom-voice-failed");
    EXPECT_EQ(endedReason(Failed::Transcriber, "custom-transcriber"), "pipeline-error-custom-transcriber-failed");
    EXPECT_EQ(endedReason(Failed::Transcriber, "azure"), "pipeline-error-azure-speech-transcriber-failed");
    EXPECT_EQ(endedReason(Failed::Voice, "azure"), "pipeline-error-azure-voice-failed");
    EXPECT_EQ(endedReason(Failed::Model, "custom-llm"), "pipeline-error-custom-llm-llm-failed");
    EXPECT_EQ(endedReason(Failed::Model, "local"), "pipeline-error-vapi-llm-failed");
}

// Whatever provider an assistant names (any of Vapi's, or Voxa's own), the reason is one
// of Vapi's Call.endedReason values.
TEST(EndedReason, EveryProviderMapsIntoVapisEnum) {
    auto allowed = endedReasonEnum();
    ASSERT_GT(allowed.size(), 100u);
    struct Kind {
        Failed what;
        std::string suffix;
    };
    size_t checked = 0;
    for (auto& k : {Kind{Failed::Transcriber, "Transcriber"}, Kind{Failed::Voice, "Voice"}, Kind{Failed::Model, "Model"}}) {
        auto ids = providerIds(k.suffix);
        ASSERT_GT(ids.size(), 5u) << k.suffix;
        for (auto extra : {"local", "bench", "no-such-provider"}) ids.insert(extra);
        for (auto& id : ids) {
            auto reason = endedReason(k.what, id);
            EXPECT_TRUE(allowed.count(reason)) << id << " -> " << reason << " is not in Vapi's endedReason enum";
            ++checked;
        }
    }
    EXPECT_GT(checked, 40u);
}

// A failure's cause gives the provider's own value where Vapi has one; every value is in
// the enum, for every cause and provider.
TEST(EndedReason, CausesMapIntoVapisEnum) {
    using C = voxa::providers::FailureCause;
    auto allowed = endedReasonEnum();
    EXPECT_EQ(endedReason(Failed::Transcriber, "deepgram", C::Unauthorized), "pipeline-error-deepgram-returning-401-invalid-credentials");
    EXPECT_EQ(endedReason(Failed::Transcriber, "deepgram", C::Forbidden), "pipeline-error-deepgram-returning-403-model-access-denied");
    EXPECT_EQ(endedReason(Failed::Transcriber, "deepgram", C::NotFound), "pipeline-error-deepgram-returning-404-not-found");
    EXPECT_EQ(endedReason(Failed::Transcriber, "deepgram", C::ConnectFailed), "pipeline-error-deepgram-returning-502-network-error");
    EXPECT_EQ(endedReason(Failed::Transcriber, "deepgram", C::Disconnected), "pipeline-error-deepgram-returning-econnreset");
    EXPECT_EQ(endedReason(Failed::Transcriber, "deepgram", C::BadMessage), "pipeline-error-deepgram-returning-500-invalid-json");
    EXPECT_EQ(endedReason(Failed::Transcriber, "deepgram", C::Timeout), "pipeline-error-deepgram-transcriber-failed");
    EXPECT_EQ(endedReason(Failed::Transcriber, "local", C::Other), "pipeline-error-vapi-transcriber-failed");
    for (auto what : {Failed::Transcriber, Failed::Voice, Failed::Model})
        for (auto* p : {"deepgram", "assembly-ai", "openai", "11labs", "cartesia", "local", "custom-llm"})
            for (int c = 0; c <= static_cast<int>(C::Other); ++c) {
                auto reason = endedReason(what, p, static_cast<C>(c));
                EXPECT_TRUE(allowed.count(reason)) << reason;
            }
}

TEST(EndedReason, AssemblyAiCauses) {
    using C = voxa::providers::FailureCause;
    EXPECT_EQ(endedReason(Failed::Transcriber, "assembly-ai", C::Unauthorized),
              "pipeline-error-assembly-ai-returning-401-invalid-credentials");
    EXPECT_EQ(endedReason(Failed::Transcriber, "assembly-ai", C::Forbidden),
              "pipeline-error-assembly-ai-returning-400-insufficent-funds");
    EXPECT_EQ(endedReason(Failed::Transcriber, "assembly-ai", C::BadRequest),
              "pipeline-error-assembly-ai-returning-500-invalid-schema");
    for (auto c : {C::Disconnected, C::Timeout, C::BadMessage, C::ConnectFailed, C::ServerError, C::MissingKey})
        EXPECT_EQ(endedReason(Failed::Transcriber, "assembly-ai", c), "pipeline-error-assembly-ai-transcriber-failed");
}

TEST(EndedReason, VoiceCausesMapIntoVapisEnum) {
    using C = voxa::providers::FailureCause;
    EXPECT_EQ(endedReason(Failed::Voice, "11labs", C::Unauthorized), "pipeline-error-eleven-labs-invalid-api-key");
    EXPECT_EQ(endedReason(Failed::Voice, "11labs", C::Forbidden), "pipeline-error-eleven-labs-unauthorized-access");
    EXPECT_EQ(endedReason(Failed::Voice, "11labs", C::NotFound), "pipeline-error-eleven-labs-voice-not-found");
    EXPECT_EQ(endedReason(Failed::Voice, "11labs", C::ServerError), "pipeline-error-eleven-labs-500-server-error");
    EXPECT_EQ(endedReason(Failed::Voice, "11labs", C::Disconnected), "pipeline-error-eleven-labs-voice-failed");
    EXPECT_EQ(endedReason(Failed::Voice, "cartesia", C::Forbidden), "pipeline-error-cartesia-requested-payment");
    EXPECT_EQ(endedReason(Failed::Voice, "cartesia", C::ServerError), "pipeline-error-cartesia-500-server-error");
    EXPECT_EQ(endedReason(Failed::Voice, "cartesia", C::Disconnected), "pipeline-error-cartesia-socket-hang-up");
    EXPECT_EQ(endedReason(Failed::Voice, "cartesia", C::Unauthorized), "pipeline-error-cartesia-voice-failed");
    EXPECT_EQ(endedReason(Failed::Voice, "cartesia", C::Timeout), "pipeline-error-cartesia-voice-failed");
    // Deepgram's voice has one value in Vapi's enum: its transcriber's 401/502/econnreset are not the voice's.
    for (auto c : {C::Unauthorized, C::Forbidden, C::ConnectFailed, C::Disconnected, C::BadMessage, C::Timeout})
        EXPECT_EQ(endedReason(Failed::Voice, "deepgram", c), "pipeline-error-deepgram-voice-failed");
    for (auto c : {C::Unauthorized, C::ConnectFailed, C::Disconnected, C::BadMessage})
        EXPECT_EQ(endedReason(Failed::Transcriber, "custom-transcriber", c), "pipeline-error-custom-transcriber-failed");
}

// Vapi's pipeline-error-openai-401-*, -429-*, -500-* values are the model's: for OpenAI's
// transcriber and voice every cause is the -failed value.
TEST(EndedReason, OpenAiSpeechFailuresAreTheirFailedValues) {
    using C = voxa::providers::FailureCause;
    for (int c = 0; c <= static_cast<int>(C::Other); ++c) {
        EXPECT_EQ(endedReason(Failed::Transcriber, "openai", static_cast<C>(c)), "pipeline-error-openai-transcriber-failed");
        EXPECT_EQ(endedReason(Failed::Voice, "openai", static_cast<C>(c)), "pipeline-error-openai-voice-failed");
    }
}

TEST(Registry, UnavailableNamesTheProviderAndWhatThereIs) {
    auto& r = voxa::providers::Registry::instance();
    EXPECT_EQ(r.unavailable(json::object{}), std::nullopt);  // local everywhere
    EXPECT_EQ(r.unavailable(json::parse(R"({"model":{"provider":"openai","model":"gpt-4o"}})").as_object()), std::nullopt);
    auto why = r.unavailable(json::parse(R"({"voice":{"provider":"playht","voiceId":"x"}})").as_object());
    ASSERT_TRUE(why);
    EXPECT_NE(why->find("voice.provider \"playht\" is not available on this server"), std::string::npos) << *why;
    EXPECT_NE(why->find("local"), std::string::npos) << *why;
    why = r.unavailable(json::parse(R"({"transcriber":{"provider":"gladia"},"voice":{"provider":"11labs"}})").as_object());
    ASSERT_TRUE(why);
    EXPECT_TRUE(why->starts_with("transcriber.provider \"gladia\"")) << *why;
    EXPECT_EQ(r.unavailable(json::parse(R"({"transcriber":{"provider":"deepgram"}})").as_object()), std::nullopt);
    EXPECT_EQ(r.unavailable(json::parse(R"({"transcriber":{"provider":"assembly-ai"}})").as_object()), std::nullopt);
    EXPECT_EQ(r.unavailable(json::parse(R"({"voice":{"provider":"11labs","voiceId":"x"}})").as_object()), std::nullopt);
    EXPECT_EQ(r.unavailable(json::parse(R"({"voice":{"provider":"cartesia","voiceId":"x"}})").as_object()), std::nullopt);
    EXPECT_EQ(r.unavailable(json::parse(R"({"voice":{"provider":"deepgram","voiceId":"thalia"}})").as_object()), std::nullopt);
    EXPECT_EQ(r.unavailable(json::parse(R"({"transcriber":{"provider":"custom-transcriber","server":{"url":"wss://x"}}})").as_object()),
              std::nullopt);
    EXPECT_EQ(r.unavailable(json::parse(R"({"transcriber":{"provider":"openai","model":"gpt-4o-transcribe"},
                                            "voice":{"provider":"openai","voiceId":"alloy"}})").as_object()),
              std::nullopt);
}

TEST(EndedReason, ModelFailuresNameTheStatusAsVapiDoes) {
    using voxa::pipeline::modelEndedReason;
    using E = voxa::providers::ProviderError;
    using C = voxa::providers::FailureCause;
    EXPECT_EQ(modelEndedReason("anthropic", E{.status = 401}), "pipeline-error-anthropic-401-unauthorized");
    EXPECT_EQ(modelEndedReason("anthropic", E{.status = 529}), "pipeline-error-anthropic-503-server-overloaded-error");
    EXPECT_EQ(modelEndedReason("google", E{.status = 400}), "pipeline-error-google-400-bad-request-validation-failed");
    EXPECT_EQ(modelEndedReason("google", E{.status = 502}), "pipeline-error-google-500-server-error");
    EXPECT_EQ(modelEndedReason("groq", E{.status = 402}), "pipeline-error-groq-403-model-access-denied");
    EXPECT_EQ(modelEndedReason("deepseek", E{.status = 429}), "pipeline-error-deep-seek-429-exceeded-quota");
    EXPECT_EQ(modelEndedReason("openai", E{.status = 429}), "pipeline-error-openai-429-rate-limit-reached");
    EXPECT_EQ(modelEndedReason("openai", E{.status = 429, .code = "insufficient_quota"}),
              "pipeline-error-openai-429-exceeded-quota");
    EXPECT_EQ(modelEndedReason("openai", E{.status = 401, .code = "invalid_api_key"}),
              "pipeline-error-openai-401-incorrect-api-key");
    EXPECT_EQ(modelEndedReason("azure-openai", E{.status = 401, .code = "invalid_api_key"}),
              "pipeline-error-azure-openai-401-unauthorized");
    // No status: a cause that has one of Vapi's HTTP values, else llm-failed.
    EXPECT_EQ(modelEndedReason("anthropic", E{.cause = C::Unauthorized}), "pipeline-error-anthropic-401-unauthorized");
    EXPECT_EQ(modelEndedReason("custom-llm", E{.cause = C::ConnectFailed}), "pipeline-error-custom-llm-llm-failed");
    EXPECT_EQ(modelEndedReason("custom-llm", E{.cause = C::Timeout}), "pipeline-error-custom-llm-llm-failed");
    EXPECT_EQ(modelEndedReason("local", E{.cause = C::BadRequest}), "pipeline-error-vapi-400-bad-request-validation-failed");
    EXPECT_EQ(modelEndedReason("bench", E{.cause = C::Other}), "pipeline-error-vapi-llm-failed");
}
