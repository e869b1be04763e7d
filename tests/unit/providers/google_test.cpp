// The Gemini model (providers/google): the request built from an OpenAI-format conversation,
// the stream decoder, Gemini's errors, and a session against a raw HTTP fake speaking
// streamGenerateContent?alt=sse.
#include "providers/google/google.h"

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "fakes/fake_openai.h"
#include "fakes/loopback_egress.h"
#include "providers/credentials.h"

namespace voxa::providers::google {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using fakes::FakeOpenAiServer;
using fakes::FakeReply;
using namespace std::chrono_literals;

struct Recorder {
    std::vector<std::string> events;
    std::vector<ProviderError> errors;

    LlmCallbacks callbacks() {
        return {
            .onText = [this](const std::string& t) { events.push_back("text:" + t); },
            .onToolCall = [this](const ToolCall& c) {
                events.push_back("tool:" + c.id + "|" + c.name + "|" + c.arguments);
            },
            .onDone = [this](const Usage& u) {
                events.push_back("done:" + std::to_string(u.promptTokens) + "/" + std::to_string(u.completionTokens) +
                                 "/" + std::to_string(u.cachedPromptTokens));
            },
            .onError = [this](const ProviderError& e) {
                errors.push_back(e);
                events.push_back("error:" + std::to_string(e.status) + ":" + e.code);
            },
        };
    }
};

json::object body(const Settings& s, std::string_view messages, std::string_view tools = "[]",
                  const Signatures& sigs = {}) {
    LlmRequest req;
    req.messages = json::parse(messages).as_array();
    req.tools = json::parse(tools).as_array();
    return json::parse(buildRequestBody(s, req, sigs)).as_object();
}

Settings settings(std::string model = "gemini-2.0-flash") {
    Settings s;
    s.model = std::move(model);
    return s;
}

// ---- Keys --------------------------------------------------------------------------------

TEST(GoogleKeys, CredentialThenGoogleApiKeyThenGeminiApiKey) {
    ::unsetenv("GOOGLE_API_KEY");
    ::unsetenv("GEMINI_API_KEY");
    auto assistant = json::parse(R"({"model":{"provider":"google","model":"gemini-2.0-flash"}})").as_object();
    std::vector<std::string> missing;
    EXPECT_TRUE(resolveCredentials(assistant, {}, &missing).empty());
    ASSERT_EQ(missing.size(), 1u);
    EXPECT_NE(missing[0].find("model.provider \"google\" needs an API key"), std::string::npos) << missing[0];
    ::setenv("GEMINI_API_KEY", "gemini-env", 1);
    EXPECT_EQ(resolveCredential("google", assistant, {})->apiKey, "gemini-env");
    ::setenv("GOOGLE_API_KEY", "google-env", 1);
    EXPECT_EQ(resolveCredential("google", assistant, {})->apiKey, "google-env");
    std::vector<json::object> org = {json::parse(R"({"provider":"google","apiKey":"org-key"})").as_object()};
    EXPECT_EQ(resolveCredential("google", assistant, org)->apiKey, "org-key");
    ::unsetenv("GOOGLE_API_KEY");
    ::unsetenv("GEMINI_API_KEY");
}

// ---- Request ---------------------------------------------------------------------------

TEST(GoogleRequest, UrlHasTheModelAndSseButNeverTheKey) {
    EXPECT_EQ(streamUrl("https://generativelanguage.googleapis.com/", "gemini-2.0-flash"),
              "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse");
    EXPECT_EQ(streamUrl("http://127.0.0.1:9", "models/gemini-1.5-pro"),
              "http://127.0.0.1:9/v1beta/models/gemini-1.5-pro:streamGenerateContent?alt=sse");
    EXPECT_EQ(streamUrl("http://h", "a/../b?x"), "http://h/v1beta/models/a%2F..%2Fb%3Fx:streamGenerateContent?alt=sse");

    Context ctx;
    ctx.credentials["google"] = {"AIza-secret", "http://127.0.0.1:9"};
    auto s = resolveSettings(json::parse(R"({"provider":"google","model":"gemini-2.5-flash","temperature":0.2,
                                              "maxTokens":150})").as_object(), ctx);
    EXPECT_EQ(s.url, "http://127.0.0.1:9/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse");
    EXPECT_EQ(s.url.find("secret"), std::string::npos);
    bool header = false;
    for (auto& h : s.headers) header = header || (h.name == "x-goog-api-key" && h.value == "AIza-secret");
    EXPECT_TRUE(header);
    EXPECT_EQ(*s.maxTokens, 150);
    EXPECT_DOUBLE_EQ(*s.temperature, 0.2);
    EXPECT_FALSE(resolveSettings(json::parse(R"({"provider":"google"})").as_object(), ctx).error.empty());
}

TEST(GoogleRequest, ConversationBecomesContentsWithSystemInstruction) {
    auto s = settings();
    s.temperature = 0.4;
    s.maxTokens = 250;
    auto b = body(s, R"([
        {"role":"system","content":"You are a florist."},
        {"role":"assistant","content":"Hello, flower shop."},
        {"role":"user","content":"Hi"},
        {"role":"user","content":[{"type":"text","text":"Do you have tulips?"}]},
        {"role":"system","content":"Be brief."},
        {"role":"assistant","content":"Yes."}])");
    EXPECT_EQ(b.at("systemInstruction"), json::parse(R"({"parts":[{"text":"You are a florist."},{"text":"Be brief."}]})"));
    EXPECT_EQ(b.at("contents"), json::parse(R"([
        {"role":"model","parts":[{"text":"Hello, flower shop."}]},
        {"role":"user","parts":[{"text":"Hi"},{"text":"Do you have tulips?"}]},
        {"role":"model","parts":[{"text":"Yes."}]}])"));
    EXPECT_EQ(b.at("generationConfig"), json::parse(R"({"temperature":0.4,"maxOutputTokens":250})"));
    EXPECT_FALSE(b.contains("tools"));

