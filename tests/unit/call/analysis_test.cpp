#include "call/analysis.h"

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "fakes/fake_openai.h"
#include "fakes/loopback_egress.h"

namespace voxa::call {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using fakes::FakeOpenAiServer;
using fakes::FakeReply;
using fakes::RecordedRequest;
using namespace std::chrono_literals;

const char* kSystemPrompt = "You are the booking assistant of Acme Dental.";

/// Vapi's artifact.messages for a conversation given as {role, text} ("bot" / "user").
json::array messagesOf(const std::vector<std::pair<std::string, std::string>>& turns) {
    json::array out;
    out.push_back(json::object{
        {"role", "system"}, {"message", kSystemPrompt}, {"time", 0}, {"secondsFromStart", 0}});
    double t = 0;
    for (auto& [role, text] : turns) {
        out.push_back(json::object{{"role", role},
                                   {"message", text},
                                   {"time", 1000 + int64_t(t * 1000)},
                                   {"secondsFromStart", t}});
        t += 2.5;
    }
    return out;
}

std::string transcriptOf(const json::array& messages) {
    std::string t;
    for (auto& m : messages) {
        auto& o = m.as_object();
        if (o.at("role") == "bot") t += "AI: " + std::string(o.at("message").as_string()) + "\n";
        if (o.at("role") == "user") t += "User: " + std::string(o.at("message").as_string()) + "\n";
    }
    return t;
}

const std::vector<std::pair<std::string, std::string>> kBooking = {
    {"bot", "Hello! Thanks for calling Acme Dental. How can I help?"},
    {"user", "Hi, I need to cancel my appointment on Friday."},
    {"bot", "Okay, your appointment on Friday is cancelled."},
    {"user", "Great, thank you so much. Bye!"},
    {"bot", "Goodbye! Have a great day."},
};

AnalysisInput inputFor(json::object assistant,
                       const std::vector<std::pair<std::string, std::string>>& turns = kBooking,
                       std::string endedReason = "customer-ended-call") {
    AnalysisInput in;
    in.assistant = std::move(assistant);
    in.messages = messagesOf(turns);
    in.transcript = transcriptOf(in.messages);
    in.endedReason = std::move(endedReason);
    return in;
}

/// An assistant on the OpenAI-compatible provider pointed at the fake.
json::object llmAssistant(const FakeOpenAiServer& fake, std::string_view analysisPlan = "{}") {
    json::object a;
    a["model"] = json::object{
        {"provider", "custom-llm"},
        {"model", "gpt-4o-mini"},
        {"url", fake.baseUrl()},
        {"messages", json::array{json::object{{"role", "system"}, {"content", kSystemPrompt}}}}};
    a["analysisPlan"] = json::parse(analysisPlan);
    return a;
}

struct Outcome {
    bool done = false;
    json::object analysis;
    std::chrono::milliseconds elapsed{};
};

/// Runs analyzeCall on a fresh event loop, as a call's finish() would.
Outcome analyze(AnalysisInput in, asio::thread_pool* compute = nullptr,
                std::chrono::seconds limit = 20s) {
    fakes::LoopbackEgress egress;  // the fake model server listens on loopback
    asio::io_context io;
    providers::Context ctx;
    ctx.executor = io.get_executor();
    ctx.compute = compute;
    ctx.callId = "call-test";
    Outcome out;
    auto start = std::chrono::steady_clock::now();
    asio::co_spawn(io, analyzeCall(std::move(in), ctx), [&](std::exception_ptr e, json::object r) {
        EXPECT_FALSE(e) << "analyzeCall must not throw";
        out.done = true;
        out.analysis = std::move(r);
        out.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::steady_clock::now() - start);
    });
    io.run_for(limit);
    EXPECT_TRUE(out.done) << "analyzeCall did not finish";
    return out;
}

/// The concatenated message contents of a recorded chat request.
std::string promptOf(const RecordedRequest& r) {
    std::string s;
    json::value body = r.json();
    for (auto& m : body.at("messages").as_array())
        s += std::string(m.at("content").as_string()) + "\n---\n";
    return s;
}

bool isSummaryRequest(const RecordedRequest& r) {
    return r.body.find("expert note-taker") != std::string::npos;
}
bool isStructuredRequest(const RecordedRequest& r) {
    return r.body.find("expert data extractor") != std::string::npos;
}
bool isEvaluationRequest(const RecordedRequest& r) {
    return r.body.find("expert call evaluator") != std::string::npos;
}
bool isInsightsRequest(const RecordedRequest& r) {
    return r.body.find("expert call analyst") != std::string::npos;
}

