#include "api/schema.h"

#include <boost/json.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace json = boost::json;
using testing::Contains;
using testing::ElementsAre;
using testing::HasSubstr;
using testing::IsEmpty;
using voxa::api::Schemas;

namespace {

// Parsed like the server parses request bodies.
json::value parse(std::string_view body) {
    json::parse_options opts;
    opts.max_depth = 64;
    return json::parse(body, {}, opts);
}

std::vector<std::string> check(std::string_view schema, std::string_view body) {
    return Schemas::instance().validate(schema, parse(body));
}

std::vector<std::string> check(const Schemas& s, std::string_view schema, std::string_view body) {
    return s.validate(schema, parse(body));
}

constexpr std::string_view kFullAssistant = R"({
  "name": "Support",
  "firstMessage": "Hi, this is Ada. How can I help?",
  "firstMessageMode": "assistant-speaks-first",
  "transcriber": {"provider": "deepgram", "model": "nova-2", "language": "en-US",
                  "smartFormat": true, "endpointing": 300},
  "model": {
    "provider": "openai", "model": "gpt-4o", "temperature": 0.7, "maxTokens": 250,
    "messages": [{"role": "system", "content": "You are a helpful support agent."}],
    "tools": [
      {"type": "function", "async": false,
       "function": {"name": "lookup_order", "description": "Find an order",
                    "parameters": {"type": "object",
                                   "properties": {"orderId": {"type": "string",
                                                              "description": "The id"}},
                                   "required": ["orderId"]}},
       "server": {"url": "https://example.com/tools"}},
      {"type": "endCall"}
    ],
    "toolIds": ["6f1c1b9e-3f3a-4c1e-9a5e-2b7f4f0e1a11"]
  },
  "voice": {"provider": "11labs", "voiceId": "21m00Tcm4TlvDq8ikWAM", "stability": 0.5,
            "similarityBoost": 0.75, "model": "eleven_turbo_v2_5"},
  "endCallPhrases": ["goodbye", "talk to you later"],
  "endCallMessage": "Bye!",
  "voicemailMessage": "Please call back.",
  "startSpeakingPlan": {"waitSeconds": 0.4, "smartEndpointingPlan": {"provider": "livekit"}},
  "stopSpeakingPlan": {"numWords": 2, "voiceSeconds": 0.2, "backoffSeconds": 1},
  "analysisPlan": {"summaryPlan": {"enabled": true, "timeoutSeconds": 10}},
  "artifactPlan": {"recordingEnabled": true, "recordingFormat": "mp3"},
  "server": {"url": "https://example.com/webhook", "timeoutSeconds": 20,
             "headers": {"X-Api-Key": "abc"}},
  "serverMessages": ["end-of-call-report", "status-update", "tool-calls"],
  "clientMessages": ["transcript", "hang"],
  "metadata": {"team": "support", "nested": {"anything": [1, 2, {"x": null}]}},
  "hooks": [{"on": "call.ending", "do": [{"type": "tool", "tool": {"type": "endCall"}}]}],
  "maxDurationSeconds": 600,
  "backgroundSound": "office",
  "voicemailDetection": "off"
})";

}  // namespace

// --- The embedded registry ----------------------------------------------------------------

TEST(Schemas, KnowsTheEndpointSchemas) {
    const auto& s = Schemas::instance();
    for (const char* name :
         {"CreateAssistantDTO", "UpdateAssistantDTO", "AssistantOverrides", "CreateSquadDTO",
          "UpdateSquadDTO", "CreateToolDTO", "UpdateToolDTO", "CreatePhoneNumberDTO",
          "UpdatePhoneNumberDTO", "UpdateFileDTO", "CreateCallDTO", "UpdateCallDTO",
          "AnalyticsQueryDTO", "CreateCredentialDTO", "UpdateCredentialDTO",
          "CreateOpenAICredentialDTO", "UpdateWebhookCredentialDTO", "LocalModel"})
        EXPECT_TRUE(s.has(name)) << name;
    EXPECT_FALSE(s.has("NoSuchDTO"));
    EXPECT_THROW(s.validate("NoSuchDTO", json::object()), std::out_of_range);
}

