// End of turn (pipeline/endpointing.h): the decision on the words so far, Vapi's plans mapped
// onto it, and the speculative model request that is held until the turn ends.
#include <gtest/gtest.h>

#include <chrono>

#include "pipeline/completion.h"
#include "pipeline/endpointing.h"
#include "unit/pipeline/harness.h"

namespace voxa::pipeline::test {
namespace {

using K = FrameKind;
using By = EndpointDecision::By;

Settings settingsWith(json::object startSpeakingPlan, const char* transcriber = "local") {
    json::object a = baseAssistant();
    a["transcriber"] = json::object{{"provider", transcriber}};
    a["startSpeakingPlan"] = std::move(startSpeakingPlan);
    return settingsFrom(a);
}

// ---- Decisions on the words ------------------------------------------------------------

TEST(EndpointDecision, UnfinishedWordsWaitLongerThanFinishedOnes) {
    ASSERT_TRUE(awaitCompletionModel(std::chrono::seconds(60)));
    Settings s = settingsWith({});  // defaults, embedded transcriber (no punctuation)
    ASSERT_FALSE(s.transcriberPunctuates);
    for (const char* open : {"i would like to book an appointment for", "i went there and",
                             "my number is five five"}) {
        auto d = decideEndpoint(s, open, "");
        EXPECT_EQ(d.by, By::Smart) << open;
        EXPECT_TRUE(d.fromVoice);
        EXPECT_GT(d.seconds, 0.8) << open;  // more than a 0.8 s mid-sentence pause
    }
    for (const char* done : {"book it for tuesday", "yes please", "that is all thanks"}) {
        auto d = decideEndpoint(s, done, "");
        EXPECT_EQ(d.by, By::Smart) << done;
        EXPECT_LT(d.seconds, 0.4) << done;  // inside waitSeconds: waitSeconds decides
    }
}

TEST(EndpointDecision, PunctuationFromTheTranscriberCounts) {
    ASSERT_TRUE(awaitCompletionModel(std::chrono::seconds(60)));
    Settings s = settingsWith({}, "deepgram");
    ASSERT_TRUE(s.transcriberPunctuates);
    double stop = decideEndpoint(s, "Book it for Tuesday.", "").seconds;
    double none = decideEndpoint(s, "Book it for Tuesday", "").seconds;
    double number = decideEndpoint(s, "Table for 4.", "").seconds;
    EXPECT_LT(stop, none);
    EXPECT_LT(stop, 0.25);
    EXPECT_GT(none, 0.8);     // unpunctuated: the transcriber was not sure
    EXPECT_GT(number, 0.6);   // a number, even with a full stop, may go on
    // Smart endpointing is on by default for a punctuating transcriber too, unless the
    // assistant sets a transcriptionEndpointingPlan (then that plan, as Vapi does).
    Settings plan = settingsWith({{"transcriptionEndpointingPlan", json::object{{"onPunctuationSeconds", 0.3}}}},
                                 "deepgram");
    auto d = decideEndpoint(plan, "Book it for Tuesday.", "");
    EXPECT_EQ(d.by, By::Transcription);
    EXPECT_FALSE(d.fromVoice);
    EXPECT_DOUBLE_EQ(d.seconds, 0.3);
    EXPECT_DOUBLE_EQ(decideEndpoint(plan, "book a table", "").seconds, 1.5);
    // The deprecated switch turns it off; the plan then applies with its defaults.
    Settings off = settingsWith({{"smartEndpointingEnabled", false}}, "deepgram");
    EXPECT_EQ(decideEndpoint(off, "Hello.", "").by, By::Transcription);
    EXPECT_DOUBLE_EQ(decideEndpoint(off, "at 730", "").seconds, 0.4);
}

TEST(EndpointDecision, LivekitWaitFunctionIsUsed) {
    Settings s = settingsWith({{"smartEndpointingPlan", json::object{{"provider", "livekit"}, {"waitFunction", "70 + 4000 * x"}}}});
    auto model = awaitCompletionModel(std::chrono::seconds(60));
    ASSERT_TRUE(model);
    for (const char* words : {"i would like to book an appointment for", "book it for tuesday"}) {
        auto d = decideEndpoint(s, words, "");
        EXPECT_EQ(d.by, By::Smart);
        EXPECT_NEAR(d.seconds, (70 + 4000 * model->probIncomplete(words)) / 1000, 1e-9) << words;
    }
    // smartEndpointingEnabled "livekit" (deprecated) and provider vapi: the default curve.
    Settings lk = settingsWith({{"smartEndpointingEnabled", "livekit"}});
    Settings vp = settingsWith({{"smartEndpointingPlan", json::object{{"provider", "vapi"}}}});
    double x = model->probIncomplete("book it for tuesday");
    EXPECT_NEAR(decideEndpoint(lk, "book it for tuesday", "").seconds, WaitFunction::vapiDefault().ms(x) / 1000, 1e-9);
    // provider vapi (and no plan): Voxa's own, steeper curve (endpointing.h).
    EXPECT_NEAR(decideEndpoint(vp, "book it for tuesday", "").seconds, voxaWaitFunction().ms(x) / 1000, 1e-9);
    // custom-endpointing-model: Voxa's own model, with a warning.
    std::vector<std::string> warnings;
    json::object sp{{"smartEndpointingPlan", json::object{{"provider", "custom-endpointing-model"}}}};
    auto plan = endpointingPlanFrom(&sp, false, &warnings);
    EXPECT_EQ(plan->smart, EndpointingPlan::Smart::Vapi);
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_NE(warnings[0].find("custom-endpointing-model"), std::string::npos);
}

TEST(EndpointDecision, CustomRulesComeFirstInOrder) {
    ASSERT_TRUE(awaitCompletionModel(std::chrono::seconds(60)));
    json::array rules{
        json::object{{"type", "assistant"}, {"regex", "phone number"},
                     {"regexOptions", json::array{json::object{{"type", "ignore-case"}, {"enabled", true}}}},
                     {"timeoutSeconds", 3}},
        json::object{{"type", "customer"}, {"regex", "\\btuesday$"}, {"timeoutSeconds", 1.25}},
        json::object{{"type", "customer"}, {"regex", "tuesday"}, {"timeoutSeconds", 9}},  // later: never
        json::object{{"type", "both"}, {"assistantRegex", "^Are you"}, {"customerRegex", "^(yes|no)$"},
                     {"timeoutSeconds", 0.05}},
    };
    Settings s = settingsWith({{"customEndpointingRules", rules}});
    ASSERT_EQ(s.endpointing->rules.size(), 4u);
    // The customer's words match rule 2 (rule 3 matches too, but comes later).
    auto d = decideEndpoint(s, "book it for tuesday", "When would you like to come?");
    EXPECT_EQ(d.by, By::Rule);
    EXPECT_DOUBLE_EQ(d.seconds, 1.25);
    // The assistant's last message matches rule 1, whatever the customer said.
    d = decideEndpoint(s, "book it for tuesday", "What is your PHONE NUMBER?");
    EXPECT_DOUBLE_EQ(d.seconds, 3);
    // Both: the two regexes must match.
    EXPECT_DOUBLE_EQ(decideEndpoint(s, "yes", "Are you interested in a loan?").seconds, 0.05);
    EXPECT_EQ(decideEndpoint(s, "yes", "Shall we?").by, By::Smart);
    EXPECT_EQ(decideEndpoint(s, "no thanks", "Are you interested in a loan?").by, By::Smart);
    // No rule: the model.
    EXPECT_EQ(decideEndpoint(s, "i would like to book an appointment for", "").by, By::Smart);
}

TEST(EndpointDecision, RulesThatCannotRunSafelyAreRefused) {
    std::vector<std::string> warnings;
    json::object sp{{"customEndpointingRules",
                     json::array{json::object{{"type", "customer"}, {"regex", "(a)\\1"}, {"timeoutSeconds", 1}},
                                 json::object{{"type", "customer"}, {"regex", "([a-"}, {"timeoutSeconds", 1}},
                                 json::object{{"type", "customer"}, {"regex", std::string(300, 'a')}, {"timeoutSeconds", 1}},
                                 json::object{{"type", "customer"}, {"timeoutSeconds", 1}},
                                 json::object{{"type", "customer"}, {"regex", "ok"}, {"timeoutSeconds", 99}}}}};
    auto plan = endpointingPlanFrom(&sp, false, &warnings);
    ASSERT_EQ(plan->rules.size(), 1u);  // back-reference, syntax error, too long, no regex
    EXPECT_EQ(warnings.size(), 4u);
    EXPECT_DOUBLE_EQ(plan->rules[0].timeoutSeconds, 15);  // Vapi's maximum
    // whole-word: "cat" in "cats" is not a match.
    json::array ww{json::object{{"type", "whole-word"}, {"enabled", true}}};
    json::value wwv(ww);
    auto re = compileRuleRegex("cat", &wwv);
    ASSERT_TRUE(re);
    EXPECT_FALSE(ruleMatches(*re, "I love cats"));
    EXPECT_TRUE(ruleMatches(*re, "my cat is"));
    // A pattern that backtracks exponentially elsewhere stays cheap on bounded input.
    auto evil = compileRuleRegex("(a|aa)*(a|aa)*(a|aa)*c", nullptr);
    ASSERT_TRUE(evil);
    std::string text(5000, 'a');
    auto t0 = std::chrono::steady_clock::now();
    EXPECT_FALSE(ruleMatches(*evil, text));
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    std::printf("pathological rule on %zu chars: %.2f ms\n", text.size(), ms);
    EXPECT_LT(ms, 50);
}

// ---- The pipeline: speculation -----------------------------------------------------------

class Speculation : public PipelineTest {
protected:
    std::vector<int64_t> asked;  // call time of each model request
    size_t seen = 0;
    void track() {
        while (seen < world.llmRequests.size()) {
            asked.push_back(now());
            ++seen;
        }
    }
    void speakT(int ms) {
        for (int t = 0; t < ms; t += audio::kFrameMs) {
            speak(audio::kFrameMs);
            track();
        }
    }
    void quietT(int ms) {
        for (int t = 0; t < ms; t += audio::kFrameMs) {
            quiet(audio::kFrameMs);
            track();
        }
    }
};

TEST_F(Speculation, FinishedWordsAskTheModelBeforeTheFinalAndTheAnswerWaitsForTheTurn) {
    // The recognizer's final comes 100 ms after the VAD's stop; its partial had the words.
    world.sttFinalLatencyMs = 100;
    world.stt.push_back({.final = "Book it for Tuesday.", .partials = {{600, "Book it for Tuesday."}}});
    world.llmReplies.push_back({.text = "Done, Tuesday it is.", .firstTokenMs = 100});
    start();
    quietT(200);
    speakT(800);
    const int64_t voiceEnd = p->state().lastVoicedMs;
    quietT(1500);
    ASSERT_EQ(asked.size(), 1u);  // one request, no second one at the turn
    auto* turn = rec.first(K::UserTurn);
    const Event* final = nullptr;
    for (auto& e : rec.events)
        if (e.kind == K::Transcript && e.isFinal && !final) final = &e;
    auto* stopped = rec.first(K::UserStoppedSpeaking);
    ASSERT_TRUE(turn && final && stopped);
    std::printf("last voiced %lld, model asked +%lld, VAD stop +%lld, final +%lld, turn +%lld\n",
                (long long)voiceEnd, (long long)(asked[0] - voiceEnd), (long long)(stopped->ms - voiceEnd),
                (long long)(final->ms - voiceEnd), (long long)(turn->ms - voiceEnd));
    EXPECT_LE(asked[0] - voiceEnd, 160);      // ~kSpeculateSilenceMs after the last voiced frame
    EXPECT_LT(asked[0], final->ms);           // before the recognizer's final
    EXPECT_LE(stopped->ms - voiceEnd, 240);   // finished words: the shorter VAD stop
    EXPECT_EQ(turn->ms - voiceEnd, 400);      // waitSeconds from the last voiced frame... 
    EXPECT_GE(turn->ms, final->ms);           // ...and never before the final
    // Nothing of the answer left the model stage before the turn.
    auto* text = rec.first(K::LlmText);
    ASSERT_NE(text, nullptr);
    EXPECT_GE(text->ms, turn->ms);
    ASSERT_EQ(p->conversation().size(), 3u);
    EXPECT_EQ(p->conversation()[1].at("content"), "Book it for Tuesday.");
    EXPECT_EQ(p->conversation()[2].at("content"), "Done, Tuesday it is.");
    runToBotStopped();
}

TEST_F(Speculation, CallerGoingOnDropsTheAnswerUnseen) {
    world.stt.push_back({.final = "I want a table.", .partials = {{500, "I want a table."}}});
    world.stt.push_back({.final = "for four people."});
    world.llmRules.push_back({"for four", LlmReply{.text = "Sure, for four."}});
    world.llmRules.push_back({"I want a table", LlmReply{.text = "SPECULATIVE which table?", .firstTokenMs = 60}});
    start();
    quietT(200);
    speakT(700);
    quietT(300);  // long enough to ask ahead (and for the held answer to complete)
    ASSERT_EQ(asked.size(), 1u);
    EXPECT_EQ(rec.count(K::UserTurn), 0);
    speakT(700);  // the caller goes on
    quietT(200);
    EXPECT_GE(world.llmCancels, 1);  // the speculative request was cancelled...
    ASSERT_TRUE(runUntilKind(K::UserTurn, 1, 3000));
    runToBotStopped();
    quietT(300);
    // ...and left nothing: one turn with the whole sentence, one answer spoken and recorded.
    auto turns = rec.of(K::UserTurn);
    ASSERT_EQ(turns.size(), 1u);
    EXPECT_EQ(turns[0].text, "I want a table. for four people.");
    EXPECT_EQ(rec.count(K::LlmDone), 1);
    for (auto& e : rec.events) EXPECT_EQ(e.text.find("SPECULATIVE"), std::string::npos) << toString(e.kind);
    for (auto& [id, text] : world.ttsSpoken) EXPECT_EQ(text.find("SPECULATIVE"), std::string::npos);
    const auto& conv = p->conversation();
    ASSERT_EQ(conv.size(), 3u);
    EXPECT_EQ(conv[1].at("content"), "I want a table. for four people.");
    EXPECT_EQ(conv[2].at("content"), "Sure, for four.");
    EXPECT_FALSE(p->state().responding);
}

TEST_F(Speculation, WordsThatChangedAtTheFinalAreAskedAgain) {
    world.stt.push_back({.final = "Book it for Thursday.", .partials = {{600, "Book it for Tuesday."}}});
    start();
    quietT(200);
    speakT(800);
    ASSERT_TRUE(runUntilKind(K::UserTurn, 1, 3000));
    track();
    runToBotStopped();
    ASSERT_EQ(world.llmRequests.size(), 2u);
    EXPECT_EQ(world.llmRequests[1].messages.back().at("content"), "Book it for Thursday.");
    EXPECT_EQ(rec.first(K::UserTurn)->text, "Book it for Thursday.");
    EXPECT_EQ(rec.count(K::LlmDone), 1);
}

TEST_F(Speculation, UnfinishedWordsAreNotAnsweredInAPause) {
    // A pause of 0.8 s after "for": the model says more is coming, so the turn waits.
    world.stt.push_back({.final = "I would like to book an appointment for"});
    world.stt.push_back({.final = "Tuesday morning."});
    start();
    quietT(200);
    speakT(900);
    quietT(800);
    EXPECT_EQ(rec.count(K::UserTurn), 0);
    EXPECT_TRUE(asked.empty());
    speakT(600);
    ASSERT_TRUE(runUntilKind(K::UserTurn, 1, 4000));
    runToBotStopped();
    auto turns = rec.of(K::UserTurn);
    ASSERT_EQ(turns.size(), 1u);
    EXPECT_EQ(turns[0].text, "I would like to book an appointment for Tuesday morning.");
}

}  // namespace
}  // namespace voxa::pipeline::test