const RecordedRequest* find(const std::vector<RecordedRequest>& reqs,
                            bool (*pred)(const RecordedRequest&)) {
    for (auto& r : reqs)
        if (pred(r)) return &r;
    return nullptr;
}

// ---- With a model (the real OpenAI client against the fake server) ----------------------

TEST(AnalysisLlm, DefaultPlansSendTranscriptAndParseReplies) {
    FakeOpenAiServer fake;
    fake.setHandler([](const RecordedRequest& r) {
        if (isSummaryRequest(r))  // streamed in pieces: the reply is accumulated
            return FakeOpenAiServer::textStream(
                {"```json\n{\"summary\": \"The caller cancelled", " a Friday appointment.\", ",
                 "\"sentiment\": \"Positive\", \"intent\": \"cancel appointment\"}\n```"});
        if (isEvaluationRequest(r)) return FakeOpenAiServer::textStream({"tr", "ue"});
        return FakeOpenAiServer::errorReply(400, "unexpected request");
    });
    auto in = inputFor(llmAssistant(fake));
    std::string transcript = in.transcript;
    auto out = analyze(std::move(in));

    auto reqs = fake.requests();
    ASSERT_EQ(reqs.size(), 2u) << "summary (with sentiment/intent) + success evaluation";
    auto* summary = find(reqs, isSummaryRequest);
    auto* eval = find(reqs, isEvaluationRequest);
    ASSERT_TRUE(summary && eval);
    EXPECT_EQ(summary->target, "/v1/chat/completions");
    EXPECT_EQ(summary->json().at("model"), "gpt-4o-mini");
    EXPECT_NE(promptOf(*summary).find(transcript), std::string::npos);
    EXPECT_NE(promptOf(*summary).find("customer-ended-call"), std::string::npos);
    EXPECT_NE(promptOf(*eval).find(transcript), std::string::npos);
    EXPECT_NE(promptOf(*eval).find(kSystemPrompt), std::string::npos) << "{{systemPrompt}}";
    EXPECT_NE(promptOf(*eval).find("PassFail"), std::string::npos) << "{{rubric}}";
    EXPECT_EQ(promptOf(*eval).find("{{"), std::string::npos);

    json::object want{{"summary", "The caller cancelled a Friday appointment."},
                      {"sentiment", "positive"},
                      {"intent", "cancel appointment"},
                      {"successEvaluation", "true"}};
    EXPECT_EQ(out.analysis, want) << json::serialize(out.analysis);
}