TEST(Schemas, FullAssistantPasses) {
    EXPECT_THAT(check("CreateAssistantDTO", kFullAssistant), IsEmpty());
    EXPECT_THAT(check("UpdateAssistantDTO", kFullAssistant), IsEmpty());
    EXPECT_THAT(check("AssistantOverrides", kFullAssistant), IsEmpty());
    EXPECT_THAT(check("CreateAssistantDTO", "{}"), IsEmpty());
}

TEST(Schemas, UnknownPropertiesAreRejected) {
    EXPECT_THAT(check("CreateAssistantDTO", R"({"name": "a", "foo": 1})"),
                ElementsAre("property foo should not exist"));
    EXPECT_THAT(check("CreateAssistantDTO",
                      R"({"model": {"provider": "openai", "model": "gpt-4o", "bar": true}})"),
                ElementsAre("model.property bar should not exist"));
    EXPECT_THAT(check("CreateAssistantDTO", R"({"model": {"provider": "openai", "model": "gpt-4o",
                        "messages": [{"role": "user", "content": "hi", "name2": "x"}]}})"),
                ElementsAre("model.messages.0.property name2 should not exist"));
    // Free-form objects accept anything.
    EXPECT_THAT(check("CreateAssistantDTO", R"({"metadata": {"foo": {"bar": [1]}}})"), IsEmpty());
}

TEST(Schemas, EnumsBoundsAndTypes) {
    EXPECT_THAT(check("CreateAssistantDTO", R"({"firstMessageMode": "shout"})"),
                ElementsAre("firstMessageMode must be one of the following values: "
                            "assistant-speaks-first, "
                            "assistant-speaks-first-with-model-generated-message, "
                            "assistant-waits-for-user"));
    EXPECT_THAT(check("CreateAssistantDTO", R"({"maxDurationSeconds": 50000})"),
                ElementsAre("maxDurationSeconds must not be greater than 43200"));
    EXPECT_THAT(check("CreateAssistantDTO", R"({"maxDurationSeconds": 5})"),
                ElementsAre("maxDurationSeconds must not be less than 10"));
    EXPECT_THAT(check("CreateAssistantDTO", R"({"maxDurationSeconds": "long"})"),
                ElementsAre("maxDurationSeconds must be a number conforming to the specified "
                            "constraints"));
    EXPECT_THAT(check("CreateAssistantDTO", R"({"name": 12})"),
                ElementsAre("name must be a string"));
    EXPECT_THAT(check("CreateAssistantDTO", R"({"name": ")" + std::string(41, 'x') + R"("})"),
                ElementsAre("name must be shorter than or equal to 40 characters"));
    EXPECT_THAT(check("CreateAssistantDTO", R"({"firstMessageInterruptionsEnabled": "yes"})"),
                ElementsAre("firstMessageInterruptionsEnabled must be a boolean value"));
    EXPECT_THAT(check("CreateAssistantDTO", R"({"endCallPhrases": "bye"})"),
                ElementsAre("endCallPhrases must be an array"));
    EXPECT_THAT(check("CreateAssistantDTO", R"({"endCallPhrases": ["ok", "x"]})"),
                ElementsAre("each value in endCallPhrases must be longer than or equal to 2 "
                            "characters"));
    EXPECT_THAT(check("CreateAssistantDTO", R"({"server": "https://x"})"),
                ElementsAre("server must be an object"));
    EXPECT_THAT(check("CreateAssistantDTO", R"({"clientMessages": ["transcript", "nope"]})"),
                ElementsAre(HasSubstr("each value in clientMessages must be one of the "
                                      "following values: conversation-update,")));
    EXPECT_THAT(check("CreateAssistantDTO", R"({"model": {"provider": "openai", "model": "gpt-4o",
                        "temperature": 3, "toolIds": [1]}})"),
                ElementsAre("model.temperature must not be greater than 2",
                            "model.each value in toolIds must be a string"));
    EXPECT_THAT(check("CreateAssistantDTO", R"({"model": {"provider": "openai", "model": "gpt-4o",
                        "messages": [{"role": "boss", "content": "x"}]}})"),
                ElementsAre("model.messages.0.role must be one of the following values: "
                            "assistant, function, user, system, tool"));
    EXPECT_THAT(check("CreateAssistantDTO", R"({"server": {"url": "https://x.io",
                        "timeoutSeconds": 0}})"),
                ElementsAre("server.timeoutSeconds must not be less than 1"));
}