    // Only a system prompt (the model speaks first): Gemini needs a turn to answer.
    auto first = body(settings(), R"([{"role":"system","content":"Greet."}])");
    ASSERT_EQ(first.at("contents").as_array().size(), 1u);
    EXPECT_EQ(first.at("contents").at(0).at("role"), "user");
    EXPECT_FALSE(first.contains("generationConfig"));
}

TEST(GoogleRequest, ToolCallsAndResultsBecomeFunctionCallAndFunctionResponse) {
    auto b = body(settings(), R"([
        {"role":"user","content":"Weather in Paris and Rome?"},
        {"role":"assistant","content":"","tool_calls":[
            {"id":"call_1","type":"function","function":{"name":"getWeather","arguments":"{\"city\":\"Paris\"}"}},
            {"id":"call_2","type":"function","function":{"name":"getTime","arguments":"not json"}}]},
        {"role":"tool","tool_call_id":"call_1","content":"sunny"},
        {"role":"tool","tool_call_id":"call_2","name":"ignored","content":"{\"hour\":9}"},
        {"role":"user","content":"Thanks"}])");
    EXPECT_EQ(b.at("contents"), json::parse(R"([
        {"role":"user","parts":[{"text":"Weather in Paris and Rome?"}]},
        {"role":"model","parts":[{"functionCall":{"name":"getWeather","args":{"city":"Paris"}}},
                                 {"functionCall":{"name":"getTime","args":{}}}]},
        {"role":"user","parts":[{"functionResponse":{"name":"getWeather","response":{"output":"sunny"}}},
                                {"functionResponse":{"name":"getTime","response":{"output":{"hour":9}}}},
                                {"text":"Thanks"}]}])"));
}

