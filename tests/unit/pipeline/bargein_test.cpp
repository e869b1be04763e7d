// Barge-in (stopSpeakingPlan): the caller talks over the bot.
#include <gtest/gtest.h>

#include <algorithm>

#include "unit/pipeline/harness.h"

namespace voxa::pipeline::test {
namespace {

using K = FrameKind;

const std::string kStory =
    "Once upon a time there was a small robot who lived by the sea. It liked to count the "
    "waves every single morning before breakfast. One day a storm came and the waves were "
    "too many to count.";
const std::string kSentence1 = "Once upon a time there was a small robot who lived by the sea.";

class BargeIn : public PipelineTest {
protected:
    /// The user asks for a story; returns once the bot has played `playMs` of it.
    void botTellsStory(int playMs = 600) {
        world.stt.push_back({.final = "Tell me a story."});
        world.llmReplies.push_back({.text = kStory, .deltaMs = 60});  // still streaming later
        world.ttsMsPerWord = 200;   // ~speech rate
        world.ttsChunkEveryMs = 20;  // TTS streams in real time: audio stays queued upstream
        start();
        speak(600);
        ASSERT_TRUE(runUntilKind(K::BotStartedSpeaking, 1, 4000));
        quiet(playMs);
        ASSERT_TRUE(p->state().botSpeaking);
    }
};

TEST_F(BargeIn, VoiceInterruptsWithinOneFrameAndCancelsEverything) {
    botTellsStory(600);
    const int64_t botFrom = rec.first(K::BotStartedSpeaking)->ms;
    world.stt.push_back({.final = "Wait, stop."});
    const int64_t talkFrom = now();
    speak(600);
    auto* intr = rec.first(K::Interruption);
    ASSERT_NE(intr, nullptr);
    // Onset at the 3rd voiced frame, then voiceSeconds (0.2 s) of voiced audio in all: the
    // interruption comes with the 10th frame, as it arrives (before that step's tick, so at
    // call time 180 ms after the first).
    EXPECT_EQ(intr->ms - talkFrom, 180);
    // Output stops at once: the last frame went out in the tick before that frame arrived.
    EXPECT_EQ(outputs(intr->ms + 1), 0);
    EXPECT_EQ(rec.outputMs.back(), intr->ms);
    EXPECT_EQ(outputs(botFrom, intr->ms), (intr->ms - botFrom) / 20);  // no underrun before
    auto* stop = rec.first(K::BotStoppedSpeaking);
    ASSERT_NE(stop, nullptr);
    EXPECT_EQ(stop->ms, intr->ms);
    EXPECT_FALSE(p->state().botSpeaking);

    // What the caller heard of the cut sentence: about played/200 ms per word.
    auto spoken = rec.of(K::UtteranceSpoken);
    ASSERT_EQ(spoken.size(), 1u);
    EXPECT_FALSE(spoken[0].isFinal);
    int playedWords = static_cast<int>((intr->ms - botFrom) / 200);
    EXPECT_LT(words(spoken[0].text), words(kSentence1));
    EXPECT_NEAR(words(spoken[0].text), playedWords, 1) << spoken[0].text;
    EXPECT_EQ(kSentence1.rfind(spoken[0].text, 0), 0u) << "a prefix of the sentence";

    // Model and voice were cancelled while they still had work queued.
    EXPECT_GE(world.llmCancels, 1);
    EXPECT_GE(world.ttsCancels, 1);
    EXPECT_GT(world.suppressed, 0);

    // Nothing stale: no text, audio or speech until the user's turn is answered.
    ASSERT_TRUE(runUntilKind(K::UserTurn, 2, 3000));
    const int64_t turnAt = rec.of(K::UserTurn)[1].ms;
    EXPECT_EQ(rec.of(K::UserTurn)[1].text, "Wait, stop.");
    for (auto k : {K::LlmText, K::TtsText, K::LlmDone, K::BotStartedSpeaking})
        for (auto& e : rec.of(k))
            EXPECT_FALSE(e.ms >= intr->ms && e.ms <= turnAt) << toString(k) << " at " << e.ms;
    EXPECT_EQ(rec.of(K::UtteranceSpoken).size(), 1u);  // only the cut one, reported at once
    EXPECT_EQ(outputs(intr->ms + 1, turnAt + 1), 0);  // the frame at intr->ms left before it

    // And the conversation carries on.
    runToBotStopped(2);
    EXPECT_EQ(world.llmRequests.size(), 2u);
    EXPECT_GT(outputs(turnAt), 0);
    expectAtMostOneFramePerTick();
}

TEST_F(BargeIn, ProvidersCallingBackAfterCancelAreIgnored) {
    world.honourCancel = false;  // the fakes keep streaming text and audio after cancel()
    botTellsStory(600);
    world.stt.push_back({.final = "Wait."});
    speak(600);
    auto* intr = rec.first(K::Interruption);
    ASSERT_NE(intr, nullptr);
    ASSERT_TRUE(runUntilKind(K::UserTurn, 2, 3000));
    const int64_t turnAt = rec.of(K::UserTurn)[1].ms;
    EXPECT_GT(world.leakedAfterCancel, 0);
    for (auto k : {K::LlmText, K::TtsText, K::LlmDone, K::BotStartedSpeaking})
        for (auto& e : rec.of(k))
            EXPECT_FALSE(e.ms >= intr->ms && e.ms <= turnAt) << toString(k) << " at " << e.ms;
    EXPECT_EQ(outputs(intr->ms + 1, turnAt + 1), 0);  // the frame at intr->ms left before it
    // The stale reply never reached the conversation.
    for (auto& m : p->conversation())
        if (m.at("role") == "assistant") {
            EXPECT_EQ(std::string(m.at("content").as_string()).find("storm"), std::string::npos);
        }
}

TEST_F(BargeIn, ShortClickDoesNotInterrupt) {
    botTellsStory(400);
    world.stt.push_back({.final = ""});
    speak(100);  // onset, but < voiceSeconds of voice; the VAD hangover must not count
    quiet(1000);
    EXPECT_EQ(rec.count(K::Interruption), 0);
    EXPECT_EQ(rec.count(K::UserTurn), 1);
    EXPECT_TRUE(p->state().botSpeaking);
}

TEST_F(BargeIn, NumWordsWaitsForEnoughWordsInAPartial) {
    plan("stopSpeakingPlan") = json::object{{"numWords", 2}};
    botTellsStory(400);
    // The STT hears the 300 ms pre-roll at once, then 20 ms per frame.
    world.stt.push_back({.final = "Uh wait a second.",
                         .partials = {{320, "Uh"}, {700, "Uh wait"}, {900, "Uh wait a"}}});
    const int64_t talkFrom = now();
    speak(1000);
    auto intrs = rec.of(K::Interruption);
    ASSERT_EQ(intrs.size(), 1u);
    std::vector<Event> partials;
    for (auto& e : rec.of(K::Transcript))
        if (!e.isFinal) partials.push_back(e);
    ASSERT_GE(partials.size(), 2u);
    EXPECT_EQ(partials[0].text, "Uh");
    EXPECT_LT(partials[0].ms, intrs[0].ms);  // one word: keep talking
    EXPECT_EQ(partials[1].text, "Uh wait");
    EXPECT_EQ(intrs[0].ms, partials[1].ms);  // two words: now
    // Far more than voiceSeconds of voice went by first: with numWords > 0 it doesn't count.
    EXPECT_GE(intrs[0].ms - talkFrom, 400);
    EXPECT_EQ(outputs(intrs[0].ms + 20), 0);  // the next tick sends nothing
}

TEST_F(BargeIn, InterruptionPhraseInterruptsRegardlessOfNumWords) {
    plan("stopSpeakingPlan") = json::object{{"numWords", 5}, {"interruptionPhrases", json::array{"stop"}}};
    botTellsStory(400);
    world.stt.push_back({.final = "Stop.", .partials = {{320, "Stop"}}});
    speak(600);
    auto intrs = rec.of(K::Interruption);
    ASSERT_EQ(intrs.size(), 1u);
    std::vector<Event> partials;
    for (auto& e : rec.of(K::Transcript))
        if (!e.isFinal) partials.push_back(e);
    ASSERT_FALSE(partials.empty());
    EXPECT_EQ(intrs[0].ms, partials[0].ms);  // one word, but a phrase that always interrupts
    EXPECT_EQ(outputs(intrs[0].ms + 20), 0);
}

TEST_F(BargeIn, WordsThatOnlyContainAPhraseDoNotInterrupt) {
    plan("stopSpeakingPlan") = json::object{{"numWords", 5}, {"interruptionPhrases", json::array{"stop"}}};
    botTellsStory(400);
    world.stt.push_back({.final = "Unstoppable.", .partials = {{320, "Unstoppable"}}});
    speak(600);
    EXPECT_EQ(rec.count(K::Interruption), 0);
}

class Acknowledgement : public BargeIn, public ::testing::WithParamInterface<const char*> {};

TEST_P(Acknowledgement, DoesNotInterrupt) {
    plan("stopSpeakingPlan") = json::object{
        {"numWords", 1}, {"acknowledgementPhrases", json::array{"yeah", "uh-huh", "okay"}}};
    botTellsStory(400);
    world.stt.push_back({.final = GetParam(), .partials = {{400, GetParam()}}});
    speak(500);
    quiet(1500);
    EXPECT_EQ(rec.count(K::Interruption), 0);
    EXPECT_EQ(rec.count(K::UserTurn), 1) << "no turn for a backchannel";
    runToBotStopped(1, 20000);
    auto spoken = rec.of(K::UtteranceSpoken);
    ASSERT_EQ(spoken.size(), 3u);
    for (auto& s : spoken) EXPECT_TRUE(s.isFinal);
    EXPECT_EQ(world.llmRequests.size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Phrases, Acknowledgement,
                         ::testing::Values("yeah", "Yeah", "Yeah.", "Uh-huh.", "okay!"));

TEST_F(BargeIn, BackoffMakesTwoBurstsOneInterruption) {
    plan("stopSpeakingPlan") = json::object{{"backoffSeconds", 2.0}};
    botTellsStory(400);
    world.llmReplies.push_back(
        {.text = "Sorry. As I was saying, the robot counted waves on the beach every morning, "
                 "one by one, until the sun came up over the hills and the birds began to sing "
                 "their songs for the whole town to hear."});
    // Burst 1: interrupts, never becomes words, so the bot picks up again.
    world.stt.push_back({.final = ""});
    world.stt.push_back({.final = ""});
    world.stt.push_back({.final = ""});
    speak(300);
    auto* first = rec.first(K::Interruption);
    ASSERT_NE(first, nullptr);
    const int64_t t1 = first->ms;
    world.ttsMsPerWord = 100;
    ASSERT_TRUE(runUntil([&] { return rec.first(K::BotStartedSpeaking, t1) != nullptr; }, 3000));
    ASSERT_LT(now(), t1 + 1500);
    // Burst 2, inside the backoff: the bot keeps talking.
    speak(300);
    EXPECT_EQ(rec.count(K::Interruption), 1);
    quiet(t1 + 2000 - now() + 20);
    ASSERT_TRUE(p->state().botSpeaking);
    // Burst 3, after it: interrupts again.
    speak(300);
    EXPECT_EQ(rec.count(K::Interruption), 2);
    EXPECT_GE(rec.of(K::Interruption)[1].ms, t1 + 2000);
}

TEST_F(BargeIn, BlipThatInterruptedLetsTheModelPickUpAgain) {
    botTellsStory(600);
    world.llmReplies.push_back({.text = kStory});
    world.stt.push_back({.final = ""});  // a cough: voice for the VAD, no words
    speak(260);
    auto* intr = rec.first(K::Interruption);
    ASSERT_NE(intr, nullptr);
    ASSERT_TRUE(runUntilKind(K::UserTurn, 2, 3000));
    auto turn = rec.of(K::UserTurn)[1];
    EXPECT_EQ(turn.text, "");
    EXPECT_GT(turn.ms, intr->ms);
    // The empty final comes first, then the turn it closes.
    auto finals = rec.of(K::Transcript);
    ASSERT_EQ(finals.size(), 2u);
    EXPECT_EQ(finals[1].text, "");
    EXPECT_EQ(finals[1].ms, turn.ms);
    auto it = std::find_if(rec.events.begin(), rec.events.end(), [](const Event& e) {
        return e.kind == K::Transcript && e.text.empty();
    });
    ASSERT_NE(it, rec.events.end());
    EXPECT_EQ((it + 1)->kind, K::UserTurn);
    // Same context as before (no empty user message), asked again; the bot talks again.
    ASSERT_TRUE(runUntil([&] { return outputs(turn.ms) > 10; }, 3000));
    ASSERT_EQ(world.llmRequests.size(), 2u);
    EXPECT_EQ(world.llmRequests[1].messages.back().at("role"), "user");
    EXPECT_EQ(world.llmRequests[1].messages.back().at("content"), "Tell me a story.");
    EXPECT_NE(rec.first(K::BotStartedSpeaking, turn.ms), nullptr);
}

TEST_F(BargeIn, UninterruptibleFirstMessageIsPlayedInFull) {
    // What the call session does for firstMessageInterruptionsEnabled = false.
    world.ttsMsPerWord = 200;
    start();
    ASSERT_FALSE(p->settings().firstMessageInterruptionsEnabled);
    const std::string first = "Hello, this is Ada from Voxa. How can I help you today?";
    p->state().interruptible = false;
    Frame hello{.kind = K::Speak};
    hello.text = first;
    p->inject(std::move(hello));
    p->state().interruptible = true;
    ASSERT_TRUE(runUntilKind(K::BotStartedSpeaking, 1, 1000));
    world.stt.push_back({.final = "Hi, I need a table."});
    world.llmReplies.push_back({.text = "Sure, for when would you like the table?"});
    speak(1000);
    EXPECT_EQ(rec.count(K::Interruption), 0);
    ASSERT_TRUE(runUntil([&] { return rec.count(K::UtteranceSpoken) >= 1; }, 5000));
    auto spoken = rec.of(K::UtteranceSpoken);
    EXPECT_EQ(spoken[0].text, first);
    EXPECT_TRUE(spoken[0].isFinal);
    EXPECT_EQ(rec.count(K::Interruption), 0);
    // 12 words at 200 ms, all of it sent.
    EXPECT_GE(rec.outputMs.size(), 120u);
    // The reply to the user is an ordinary, interruptible utterance.
    ASSERT_TRUE(runUntil([&] { return rec.count(K::BotStartedSpeaking) >= 2; }, 5000));
    world.stt.push_back({.final = "Tonight."});
    speak(400);
    EXPECT_EQ(rec.count(K::Interruption), 1);
}

}  // namespace
}  // namespace voxa::pipeline::test