TEST(Schemas, OptionalPropertiesAcceptNull) {
    EXPECT_THAT(check("CreateAssistantDTO", R"({"name": null, "model": null, "server": null})"),
                IsEmpty());
    // Required and not nullable: null is reported like a wrong type.
    EXPECT_THAT(check("CreateAssistantDTO", R"({"model": {"provider": "openai", "model": null}})"),
                ElementsAre(HasSubstr("model.model must be one of the following values: ")));
}

TEST(Schemas, DiscriminatorErrors) {
    auto errors = check("CreateAssistantDTO", R"({"model": {"provider": "skynet"}})");
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_THAT(errors[0], HasSubstr("model.provider must be one of the following values: "));
    EXPECT_THAT(errors[0], HasSubstr("openai"));
    EXPECT_THAT(errors[0], HasSubstr("anthropic"));
    EXPECT_THAT(errors[0], HasSubstr(", local"));
    EXPECT_THAT(check("CreateAssistantDTO", R"({"voice": {"voiceId": "x"}})"),
                ElementsAre(HasSubstr("voice.provider must be one of the following values: ")));
    EXPECT_THAT(check("CreateToolDTO", R"({"type": "teleport"})"),
                ElementsAre(HasSubstr("type must be one of the following values: apiRequest, ")));
    EXPECT_THAT(check("CreateAssistantDTO", R"({"model": {"provider": "openai", "model": "gpt-4o",
                        "tools": [{"type": "endCall"}, {"type": "nope"}]}})"),
                ElementsAre(HasSubstr("model.tools.1.type must be one of the following values: ")));
    EXPECT_THAT(check("CreatePhoneNumberDTO", R"({"provider": "carrier-pigeon"})"),
                ElementsAre(HasSubstr("provider must be one of the following values: ")));
}

TEST(Schemas, LegacyFieldsPass) {
    constexpr std::string_view legacy = R"({
      "serverUrl": "https://example.com/hook", "serverUrlSecret": "s3cret",
      "silenceTimeoutSeconds": 30, "backgroundDenoisingEnabled": true,
      "backchannelingEnabled": false, "hipaaEnabled": false,
      "messagePlan": {"idleMessages": ["Are you still there?"], "idleTimeoutSeconds": 10,
                      "idleMessageMaxSpokenCount": 2},
      "server": {"url": "https://example.com/hook", "secret": "s3cret"},
      "model": {"provider": "anthropic", "model": "claude-3-5-sonnet-20241022",
                "functions": [{"name": "f", "parameters": {"type": "object"}}]}
    })";
    EXPECT_THAT(check("CreateAssistantDTO", legacy), IsEmpty());
    EXPECT_THAT(check("UpdateAssistantDTO", legacy), IsEmpty());
    EXPECT_THAT(check("AssistantOverrides", legacy), IsEmpty());
    EXPECT_THAT(check("CreateAssistantDTO", R"({"silenceTimeoutSeconds": 5})"),
                ElementsAre("silenceTimeoutSeconds must not be less than 10"));
    EXPECT_THAT(check("CreateAssistantDTO", R"({"serverUrl": "not a url"})"),
                ElementsAre("serverUrl must be a URL address"));
    EXPECT_THAT(check("CreateAssistantDTO", R"({"serverUrl": "ftp:/x"})"),
                ElementsAre("serverUrl must be a URL address"));
    EXPECT_THAT(check("CreateAssistantDTO", R"({"serverUrl": "http://localhost:8080/x"})"),
                IsEmpty());
    EXPECT_THAT(check("CreatePhoneNumberDTO", R"({"provider": "vapi",
                        "serverUrl": "https://example.com/hook", "serverUrlSecret": "x"})"),
                IsEmpty());
}