TEST(AnalysisLlm, StructuredDataFollowsTheSchema) {
    FakeOpenAiServer fake;
    fake.setHandler([](const RecordedRequest& r) {
        auto body = r.body;
        if (body.find("\\\"day\\\"") != std::string::npos)  // the main plan's schema
            return FakeOpenAiServer::textStream(
                {"Here you go:\n```json\n{\"day\": \"friday\", \"cancelled\": true}\n```"});
        if (body.find("\\\"score\\\"") != std::string::npos)
            return FakeOpenAiServer::textStream({"{\"score\": 9}"});
        if (body.find("Tag this call") != std::string::npos)
            return FakeOpenAiServer::textStream({"[\"dental\", \"cancellation\"]"});
        if (body.find("Write a note") != std::string::npos)  // a JSON string, unquoted
            return FakeOpenAiServer::textStream({"\"Prefers ", "mornings.\""});
        return FakeOpenAiServer::errorReply(400, "unexpected request");
    });
    auto plan = R"({
        "summaryPlan": {"enabled": false},
        "successEvaluationPlan": {"enabled": false},
        "structuredDataPlan": {"enabled": true, "schema": {"type": "object", "properties": {
            "day": {"type": "string"}, "cancelled": {"type": "boolean"}}}},
        "structuredDataMultiPlan": [
            {"key": "quality", "plan": {"schema": {"type": "object", "properties": {"score": {"type": "number"}}}}},
            {"key": "labels", "plan": {"schema": {"type": "array", "items": {"type": "string"}},
                                         "messages": [{"role": "user", "content": "Tag this call ({{schema}}): {{transcript}}"}]}},
            {"key": "note", "plan": {"schema": {"type": "string"},
                                       "messages": [{"role": "user", "content": "Write a note: {{transcript}}"}]}},
            {"key": "off", "plan": {"enabled": false, "schema": {"type": "object"}}}]})";
    auto in = inputFor(llmAssistant(fake, plan));
    std::string transcript = in.transcript;
    auto out = analyze(std::move(in));

    auto reqs = fake.requests();
    ASSERT_EQ(reqs.size(), 4u) << "one request per enabled structured plan, nothing else";
    std::string mainPrompt, labelsPrompt;
    for (auto& r : reqs) {
        auto p = promptOf(r);
        if (p.find(R"("day")") != std::string::npos) mainPrompt = p;
        if (p.find("Tag this call") != std::string::npos) labelsPrompt = p;
    }
    ASSERT_FALSE(mainPrompt.empty());
    EXPECT_NE(mainPrompt.find("expert data extractor"), std::string::npos);
    EXPECT_NE(
        mainPrompt.find(
            R"({"type":"object","properties":{"day":{"type":"string"},"cancelled":{"type":"boolean"}}})"),
        std::string::npos)
        << "{{schema}} is the JSON schema: " << mainPrompt;
    EXPECT_NE(mainPrompt.find(transcript), std::string::npos);
    EXPECT_EQ(labelsPrompt,
              "Tag this call ({\"type\":\"array\",\"items\":{\"type\":\"string\"}}): " +
                  transcript + "\n---\n");

    EXPECT_EQ(out.analysis.at("structuredData"),
              json::parse(R"({"day": "friday", "cancelled": true})"));
    EXPECT_EQ(out.analysis.at("structuredDataMulti"),
              json::parse(R"([{"quality": {"score": 9}}, {"labels": ["dental", "cancellation"]},
                              {"note": "Prefers mornings."}])"));
    EXPECT_FALSE(out.analysis.contains("summary"));
    EXPECT_FALSE(out.analysis.contains("successEvaluation"));
}

TEST(AnalysisLlm, InvalidJsonOrWrongTypeOmitsStructuredData) {
    FakeOpenAiServer fake;
    fake.setHandler([](const RecordedRequest& r) {
        if (isEvaluationRequest(r)) return FakeOpenAiServer::textStream({"false"});
        if (r.body.find("\\\"wrongType\\\"") != std::string::npos)
            return FakeOpenAiServer::textStream({"[1, 2, 3]"});  // valid JSON, not an object
        return FakeOpenAiServer::textStream({"Sorry, I could not find {any data in this call."});
    });
    auto plan = R"({
        "summaryPlan": {"enabled": false},
        "structuredDataPlan": {"enabled": true, "schema": {"type": "object", "properties": {"day": {"type": "string"}}}},
        "structuredDataMultiPlan": [
            {"key": "k", "plan": {"schema": {"type": "object", "properties": {"wrongType": {"type": "string"}}}}}]})";
    auto out = analyze(inputFor(llmAssistant(fake, plan)));
    EXPECT_EQ(fake.requests().size(), 3u);
    EXPECT_FALSE(out.analysis.contains("structuredData")) << json::serialize(out.analysis);
    EXPECT_FALSE(out.analysis.contains("structuredDataMulti")) << json::serialize(out.analysis);
    EXPECT_EQ(out.analysis.at("successEvaluation"), "false") << "the other fields are unaffected";
}

TEST(AnalysisLlm, SlowReplyPastTimeoutSecondsIsOmittedWithoutWaitingForIt) {
    FakeOpenAiServer fake;
    fake.setHandler([](const RecordedRequest& r) {
        if (isSummaryRequest(r)) {
            auto slow = FakeOpenAiServer::textStream({"{\"summary\": \"too late\"}"});
            slow.headerDelay = 6s;
            return slow;
        }
        return FakeOpenAiServer::textStream({"true"});
    });
    auto out = analyze(inputFor(llmAssistant(fake, R"({"summaryPlan": {"timeoutSeconds": 1}})")));
    EXPECT_EQ(fake.requests().size(), 2u);
    EXPECT_FALSE(out.analysis.contains("summary"));
    EXPECT_FALSE(out.analysis.contains("sentiment"));
    EXPECT_EQ(out.analysis.at("successEvaluation"), "true");
    EXPECT_GE(out.elapsed, 900ms);
    EXPECT_LT(out.elapsed, 2500ms) << "waited for the slow reply";
}