TEST(GoogleRequest, ThoughtSignaturesGoBackWithTheirCalls) {
    const char* conversation = R"([
        {"role":"user","content":"x"},
        {"role":"assistant","tool_calls":[
            {"id":"call_1","type":"function","function":{"name":"a","arguments":"{}"}},
            {"id":"call_2","type":"function","function":{"name":"b","arguments":"{}"}}]},
        {"role":"tool","tool_call_id":"call_1","content":"1"},
        {"role":"tool","tool_call_id":"call_2","content":"2"},
        {"role":"assistant","tool_calls":[{"id":"call_3","type":"function","function":{"name":"c","arguments":"{}"}}]},
        {"role":"tool","tool_call_id":"call_3","content":"3"}])";
    auto parts = [](const json::object& b, size_t turn) { return b.at("contents").at(turn).at("parts").as_array(); };
    // Gemini 3: the signature it gave; the first call of a turn it gave none for gets the
    // documented placeholder; the second call of a parallel turn has none.
    auto b = body(settings("gemini-3-flash-preview"), conversation, "[]", {{"call_1", "sig-1"}});
    EXPECT_EQ(parts(b, 1)[0].at("thoughtSignature"), "sig-1");
    EXPECT_FALSE(parts(b, 1)[1].as_object().contains("thoughtSignature"));
    EXPECT_EQ(parts(b, 3)[0].at("thoughtSignature"), "skip_thought_signature_validator");
    // Before Gemini 3: only real signatures.
    auto old = body(settings("gemini-2.5-flash"), conversation, "[]", {{"call_1", "sig-1"}});
    EXPECT_EQ(parts(old, 1)[0].at("thoughtSignature"), "sig-1");
    EXPECT_FALSE(parts(old, 3)[0].as_object().contains("thoughtSignature"));
}

TEST(GoogleRequest, ToolsBecomeFunctionDeclarationsWithGeminiSchema) {
    auto b = body(settings(), R"([{"role":"user","content":"x"}])", R"([
        {"type":"function","function":{"name":"getWeather","description":"Weather for a city","parameters":{
            "$schema":"http://json-schema.org/draft-07/schema#","type":"object","additionalProperties":false,
            "properties":{
                "city":{"type":"string","description":"City","format":"email","minLength":1},
                "unit":{"type":["string","null"],"enum":["c","f"]},
                "days":{"type":"integer","enum":[1,3],"format":"int32","maximum":7},
                "tags":{"type":"array","items":{"type":"string","$ref":"#/x"}},
                "when":{"anyOf":[{"type":"string","format":"date-time"},{"type":"null"}]},
                "either":{"oneOf":[{"type":"string"},{"type":"number"}]},
                "fixed":{"const":"yes"},
                "opts":{"type":"object","properties":{}}},
            "required":["city"]}}},
        {"type":"function","function":{"name":"hangUp","parameters":{"type":"object","properties":{}}}},
        {"type":"function","function":{"name":"noParams"}},
        {"type":"dtmf"}])");
    auto want = json::parse(R"([{"functionDeclarations":[
        {"name":"getWeather","description":"Weather for a city","parameters":{
            "type":"OBJECT",
            "properties":{
                "city":{"type":"STRING","description":"City","minLength":1},
                "unit":{"nullable":true,"type":"STRING","enum":["c","f"]},
                "days":{"type":"INTEGER","enum":["1","3"],"format":"int32","maximum":7},
                "tags":{"type":"ARRAY","items":{"type":"STRING"}},
                "when":{"nullable":true,"type":"STRING","format":"date-time"},
                "either":{"anyOf":[{"type":"STRING"},{"type":"NUMBER"}]},
                "fixed":{"enum":["yes"]},
                "opts":{"type":"OBJECT"}},
            "required":["city"]}},
        {"name":"hangUp"},
        {"name":"noParams"}]}])");
    EXPECT_EQ(b.at("tools"), want) << json::serialize(b.at("tools"));
}

TEST(GoogleRequest, DeepSchemasAreCut) {
    json::value deep = json::object{{"type", "object"}};
    for (int i = 0; i < 200; ++i)
        deep = json::object{{"type", "object"}, {"properties", json::object{{"x", std::move(deep)}}}};
    auto s = toSchema(deep);
    int depth = 0;
    const json::object* o = &s;
    while (auto* p = o->if_contains("properties")) {
        o = &p->as_object().at("x").as_object();
        ++depth;
    }
    EXPECT_LT(depth, 40);
}

// ---- Decoder ---------------------------------------------------------------------------

struct Decoding {
    Recorder rec;
    LlmCallbacks cb = rec.callbacks();
    bool stopped = false;
    StreamDecoder dec{cb, [this] { return stopped; }, 7};
};