TEST(Schemas, FallbackModelsOnEveryModelProvider) {
    // Vapi has fallbackModels on OpenAIModel only; Voxa takes the same list of model ids on
    // every model provider (overlay.json), and OpenAIModel keeps Vapi's enum.
    EXPECT_THAT(check("CreateAssistantDTO", R"({"model": {"provider": "anthropic",
                        "model": "claude-sonnet-4-5-20250929", "fallbackModels": ["claude-haiku-4-5-20251001"],
                        "thinking": {"type": "enabled", "budgetTokens": 2048}}})"),
                IsEmpty());
    EXPECT_THAT(check("UpdateAssistantDTO", R"({"model": {"provider": "google",
                        "model": "gemini-2.5-flash", "fallbackModels": ["gemini-2.0-flash"]}})"),
                IsEmpty());
    EXPECT_THAT(check("CreateAssistantDTO", R"({"model": {"provider": "groq",
                        "model": "llama-3.3-70b-versatile", "fallbackModels": "llama3-8b-8192"}})"),
                ElementsAre("model.fallbackModels must be an array"));
    EXPECT_THAT(check("CreateAssistantDTO", R"({"model": {"provider": "openai", "model": "gpt-4o",
                        "fallbackModels": ["gpt-4o-mini", "claude-3-opus-20240229"]}})"),
                ElementsAre(HasSubstr("model.each value in fallbackModels must be one of the following values: ")));
}

TEST(Schemas, BenchProvidersPass) {
    EXPECT_THAT(check("CreateAssistantDTO", R"({
      "transcriber": {"provider": "bench", "text": "Hi.", "delayMs": 100},
      "voice": {"provider": "bench", "firstByteMs": 100, "msPerWord": 300},
      "model": {"provider": "bench", "reply": "Sure.", "firstTokenMs": 200, "tokenGapMs": 10}
    })"),
                IsEmpty());
    EXPECT_THAT(check("CreateAssistantDTO", R"({"voice": {"provider": "bench", "msPerWord": 0}})"),
                ElementsAre("voice.msPerWord must not be less than 1"));
}

TEST(Schemas, LocalProvidersPass) {
    EXPECT_THAT(check("CreateAssistantDTO", R"({
      "transcriber": {"provider": "local", "language": "en-US", "model": "en-us"},
      "voice": {"provider": "local", "voiceId": "slt", "speed": 1.1,
                "chunkPlan": {"enabled": true}},
      "model": {"provider": "local", "model": "scripted",
                "messages": [{"role": "system", "content": "You are Ada."}],
                "rules": [{"match": ["hours"], "reply": "9 to 5"}],
                "tools": [{"type": "endCall"}], "toolIds": [], "temperature": 0,
                "maxTokens": 100, "functions": []}
    })"),
                IsEmpty());
    EXPECT_THAT(check("AssistantOverrides", R"({"voice": {"provider": "local",
                        "fallbackPlan": {"voices": [{"provider": "local"}]}}})"),
                IsEmpty());
    EXPECT_THAT(check("CreateSquadDTO", R"({"members": [{"assistant": {
                        "model": {"provider": "local"}, "voice": {"provider": "local"},
                        "transcriber": {"provider": "local"}}}]})"),
                IsEmpty());
    EXPECT_THAT(check("CreateAssistantDTO", R"({"voice": {"provider": "local", "speed": 9}})"),
                ElementsAre("voice.speed must not be greater than 4"));
    EXPECT_THAT(check("CreateAssistantDTO", R"({"model": {"provider": "local", "temp": 1}})"),
                ElementsAre("model.property temp should not exist"));
    // The local transcriber's documented settings (docs/providers.md) were refused as
    // unknown properties.
    EXPECT_THAT(check("CreateAssistantDTO", R"({"transcriber": {"provider": "local", "fast": true,
                        "narrowband": "relative", "vocabulary": "none", "keywords": ["acme:2"],
                        "keyterm": ["money back"], "fallbackPlan": {"transcribers": [{"provider": "local",
                        "narrowband": "none", "vocabulary": "auto", "keywords": ["acme"]}]}}})"),
                IsEmpty());
    EXPECT_THAT(check("CreateAssistantDTO", R"({"transcriber": {"provider": "local", "vocabulary": "on"}})"),
                ElementsAre("transcriber.vocabulary must be one of the following values: auto, none"));
}