TEST(AnalysisLlm, ModelErrorOmitsOnlyThatField) {
    FakeOpenAiServer fake;
    fake.setHandler([](const RecordedRequest& r) {
        if (isSummaryRequest(r))
            return FakeOpenAiServer::errorReply(500, "model overloaded", "server_error",
                                                "overloaded");
        return FakeOpenAiServer::textStream({"true"});
    });
    auto out = analyze(inputFor(llmAssistant(fake)));
    json::object want{{"successEvaluation", "true"}};
    EXPECT_EQ(out.analysis, want) << json::serialize(out.analysis);
}

TEST(AnalysisLlm, FewerMessagesThanMinMessagesThresholdSkipsAnalysis) {
    FakeOpenAiServer fake;
    fake.setHandler([](const RecordedRequest&) { return FakeOpenAiServer::textStream({"true"}); });
    // Default threshold 2: one caller message (the system message does not count).
    auto one = analyze(inputFor(llmAssistant(fake), {{"user", "Hello?"}}, "silence-timed-out"));
    EXPECT_TRUE(one.analysis.empty()) << json::serialize(one.analysis);
    // An explicit threshold above the 5 user/bot messages of kBooking.
    auto five = analyze(inputFor(llmAssistant(fake, R"({"minMessagesThreshold": 6})")));
    EXPECT_TRUE(five.analysis.empty()) << json::serialize(five.analysis);
    EXPECT_TRUE(fake.requests().empty());
    // Threshold 0 analyses even an empty call.
    auto none = analyze(inputFor(
        llmAssistant(fake, R"({"minMessagesThreshold": 0, "summaryPlan": {"enabled": false}})"),
        {}));
    EXPECT_EQ(none.analysis.at("successEvaluation"), "true");
}

TEST(AnalysisLlm, DisabledPlansSendNoRequest) {
    FakeOpenAiServer fake;
    fake.setHandler([](const RecordedRequest&) { return FakeOpenAiServer::textStream({"true"}); });
    auto nothing = analyze(inputFor(llmAssistant(fake, R"({"summaryPlan": {"enabled": false},
        "successEvaluationPlan": {"enabled": false}, "structuredDataPlan": {"schema": {"type": "object"}}})")));
    EXPECT_TRUE(nothing.analysis.empty()) << "structuredDataPlan is off unless enabled";
    EXPECT_TRUE(fake.requests().empty());

    auto evalOnly = analyze(inputFor(llmAssistant(fake, R"({"summaryPlan": {"enabled": false}})")));
    auto reqs = fake.requests();
    ASSERT_EQ(reqs.size(), 1u);
    EXPECT_TRUE(isEvaluationRequest(reqs[0]));
    json::object want{{"successEvaluation", "true"}};
    EXPECT_EQ(evalOnly.analysis, want);
}

TEST(AnalysisLlm, CustomSummaryMessagesAreRenderedAndInsightsAskedSeparately) {
    FakeOpenAiServer fake;
    fake.setHandler([](const RecordedRequest& r) {
        if (isInsightsRequest(r))
            return FakeOpenAiServer::textStream(
                {"{\"sentiment\": \"negative\", \"intent\": \"cancellation.\"}"});
        if (isEvaluationRequest(r)) return FakeOpenAiServer::errorReply(400, "unexpected");
        return FakeOpenAiServer::textStream({"  A caller cancelled.  "});
    });
    auto plan = R"({"successEvaluationPlan": {"enabled": false}, "summaryPlan": {"messages": [
        {"role": "system", "content": "Prompt: {{systemPrompt}} | {{ endedReason }} | {{unknown}}|"},
        {"role": "user", "content": "{{transcript}}"}]}})";
    auto in = inputFor(llmAssistant(fake, plan));
    std::string transcript = in.transcript;
    auto out = analyze(std::move(in));

    auto reqs = fake.requests();
    ASSERT_EQ(reqs.size(), 2u);
    const RecordedRequest* custom = nullptr;
    for (auto& r : reqs)
        if (!isInsightsRequest(r)) custom = &r;
    ASSERT_TRUE(custom);
    auto msgs = custom->json().at("messages");
    EXPECT_EQ(msgs.at(0).at("content").as_string(),
              std::string("Prompt: ") + kSystemPrompt + " | customer-ended-call | |");
    EXPECT_EQ(msgs.at(1).at("content").as_string(), transcript);
    json::object want{
        {"summary", "A caller cancelled."}, {"sentiment", "negative"}, {"intent", "cancellation"}};
    EXPECT_EQ(out.analysis, want) << json::serialize(out.analysis);
}