TEST(GoogleDecoder, TextChunksThenUsage) {
    Decoding d;
    EXPECT_TRUE(d.dec.onData(R"({"candidates":[{"content":{"parts":[{"text":"Hel"}],"role":"model"},"index":0}],
                                 "usageMetadata":{"promptTokenCount":9,"totalTokenCount":9},"modelVersion":"gemini-2.0-flash"})"));
    EXPECT_TRUE(d.dec.onData(R"({"candidates":[{"content":{"parts":[{"text":"Thinking","thought":true},{"text":"lo"}],
                                 "role":"model"}}]})"));
    EXPECT_TRUE(d.dec.onData(R"({"candidates":[{"content":{"parts":[{"text":" there"}],"role":"model"},"finishReason":"STOP"}],
        "usageMetadata":{"promptTokenCount":12,"candidatesTokenCount":3,"thoughtsTokenCount":2,"cachedContentTokenCount":8}})"));
    EXPECT_EQ(d.rec.events, (std::vector<std::string>{"text:Hel", "text:lo", "text: there"}));
    EXPECT_EQ(d.dec.usage().promptTokens, 12);
    EXPECT_EQ(d.dec.usage().completionTokens, 5);
    EXPECT_EQ(d.dec.usage().cachedPromptTokens, 8);
    EXPECT_FALSE(d.dec.error());
}

TEST(GoogleDecoder, FunctionCallsAreWholeWithGeneratedIdsAndSignatures) {
    Decoding d;
    EXPECT_TRUE(d.dec.onData(R"({"candidates":[{"content":{"role":"model","parts":[
        {"functionCall":{"name":"getWeather","args":{"city":"Paris"}},"thoughtSignature":"c2ln"},
        {"functionCall":{"name":"getTime"}},
        {"functionCall":{"name":"lookup","args":{"q":"x"},"id":"gem-id-1"}}]},"finishReason":"STOP"}]})"));
    EXPECT_EQ(d.rec.events, (std::vector<std::string>{"tool:call_7|getWeather|{\"city\":\"Paris\"}",
                                                      "tool:call_8|getTime|{}", "tool:gem-id-1|lookup|{\"q\":\"x\"}"}));
    EXPECT_EQ(d.dec.nextCallNumber(), 9u);
    EXPECT_EQ(d.dec.signatures(), (Signatures{{"call_7", "c2ln"}}));
}

TEST(GoogleDecoder, ErrorsCarryStatusAndCode) {
    {
        Decoding d;
        EXPECT_TRUE(d.dec.onData(R"({"candidates":[{"content":{"parts":[{"text":"Part of"}]}}]})"));
        EXPECT_FALSE(d.dec.onData(R"({"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}})"));
        ASSERT_TRUE(d.dec.error());
        EXPECT_EQ(d.dec.error()->status, 503);
        EXPECT_EQ(d.dec.error()->code, "UNAVAILABLE");
        EXPECT_EQ(d.dec.error()->cause, FailureCause::ServerError);
                EXPECT_FALSE(d.dec.onData(R"({"candidates":[{"content":{"parts":[{"text":"more"}]}}]})")) << "nothing after";
        EXPECT_EQ(d.rec.events, (std::vector<std::string>{"text:Part of"}));
    }
    {
        Decoding d;  // a status name without a number
        EXPECT_FALSE(d.dec.onData(R"({"error":{"message":"Quota","status":"RESOURCE_EXHAUSTED"}})"));
        EXPECT_EQ(d.dec.error()->status, 429);
        EXPECT_EQ(d.dec.error()->cause, FailureCause::RateLimited);
    }
    {
        Decoding d;
        EXPECT_FALSE(d.dec.onData(R"({"promptFeedback":{"blockReason":"SAFETY"}})"));
        EXPECT_EQ(d.dec.error()->code, "SAFETY");
        EXPECT_EQ(d.dec.error()->status, 0);
    }
    {
        Decoding d;  // withheld with nothing said: a failure; after text: the end of the answer
        EXPECT_FALSE(d.dec.onData(R"({"candidates":[{"finishReason":"RECITATION"}]})"));
        EXPECT_EQ(d.dec.error()->code, "RECITATION");
        Decoding e;
        EXPECT_TRUE(e.dec.onData(R"({"candidates":[{"content":{"parts":[{"text":"Hi"}]},"finishReason":"SAFETY"}]})"));
        EXPECT_FALSE(e.dec.error());
    }
    {
        Decoding d;
        EXPECT_FALSE(d.dec.onData("not json \x01"));
        EXPECT_EQ(d.dec.error()->cause, FailureCause::BadMessage);
        for (unsigned char c : d.dec.error()->message) EXPECT_TRUE(c >= 0x20 && c < 0x7f);
    }
}