TEST(Schemas, ToolTypesPass) {
    for (std::string_view tool : {
             R"({"type": "function", "function": {"name": "get_weather",
                 "parameters": {"type": "object", "properties": {
                   "city": {"type": "string", "enum": ["Paris", "Rome"]},
                   "days": {"type": "integer"}}, "required": ["city"]}},
                 "server": {"url": "https://example.com/t", "timeoutSeconds": 10}})",
             R"({"type": "endCall"})",
             R"({"type": "dtmf"})",
             R"({"type": "transferCall", "destinations": [
                 {"type": "number", "number": "+14155551234", "message": "Transferring"},
                 {"type": "sip", "sipUri": "sip:support@example.com"},
                 {"type": "assistant", "assistantName": "Billing"}]})",
             R"({"type": "apiRequest", "method": "POST", "url": "https://api.example.com/x",
                 "name": "createTicket"})",
         }) {
        EXPECT_THAT(check("CreateToolDTO", tool), IsEmpty()) << tool;
        EXPECT_THAT(check("UpdateToolDTO", tool), IsEmpty()) << tool;
    }
    EXPECT_THAT(check("CreateToolDTO", R"({"type": "function",
                        "function": {"name": "bad name!"}})"),
                ElementsAre("function.name must match /^[a-zA-Z0-9_-]{1,64}$/ regular "
                            "expression"));
    EXPECT_THAT(check("CreateToolDTO", R"({"type": "apiRequest", "url": "https://x.io"})"),
                ElementsAre("method must be one of the following values: POST, GET, PUT, "
                            "PATCH, DELETE"));
    EXPECT_THAT(check("CreateToolDTO", R"({"type": "transferCall",
                        "destinations": [{"type": "number"}]})"),
                ElementsAre("destinations.0.number must be a string"));
}

TEST(Schemas, PhoneNumbers) {
    EXPECT_THAT(check("CreatePhoneNumberDTO",
                      R"({"provider": "vapi", "sipUri": "sip:ada@voxa.sip.example.com",
                          "name": "Ada", "assistantId": "6f1c1b9e-3f3a-4c1e-9a5e-2b7f4f0e1a11"})"),
                IsEmpty());
    EXPECT_THAT(check("CreatePhoneNumberDTO",
                      R"({"provider": "twilio", "number": "+14155551234",
                          "twilioAccountSid": "AC123", "twilioAuthToken": "tok"})"),
                IsEmpty());
    EXPECT_THAT(check("CreatePhoneNumberDTO",
                      R"({"provider": "byo-phone-number", "number": "+14155551234",
                          "credentialId": "6f1c1b9e-3f3a-4c1e-9a5e-2b7f4f0e1a11"})"),
                IsEmpty());
    EXPECT_THAT(check("CreatePhoneNumberDTO", R"({"provider": "twilio", "number": "+1415"})"),
                ElementsAre("twilioAccountSid must be a string"));
    EXPECT_THAT(check("CreatePhoneNumberDTO", R"({"provider": "byo-phone-number"})"),
                ElementsAre("credentialId must be a string"));
    EXPECT_THAT(check("UpdatePhoneNumberDTO", R"({"provider": "vapi", "name": "x"})"), IsEmpty());
}