TEST(AnalysisLlm, EvaluationRepliesAreNormalizedToTheirRubric) {
    struct Case {
        const char* rubric;
        const char* reply;
        const char* want;
    };
    std::vector<Case> cases = {
        {"PassFail", "False.", "false"},
        {"PassFail", "The call passed.", "true"},
        {"NumericScale", "Score: 8/10", "8"},
        {"PercentageScale", "85", "85%"},
        {"DescriptiveScale", "good.", "Good"},
        {"LikertScale", "I strongly agree", "Strongly Agree"},
        {"Checklist", "[x] Cancelled the appointment\n[ ] Offered a new date",
         "[x] Cancelled the appointment\n[ ] Offered a new date"},
        {"NumericScale", "excellent", "excellent"},  // does not fit the scale: kept as written
    };
    for (auto& c : cases) {
        FakeOpenAiServer fake;
        std::string reply = c.reply;
        fake.setHandler(
            [reply](const RecordedRequest&) { return FakeOpenAiServer::textStream({reply}); });
        std::string plan =
            std::string(
                R"({"summaryPlan": {"enabled": false}, "successEvaluationPlan": {"rubric": ")") +
            c.rubric + "\"}}";
        auto out = analyze(inputFor(llmAssistant(fake, plan)));
        ASSERT_EQ(fake.requests().size(), 1u);
        EXPECT_NE(promptOf(fake.requests()[0]).find(std::string(c.rubric) + ":"),
                  std::string::npos);
        EXPECT_EQ(out.analysis.at("successEvaluation"), c.want) << c.rubric << " / " << c.reply;
    }
}

TEST(AnalysisLlm, UnknownProviderGivesNoAnalysis) {
    json::object a{{"model", json::object{{"provider", "no-such-llm"}, {"model", "x"}}}};
    auto out = analyze(inputFor(a));
    EXPECT_TRUE(out.analysis.empty());
}

// ---- Provider "local": the heuristic analyzer --------------------------------------------

TEST(AnalysisLocal, SummarizesAndClassifiesASmallConversation) {
    auto in = inputFor(json::object{});  // no model: the embedded scripted model, "local"
    auto out = analyzeLocally(in);
    json::object want{{"summary",
                       "The caller said: \"Hi, I need to cancel my appointment on Friday.\" The "
                       "assistant replied: "
                       "\"Okay, your appointment on Friday is cancelled.\" The call ended with "
                       "customer-ended-call "
                       "after 2 caller turns and 3 assistant turns."},
                      {"sentiment", "positive"},
                      {"intent", "cancellation"},
                      {"successEvaluation", "true"}};
    EXPECT_EQ(out, want) << json::serialize(out);

    // analyzeCall takes the same path, with no network: on the event loop, or on the
    // compute pool when the call has one.
    auto viaCall = analyze(inputFor(json::object{{"model", json::object{{"provider", "local"}}}}));
    EXPECT_EQ(viaCall.analysis, want);
    asio::thread_pool compute(1);
    auto viaPool = analyze(inputFor(json::object{}), &compute);
    EXPECT_EQ(viaPool.analysis, want);
}

TEST(AnalysisLocal, PicksTheMostInformativeCallerSentences) {
    std::vector<std::pair<std::string, std::string>> turns = {
        {"bot", "Hi, this is Acme support."},
        {"user",
         "Hello. My internet has been broken since Monday and the router keeps blinking red."},
        {"bot", "I'm sorry to hear that. Let me reset your line remotely."},
        {"user", "Okay. Also the last bill charged me twice for the same month."},
        {"bot", "I see a duplicate charge and will refund it within five days."},
    };
    auto out = analyzeLocally(inputFor(json::object{}, turns, "assistant-ended-call"));
    EXPECT_EQ(
        out.at("summary"),
        "The caller said: \"My internet has been broken since Monday and the router keeps blinking "
        "red.\" "
        "and \"Also the last bill charged me twice for the same month.\" The assistant replied: "
        "\"Let me reset your line remotely.\" The call ended with assistant-ended-call after 2 "
        "caller "
        "turns and 3 assistant turns.");
    EXPECT_EQ(out.at("sentiment"), "negative");       // "broken"
    EXPECT_EQ(out.at("intent"), "billing question");  // bill + charged outweigh broken
    EXPECT_EQ(out.at("successEvaluation"), "true");
}