TEST(GoogleDecoder, StoppedSuppressesCallbacks) {
    Decoding d;
    d.stopped = true;
    d.dec.onData(R"({"candidates":[{"content":{"parts":[{"text":"x"},{"functionCall":{"name":"f"}}]}}]})");
    EXPECT_TRUE(d.rec.events.empty());
}

TEST(GoogleErrors, HttpBodies) {
    // Gemini's answer to a bad key: 400 INVALID_ARGUMENT, reason API_KEY_INVALID -> 401.
    auto bad = httpError(400, R"({"error":{"code":400,"message":"API key not valid. Please pass a valid API key.",
        "status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo",
        "reason":"API_KEY_INVALID","domain":"googleapis.com"}]}})", "http://h/x");
    EXPECT_EQ(bad.status, 401);
    EXPECT_EQ(bad.cause, FailureCause::Unauthorized);
    EXPECT_EQ(bad.code, "API_KEY_INVALID");

    auto quota = httpError(429, R"({"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).",
        "status":"RESOURCE_EXHAUSTED"}})", "http://h/x");
    EXPECT_EQ(quota.cause, FailureCause::RateLimited);
    EXPECT_EQ(quota.code, "RESOURCE_EXHAUSTED");
    EXPECT_EQ(quota.status, 429);

    auto denied = httpError(403, R"([{"error":{"code":403,"message":"no","status":"PERMISSION_DENIED"}}])", "u");
    EXPECT_EQ(denied.status, 403);
    EXPECT_EQ(denied.cause, FailureCause::Forbidden);
    auto bare = httpError(500, "<html>oops</html>", "u");
    EXPECT_EQ(bare.cause, FailureCause::ServerError);
    EXPECT_EQ(bare.status, 500);
    EXPECT_TRUE(bare.code.empty());
    auto invalid = httpError(400, R"({"error":{"code":400,"message":"Invalid JSON payload","status":"INVALID_ARGUMENT"}})", "u");
    EXPECT_EQ(invalid.status, 400);
    EXPECT_EQ(invalid.cause, FailureCause::BadRequest);
}

// ---- Session against a raw HTTP fake ------------------------------------------------------

// One event, the JSON on one line as Gemini sends it.
std::string sse(std::string_view json) { return "data: " + json::serialize(json::parse(json)) + "\r\n\r\n"; }

struct Harness {
    fakes::LoopbackEgress egress;
    FakeOpenAiServer fake;
    asio::io_context io;
    Context ctx;
    Recorder rec;
    Harness() {
        ctx.executor = io.get_executor();
        ctx.credentials["google"] = {"test-key", fake.origin()};
    }
    std::unique_ptr<LlmSession> open(std::string_view cfg = R"({"provider":"google","model":"gemini-3-flash-preview"})") {
        return makeLlmProvider()->open(json::parse(cfg).as_object(), ctx);
    }
    void run(LlmSession& s, std::string_view messages = R"([{"role":"user","content":"Hi"}])") {
        LlmRequest req;
        req.messages = json::parse(messages).as_array();
        size_t before = rec.events.size();
        auto turn = s.complete(std::move(req), rec.callbacks());
        EXPECT_EQ(rec.events.size(), before) << "callbacks must not fire inside complete()";
        io.run_for(15s);
        io.restart();
    }
};