TEST(Schemas, SquadsCallsAndOthers) {
    EXPECT_THAT(check("CreateSquadDTO", R"({"name": "Front desk", "members": [
        {"assistantId": "6f1c1b9e-3f3a-4c1e-9a5e-2b7f4f0e1a11",
         "assistantDestinations": [{"type": "assistant", "assistantName": "Billing",
                                    "message": "One moment"}]},
        {"assistant": {"name": "Billing", "model": {"provider": "openai", "model": "gpt-4o"}},
         "assistantOverrides": {"firstMessage": "Billing here"}}],
        "membersOverrides": {"voice": {"provider": "11labs", "voiceId": "abc"}}})"),
                IsEmpty());
    EXPECT_THAT(check("CreateSquadDTO", "{}"), ElementsAre("members must be an array"));
    EXPECT_THAT(check("CreateSquadDTO", R"({"members": [{"assistant": {"foo": 1}}]})"),
                ElementsAre("members.0.assistant.property foo should not exist"));
    EXPECT_THAT(check("UpdateSquadDTO", R"({"members": []})"), IsEmpty());
    EXPECT_THAT(check("CreateCallDTO", R"({"assistantId": "6f1c1b9e-3f3a-4c1e-9a5e-2b7f4f0e1a11",
                        "phoneNumberId": "6f1c1b9e-3f3a-4c1e-9a5e-2b7f4f0e1a12",
                        "customer": {"number": "+14155551234"},
                        "assistantOverrides": {"variableValues": {"name": "Ada"}}})"),
                IsEmpty());
    EXPECT_THAT(check("CreateCallDTO", R"({"customer": {"number": "+14155551234", "age": 3}})"),
                ElementsAre("customer.property age should not exist"));
    EXPECT_THAT(check("UpdateCallDTO", R"({"name": "x"})"), IsEmpty());
    EXPECT_THAT(check("UpdateFileDTO", R"({"name": "x", "purpose": "y"})"),
                ElementsAre("property purpose should not exist"));
    EXPECT_THAT(check("AnalyticsQueryDTO", R"({"queries": [{"table": "call", "name": "n",
                        "operations": [{"operation": "count", "column": "id"}]}]})"),
                IsEmpty());
    EXPECT_THAT(check("AnalyticsQueryDTO", R"({"queries": [{"table": "calls", "name": "n",
                        "operations": []}]})"),
                ElementsAre("queries.0.table must be one of the following values: call, "
                            "subscription"));
    EXPECT_THAT(check("CreateCredentialDTO", R"({"provider": "openai", "apiKey": "sk-1"})"),
                IsEmpty());
    EXPECT_THAT(check("CreateCredentialDTO", R"({"provider": "openai"})"),
                ElementsAre("apiKey must be a string"));
    EXPECT_THAT(check("UpdateCredentialDTO", R"({"provider": "openai", "name": "x"})"),
                IsEmpty());
}

TEST(Schemas, ErrorsComeInDocumentOrder) {
    EXPECT_THAT(check("CreateAssistantDTO", R"({"zeta": 1, "name": 5, "alpha": 2,
                        "maxDurationSeconds": 1})"),
                ElementsAre("property zeta should not exist", "name must be a string",
                            "property alpha should not exist",
                            "maxDurationSeconds must not be less than 10"));
}

TEST(Schemas, ErrorsAreCapped) {
    std::string body = "{";
    for (int i = 0; i < 200; ++i) body += (i ? "," : "") + ("\"k" + std::to_string(i) + "\":1");
    body += "}";
    EXPECT_EQ(check("CreateAssistantDTO", body).size(), 50u);
}