TEST(AnalysisLocal, SentimentHandlesNegation) {
    auto sentiment = [](const std::string& said) {
        auto out = analyzeLocally(inputFor(
            json::object{}, {{"bot", "How was your stay?"}, {"user", said}, {"bot", "Noted."}}));
        return std::string(out.at("sentiment").as_string());
    };
    EXPECT_EQ(sentiment("It was great, the staff were lovely."), "positive");
    EXPECT_EQ(sentiment("I am not happy at all, the room was awful."), "negative");
    EXPECT_EQ(sentiment("No problem, it was fine."), "positive");
    EXPECT_EQ(sentiment("I stayed three nights in room twelve."), "neutral");
}

TEST(AnalysisLocal, FailsUnansweredOrBrokenCallsOnEveryRubric) {
    std::vector<std::pair<std::string, std::string>> turns = {
        {"bot", "Hello!"},
        {"user", "My package never arrived and the tracking page is useless."},
        {"bot", "Sorry, I didn't catch that. Could you say it again?"},
    };
    auto eval = [&](const char* rubric, const std::string& reason) {
        json::object a{{"analysisPlan",
                        json::object{{"successEvaluationPlan", json::object{{"rubric", rubric}}}}}};
        return std::string(
            analyzeLocally(inputFor(a, turns, reason)).at("successEvaluation").as_string());
    };
    std::string error = "pipeline-error-openai-llm-failed";
    EXPECT_EQ(eval("PassFail", error), "false");
    EXPECT_EQ(eval("NumericScale", error), "1");
    EXPECT_EQ(eval("PercentageScale", error), "0%");
    EXPECT_EQ(eval("DescriptiveScale", error), "Poor");
    EXPECT_EQ(eval("LikertScale", error), "Strongly Disagree");
    EXPECT_EQ(eval("Checklist", error),
              "[ ] The assistant answered every caller request (0/1)\n"
              "[ ] The call ended normally (pipeline-error-openai-llm-failed)\n"
              "[ ] The caller was not dissatisfied (negative)");
    EXPECT_EQ(eval("AutomaticRubric", error),
              "Responsiveness: 0/10\nCall completion: 0/10\nCaller sentiment: 0/10\nOverall: 0/10");
    // A normal ending does not make up for the unanswered request.
    EXPECT_EQ(eval("PassFail", "customer-ended-call"), "false");
    EXPECT_EQ(eval("NumericScale", "customer-ended-call"), "4");  // 1 + 9 * 0.3

    auto intent = analyzeLocally(inputFor(json::object{}, turns)).at("intent");
    EXPECT_EQ(intent, "order status");
}

TEST(AnalysisLocal, GoodCallScoresHighOnEveryRubric) {
    auto eval = [](const char* rubric) {
        json::object a{{"analysisPlan",
                        json::object{{"successEvaluationPlan", json::object{{"rubric", rubric}}}}}};
        return std::string(analyzeLocally(inputFor(a)).at("successEvaluation").as_string());
    };
    EXPECT_EQ(eval("NumericScale"), "10");
    EXPECT_EQ(eval("PercentageScale"), "100%");
    EXPECT_EQ(eval("DescriptiveScale"), "Excellent");
    EXPECT_EQ(eval("LikertScale"), "Strongly Agree");
    EXPECT_EQ(eval("Matrix"),
              "Responsiveness: Excellent\nCall completion: Excellent\nCaller sentiment: Excellent");
    EXPECT_EQ(eval("NoSuchRubric"), "true") << "unknown rubric -> PassFail";
}