TEST(GoogleSession, StreamsSplitAnywhereAndKeepsSignaturesForTheNextTurn) {
    Harness h;
    FakeReply r;
    r.pieces = {sse(R"({"candidates":[{"content":{"role":"model","parts":[{"text":"Let me check."}]}}]})") +
                sse(R"({"candidates":[{"content":{"role":"model","parts":[{"functionCall":{"name":"getWeather",
                    "args":{"city":"Paris"}},"thoughtSignature":"SIG=="}]},"finishReason":"STOP"}],
                    "usageMetadata":{"promptTokenCount":20,"candidatesTokenCount":4}})")};
    r.splitEvery(7);
    h.fake.enqueue(r);
    auto s = h.open();
    h.run(*s);
    EXPECT_EQ(h.rec.events, (std::vector<std::string>{"text:Let me check.", "tool:call_1|getWeather|{\"city\":\"Paris\"}",
                                                      "done:20/4/0"}));
    auto reqs = h.fake.requests();
    ASSERT_EQ(reqs.size(), 1u);
    EXPECT_EQ(reqs[0].target, "/v1beta/models/gemini-3-flash-preview:streamGenerateContent?alt=sse");
    EXPECT_EQ(reqs[0].header("x-goog-api-key"), "test-key");
    EXPECT_EQ(reqs[0].target.find("key="), std::string::npos);

    h.rec.events.clear();
    FakeReply second;
    second.pieces = {sse(R"({"candidates":[{"content":{"parts":[{"functionCall":{"name":"again"}}]},"finishReason":"STOP"}]})")};
    h.fake.enqueue(second);
    h.run(*s, R"([{"role":"user","content":"Hi"},
        {"role":"assistant","content":"Let me check.","tool_calls":[{"id":"call_1","type":"function",
         "function":{"name":"getWeather","arguments":"{\"city\":\"Paris\"}"}}]},
        {"role":"tool","tool_call_id":"call_1","content":"sunny"}])");
    EXPECT_EQ(h.rec.events, (std::vector<std::string>{"tool:call_2|again|{}", "done:0/0/0"})) << "ids go on counting";
    auto body = h.fake.requests().at(1).json().as_object();
    auto& model = body.at("contents").at(1).at("parts").as_array();
    EXPECT_EQ(model.at(1).at("thoughtSignature"), "SIG==");
}

TEST(GoogleSession, HttpErrorsAndBareErrorsInTheStream) {
    Harness h;
    FakeReply key;
    key.status = 400;
    key.contentType = "application/json";
    key.pieces = {R"({"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT",
                   "details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID"}]}})"};
    h.fake.enqueue(key);
    FakeReply bare;  // an error written into the stream without SSE framing
    bare.pieces = {sse(R"({"candidates":[{"content":{"parts":[{"text":"Hi"}]}}]})"),
                   R"({"error":{"code":500,"message":"Internal error encountered.","status":"INTERNAL"}})"};
    h.fake.enqueue(bare);
    FakeReply plain;  // a server that ignored alt=sse: the JSON array of responses
    plain.contentType = "application/json";
    plain.pieces = {R"([{"candidates":[{"content":{"parts":[{"text":"Array"}]},"finishReason":"STOP"}]}])"};
    h.fake.enqueue(plain);
    auto s = h.open();
    h.run(*s);
    h.run(*s);
    h.run(*s);
    EXPECT_EQ(h.rec.events, (std::vector<std::string>{"error:401:API_KEY_INVALID", "text:Hi", "error:500:INTERNAL",
                                                      "text:Array", "done:0/0/0"}));
}

TEST(GoogleSession, AStallEndsAtTheTimeout) {
    Harness h;
    FakeReply hang;
    hang.hang = true;
    h.fake.enqueue(hang);
    auto s = h.open(R"({"provider":"google","model":"gemini-2.0-flash","timeoutSeconds":0.5})");
    auto t0 = std::chrono::steady_clock::now();
    h.run(*s);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
    ASSERT_EQ(h.rec.errors.size(), 1u);
    EXPECT_EQ(h.rec.errors[0].cause, FailureCause::Timeout);
    EXPECT_EQ(h.rec.errors[0].status, 0);
}

}  // namespace
}  // namespace voxa::providers::google