TEST(Schemas, HostileInputStaysFast) {
    // Deep nesting through recursive schemas and unions, and very wide arrays.
    std::string deep;
    for (int i = 0; i < 50; ++i) deep += R"({"type":"array","items":)";
    deep += R"({"type":"string"})";
    for (int i = 0; i < 50; ++i) deep += "}";
    std::string tool = R"({"type":"function","function":{"name":"f","parameters":{"type":"object",
        "properties":{"a":)" + deep + "}}}}";
    std::string wide = R"({"members":[)";
    for (int i = 0; i < 3000; ++i) wide += std::string(i ? "," : "") + R"({"assistant":{}})";
    wide += "]}";
    auto start = std::chrono::steady_clock::now();
    EXPECT_THAT(check("CreateToolDTO", tool), IsEmpty());
    EXPECT_THAT(check("CreateSquadDTO", wide), IsEmpty());
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

// --- Focused semantics on inline schemas ---------------------------------------------------

namespace {

constexpr std::string_view kSpec = R"({"schemas": {
  "Pet": {"type": "object", "required": ["kind"], "properties": {
     "kind": {"type": "string", "enum": ["cat", "dog"]},
     "name": {"type": "string", "minLength": 1, "maxLength": 5},
     "id": {"type": "string", "format": "uuid"},
     "born": {"type": "string", "format": "date-time"},
     "email": {"type": "string", "format": "email"},
     "age": {"type": "integer", "minimum": 0},
     "tags": {"type": "array", "minItems": 1, "maxItems": 2, "items": {"type": "string"}},
     "note": {"type": "string", "nullable": true},
     "extra": {"type": "object"},
     "code": {"type": "string", "pattern": "/^[a-z]+$/i"},
     "word": {"type": "string", "pattern": "/^\\p{L}[\\p{L}\\d]*$/u"},
     "toy": {"$ref": "#/components/schemas/Toy"},
     "parent": {"allOf": [{"$ref": "#/components/schemas/Pet"}]}}},
  "Toy": {"oneOf": [{"$ref": "#/components/schemas/Ball"}, {"$ref": "#/components/schemas/Rope"}]},
  "Ball": {"type": "object", "required": ["shape"], "properties": {
     "shape": {"type": "string", "enum": ["ball"]}, "size": {"type": "number"}}},
  "Rope": {"type": "object", "required": ["shape"], "properties": {
     "shape": {"type": "string", "enum": ["rope"]}, "length": {"type": "number"}}},
  "Loose": {"oneOf": [{"type": "string", "enum": ["off"]}, {"type": "number", "maximum": 3}]}
}})";

constexpr std::string_view kOverlay = R"({
  "schemas": {"Fish": {"type": "object", "required": ["shape"], "properties": {
      "shape": {"type": "string", "enum": ["fish"]}}}},
  "addProperties": [{"to": ["Pet"], "properties": {"legacy": {"type": "boolean"},
                                                   "kind": {"type": "number"}}},
                    {"toVariantsOf": "Ball", "properties": {"color": {"type": "string"}}}],
  "appendVariants": [{"whereRef": "Rope", "add": "Fish"}]
})";

}  // namespace