TEST(AnalysisLocal, StructuredDataFromTheCallersWords) {
    std::vector<std::pair<std::string, std::string>> turns = {
        {"bot", "Hello! How can I help?"},
        {"user", "Hi, my name is ada lovelace and I'd like to book a cleaning for friday."},
        {"bot", "Sure. How many people are in your party?"},
        {"user", "Four people."},
        {"bot", "Would you like a reminder by text?"},
        {"user", "Yes please. My email is ada at example dot com."},
        {"bot", "Anything else?"},
        {"user", "My order number is AB-1234. Thanks, bye!"},
        {"bot", "Goodbye!"},
    };
    json::object a{{"analysisPlan", json::parse(R"({
        "structuredDataPlan": {"enabled": true, "schema": {"type": "object", "properties": {
            "name": {"type": "string"},
            "email": {"type": "string"},
            "appointmentDay": {"type": "string", "enum": ["monday", "tuesday", "wednesday", "thursday", "friday"]},
            "partySize": {"type": "integer", "minimum": 1, "maximum": 20},
            "wantsReminder": {"type": "boolean"},
            "orderNumber": {"type": "string"},
            "service": {"type": "string", "enum": ["cleaning", "whitening", "checkup"]},
            "budget": {"type": "number"},
            "contact": {"type": "object", "properties": {"phone": {"type": "string"}}}}}},
        "structuredDataMultiPlan": [
            {"key": "services", "plan": {"schema": {"type": "array", "items": {"type": "string", "enum": ["cleaning", "whitening"]}}}},
            {"key": "headline", "plan": {"schema": {"type": "string"}}}]})")}};
    auto out = analyzeLocally(inputFor(a, turns));
    EXPECT_EQ(out.at("structuredData"), json::parse(R"({
        "name": "Ada Lovelace", "email": "ada@example.com", "appointmentDay": "friday", "partySize": 4,
        "wantsReminder": true, "orderNumber": "AB-1234", "service": "cleaning"})"))
        << json::serialize(out.at("structuredData"));
    auto& multi = out.at("structuredDataMulti").as_array();
    ASSERT_EQ(multi.size(), 2u);
    EXPECT_EQ(multi[0], json::parse(R"({"services": ["cleaning"]})"));
    EXPECT_EQ(multi[1].at("headline"), out.at("summary")) << "a string schema gets the summary";
    EXPECT_EQ(out.at("intent"), "appointment booking");
}

TEST(AnalysisLocal, StructuredDataReadsNegationsNumbersAndCorrections) {
    std::vector<std::pair<std::string, std::string>> turns = {
        {"bot", "What can I do for you?"},
        {"user", "I don't need a reminder. My phone number is 555-123-4567."},
        {"bot", "How many nights?"},
        {"user", "Twenty five nights, at 7:30 pm on March 3rd."},
        {"bot", "And your budget?"},
        {"user", "Budget is 120.50 dollars. Actually my phone number is 555 987 6543."},
        {"bot", "Got it."},
    };
    json::object a{{"analysisPlan", json::parse(R"({
        "structuredDataPlan": {"enabled": true, "schema": {"type": "object", "properties": {
            "wantsReminder": {"type": "boolean"},
            "phoneNumber": {"type": "string"},
            "nights": {"type": "integer", "maximum": 30},
            "arrivalTime": {"type": "string"},
            "arrivalDate": {"type": "string", "format": "date"},
            "budget": {"type": "number"},
            "rooms": {"type": "integer", "minimum": 1}}}}})")}};
    auto out = analyzeLocally(inputFor(a, turns));
    EXPECT_EQ(out.at("structuredData"), json::parse(R"({
        "wantsReminder": false, "phoneNumber": "5559876543", "nights": 25, "arrivalTime": "7:30 pm",
        "arrivalDate": "March 3rd", "budget": 120.5})"))
        << json::serialize(out.at("structuredData"));
}

TEST(AnalysisLocal, ThresholdAndEnabledFlagsApply) {
    EXPECT_TRUE(analyzeLocally(inputFor(json::object{}, {{"bot", "Hello!"}})).empty());
    json::object a{{"analysisPlan",
                    json::parse(R"({"minMessagesThreshold": 1, "summaryPlan": {"enabled": false},
        "structuredDataPlan": {"enabled": true}})")}};  // no schema: nothing to extract
    auto out = analyzeLocally(inputFor(a, {{"bot", "Hello!"}}, "silence-timed-out"));
    json::object want{{"successEvaluation", "false"}};  // the caller never spoke
    EXPECT_EQ(out, want) << json::serialize(out);
    json::object off{{"analysisPlan", json::parse(R"({"summaryPlan": {"enabled": false},
        "successEvaluationPlan": {"enabled": false}})")}};
    EXPECT_TRUE(analyzeLocally(inputFor(off)).empty());
}

}  // namespace
}  // namespace voxa::call