TEST(SchemasInline, FormatsAndBounds) {
    Schemas s(kSpec, kOverlay);
    EXPECT_THAT(check(s, "Pet", R"({"kind": "cat", "name": "Tom",
                  "id": "019a9046-121e-766d-8d0b-2f4b5c6d7e8f", "born": "2024-01-31T12:00:00.5Z",
                  "email": "a@b.co", "age": 3, "tags": ["x"], "note": null, "extra": {"q": 1},
                  "code": "AbC", "word": "café9"})"),
                IsEmpty());
    EXPECT_THAT(check(s, "Pet", R"({"kind": "cow", "name": "", "id": "nope", "born": "yesterday",
                  "email": "x", "age": 1.5, "tags": [], "code": "a1", "word": "9a"})"),
                ElementsAre("kind must be one of the following values: cat, dog",
                            "name must be longer than or equal to 1 characters",
                            "id must be a UUID", "born must be a valid ISO 8601 date string",
                            "email must be an email", "age must be an integer number",
                            "tags must contain at least 1 elements",
                            "code must match /^[a-z]+$/i regular expression",
                            "word must match /^\\p{L}[\\p{L}\\d]*$/u regular expression"));
    EXPECT_THAT(check(s, "Pet", R"({"kind": "dog", "tags": ["a", "b", 3], "age": -1})"),
                ElementsAre("tags must contain no more than 2 elements",
                            "each value in tags must be a string",
                            "age must not be less than 0"));
    // UTF-16 length: an emoji counts as two characters, like JavaScript.
    EXPECT_THAT(check(s, "Pet", R"({"kind": "dog", "name": "ab\ud83d\ude00c"})"), IsEmpty());
    EXPECT_THAT(check(s, "Pet", R"({"kind": "dog", "name": "abcd\ud83d\ude00"})"),
                ElementsAre("name must be shorter than or equal to 5 characters"));
    EXPECT_THAT(check(s, "Pet", "{}"),
                ElementsAre("kind must be one of the following values: cat, dog"));
    EXPECT_THAT(check(s, "Pet", "[]"), ElementsAre("body must be an object"));
}

TEST(SchemasInline, OverlayAndUnions) {
    Schemas s(kSpec, kOverlay);
    EXPECT_TRUE(s.has("Fish"));
    // addProperties adds what is missing but never replaces the spec's definition.
    EXPECT_THAT(check(s, "Pet", R"({"kind": "cat", "legacy": true})"), IsEmpty());
    EXPECT_THAT(check(s, "Pet", R"({"kind": "cat", "toy": {"shape": "ball", "color": "red"}})"),
                IsEmpty());
    EXPECT_THAT(check(s, "Pet", R"({"kind": "cat", "toy": {"shape": "rope", "color": "red"}})"),
                IsEmpty());
    EXPECT_THAT(check(s, "Pet", R"({"kind": "cat", "toy": {"shape": "fish"}})"), IsEmpty());
    EXPECT_THAT(check(s, "Pet", R"({"kind": "cat", "toy": {"shape": "cube"}})"),
                ElementsAre("toy.shape must be one of the following values: ball, rope, fish"));
    EXPECT_THAT(check(s, "Pet", R"({"kind": "cat", "toy": {"shape": "ball", "size": "xl"}})"),
                ElementsAre("toy.size must be a number conforming to the specified "
                            "constraints"));
    EXPECT_THAT(check(s, "Pet", R"({"kind": "cat", "parent": {"kind": "dog",
                  "parent": {"kind": "cat", "bad": 1}}})"),
                ElementsAre("parent.parent.property bad should not exist"));
    EXPECT_THAT(check(s, "Loose", R"("off")"), IsEmpty());
    EXPECT_THAT(check(s, "Loose", "2"), IsEmpty());
    EXPECT_THAT(check(s, "Loose", "7"), ElementsAre("body must not be greater than 3"));
}

TEST(SchemasInline, MalformedDocumentsThrow) {
    EXPECT_THROW(Schemas("not json", ""), std::runtime_error);
    EXPECT_THROW(Schemas(R"({"nothing": 1})", ""), std::runtime_error);
    EXPECT_NO_THROW(Schemas(R"({"schemas": {"A": {"$ref": "#/components/schemas/Missing"}}})",
                            ""));
    // Schema cycles that consume no input terminate with an error instead of recursing.
    Schemas cyclic(R"({"schemas": {
        "X": {"allOf": [{"$ref": "#/components/schemas/X"}]},
        "Y": {"oneOf": [{"$ref": "#/components/schemas/Y"}, {"type": "string"}]}}})",
                   "");
    EXPECT_THAT(check(cyclic, "X", "{}"), ElementsAre("request body is nested too deeply"));
    EXPECT_EQ(check(cyclic, "Y", R"("s")").size(), 1u);
}
