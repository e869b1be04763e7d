// Barge-in (stopSpeakingPlan): the caller talks over the bot. Voice holds the output at
// once; the transcriber's words decide between an interruption and playing on.
#include <gtest/gtest.h>

#include <algorithm>

#include "pipeline/stages.h"
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
    /// Samples the fake voice makes for these sentences (ttsMsPerWord per word).
    int64_t audioFrames(const std::vector<std::string>& sentences) const {
        int64_t n = 0;
        for (auto& t : sentences) n += std::max(1, words(t)) * world.ttsMsPerWord / audio::kFrameMs;
        return n;
    }
    std::vector<std::string> spokenTexts() const {
        std::vector<std::string> out;
        for (auto& [id, text] : world.ttsSpoken) out.push_back(text);
        return out;
    }
    /// Largest gap between output frames in [from, to) (20: continuous).
    int64_t largestGap(int64_t from, int64_t to) const {
        int64_t gap = 0, last = -1;
        for (auto t : rec.outputMs)
            if (t >= from && t < to) {
                if (last >= 0) gap = std::max(gap, t - last);
                last = t;
            }
        return gap;
    }
};

TEST_F(BargeIn, VoiceHoldsWithinOneFrameAndWordsInterrupt) {
    botTellsStory(600);
    const int64_t botFrom = rec.first(K::BotStartedSpeaking)->ms;
    // pocketsphinx-like partials: a wrong guess, then the words settling.
    world.stt.push_back({.final = "Wait, stop.", .partials = {{320, "Way"}, {520, "Wait"}, {720, "Wait stop"}}});
    const int64_t talkFrom = now();
    speak(200);
    auto* hold = rec.first(K::Hold);
    ASSERT_NE(hold, nullptr);
    // Onset at the 3rd voiced frame: the output is silent from there (a duck, unreported).
    auto onset = rec.of(K::UserStartedSpeaking).back();
    EXPECT_EQ(onset.ms - talkFrom, 40);
    EXPECT_EQ(rec.outputMs.back(), onset.ms);  // the last frame left in the tick before
    EXPECT_EQ(outputs(onset.ms + 1), 0);
    EXPECT_EQ(outputs(botFrom, onset.ms), (onset.ms - botFrom) / 20);  // no underrun before
    // Then voiceSeconds (0.2 s) of voiced audio in all: the hold (reported) comes with the
    // 10th frame, as it arrives (before that step's tick, so at call time 180 ms after the
    // first).
    EXPECT_EQ(hold->ms - talkFrom, 180);
    EXPECT_TRUE(p->state().botSpeaking);  // held, not stopped
    const int64_t heldAt = hold->ms;
    speak(600);
    hold = rec.first(K::Hold);

    // Two partials agree on "wait" (an interruption phrase): interrupted there.
    auto* intr = rec.first(K::Interruption);
    ASSERT_NE(intr, nullptr);
    std::vector<Event> partials;
    for (auto& e : rec.of(K::Transcript))
        if (!e.isFinal) partials.push_back(e);
    ASSERT_EQ(partials.size(), 3u);
    EXPECT_LT(partials[1].ms, intr->ms);  // "way", then "wait": no agreement yet
    EXPECT_EQ(intr->ms, partials[2].ms);  // "wait stop" agrees on "wait"
    EXPECT_EQ(hold->ms, heldAt);
    EXPECT_EQ(rec.count(K::Resume), 0);
    auto* stop = rec.first(K::BotStoppedSpeaking);
    ASSERT_NE(stop, nullptr);
    EXPECT_EQ(stop->ms, intr->ms);
    EXPECT_FALSE(p->state().botSpeaking);

    // What the caller heard of the cut sentence: up to the hold, about 200 ms per word.
    auto spoken = rec.of(K::UtteranceSpoken);
    ASSERT_EQ(spoken.size(), 1u);
    EXPECT_FALSE(spoken[0].isFinal);
    int playedWords = static_cast<int>((hold->ms - botFrom) / 200);
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
    EXPECT_EQ(rec.of(K::UtteranceSpoken).size(), 1u);
    EXPECT_EQ(outputs(hold->ms + 1, turnAt + 1), 0);

    // And the conversation carries on.
    runToBotStopped(2);
    EXPECT_EQ(world.llmRequests.size(), 2u);
    EXPECT_GT(outputs(turnAt), 0);
    expectAtMostOneFramePerTick();
}

TEST_F(BargeIn, ProvidersCallingBackAfterCancelAreIgnored) {
    world.honourCancel = false;  // the fakes keep streaming text and audio after cancel()
    botTellsStory(600);
    world.stt.push_back({.final = "Wait.", .partials = {{320, "Wait"}, {520, "Wait"}}});
    speak(600);
    ASSERT_TRUE(runUntilKind(K::Interruption, 1, 2000));
    auto* intr = rec.first(K::Interruption);
    auto* hold = rec.first(K::Hold);
    ASSERT_NE(hold, nullptr);
    ASSERT_TRUE(runUntilKind(K::UserTurn, 2, 3000));
    const int64_t turnAt = rec.of(K::UserTurn)[1].ms;
    EXPECT_GT(world.leakedAfterCancel, 0);
    for (auto k : {K::LlmText, K::TtsText, K::LlmDone, K::BotStartedSpeaking})
        for (auto& e : rec.of(k))
            EXPECT_FALSE(e.ms >= intr->ms && e.ms <= turnAt) << toString(k) << " at " << e.ms;
    EXPECT_EQ(outputs(hold->ms + 1, turnAt + 1), 0);
    // The stale reply never reached the conversation.
    for (auto& m : p->conversation())
        if (m.at("role") == "assistant") {
            EXPECT_EQ(std::string(m.at("content").as_string()).find("storm"), std::string::npos);
        }
}

TEST_F(BargeIn, ShortClickDucksAndPlaysOnWhereItWasWithoutAHold) {
    botTellsStory(400);
    world.stt.push_back({.final = ""});
    const int64_t talkFrom = now();
    speak(100);  // 5 voiced frames: an onset, but < voiceSeconds; the VAD hangover must not count
    quiet(1000);
    // Silent from the onset (the 3rd frame) until the voice has been gone kUnduckSilenceMs,
    // then on from the same sample; nothing reported, nothing decided.
    int64_t gap = largestGap(talkFrom, talkFrom + 1000);
    EXPECT_GE(gap, TurnStage::kUnduckSilenceMs + 20);
    EXPECT_LE(gap, TurnStage::kUnduckSilenceMs + 80);
    for (auto k : {K::Hold, K::Resume, K::Interruption}) EXPECT_EQ(rec.count(k), 0) << toString(k);
    EXPECT_EQ(rec.count(K::UserTurn), 1);
    EXPECT_TRUE(p->state().botSpeaking);
    runToBotStopped(1, 20000);
    EXPECT_EQ(static_cast<int64_t>(rec.outputMs.size()), audioFrames(spokenTexts()));
    expectAtMostOneFramePerTick();
}

TEST_F(BargeIn, AStopInsideAWordKeepsTheDuck) {
    // "Ac-tually": voice, the closure of its "ct" (~140 ms of nothing), voice again. The
    // output stays silent from the onset through the gap to the hold; playing the reply on
    // in the gap and cutting it again at the hold made the stop ~250 ms late.
    botTellsStory(400);
    world.stt.push_back({.final = "Actually, never mind.", .partials = {{700, "actually"}, {900, "actually never"}}});
    speak(80);
    auto onset = rec.of(K::UserStartedSpeaking).back();
    quiet(140);
    speak(600);
    auto* hold = rec.first(K::Hold);
    ASSERT_NE(hold, nullptr);
    ASSERT_TRUE(runUntilKind(K::Interruption, 1, 2000));
    EXPECT_EQ(rec.count(K::Unduck), 0);
    EXPECT_EQ(outputs(onset.ms + 1), 0) << "nothing played from the onset on";
}

TEST_F(BargeIn, NumWordsWaitsForEnoughAgreedWords) {
    plan("stopSpeakingPlan") = json::object{{"numWords", 3}};
    botTellsStory(400);
    // The STT hears the 300 ms pre-roll at once, then 20 ms per frame.
    world.stt.push_back({.final = "Could you say that again?",
                         .partials = {{320, "Could"}, {720, "Could you"}, {1120, "Could you say"},
                                      {1420, "Could you say that"}}});
    speak(1600);
    ASSERT_NE(rec.first(K::Hold), nullptr);  // the voice holds it whatever numWords says
    auto intrs = rec.of(K::Interruption);
    ASSERT_EQ(intrs.size(), 1u);
    std::vector<Event> partials;
    for (auto& e : rec.of(K::Transcript))
        if (!e.isFinal) partials.push_back(e);
    ASSERT_EQ(partials.size(), 4u);
    EXPECT_LT(partials[2].ms, intrs[0].ms);  // "could you" agreed on: two words, keep holding
    EXPECT_EQ(intrs[0].ms, partials[3].ms);  // "could you say" agreed on: three
    // (after kPartialWordsVoicedMs of voice: words in partials never stop it sooner)
    EXPECT_GE(p->state().userVoicedMs, TurnStage::kPartialWordsVoicedMs);
    EXPECT_EQ(outputs(rec.first(K::Hold)->ms + 1), 0);
}

TEST_F(BargeIn, NumWordsNotReachedResumes) {
    plan("stopSpeakingPlan") = json::object{{"numWords", 3}};
    botTellsStory(400);
    world.stt.push_back({.final = "Tuesday maybe", .partials = {{320, "Tuesday"}, {520, "Tuesday maybe"}}});
    speak(600);
    ASSERT_TRUE(runUntilKind(K::Resume, 1, 2000));
    EXPECT_EQ(rec.count(K::Interruption), 0);
    EXPECT_TRUE(p->state().botSpeaking);
}

TEST_F(BargeIn, InterruptionPhraseInterruptsRegardlessOfNumWords) {
    plan("stopSpeakingPlan") = json::object{{"numWords", 5}, {"interruptionPhrases", json::array{"stop"}}};
    botTellsStory(400);
    world.stt.push_back({.final = "Stop.", .partials = {{320, "Stop"}, {520, "Stop"}}});
    speak(600);
    auto intrs = rec.of(K::Interruption);
    ASSERT_EQ(intrs.size(), 1u);
    std::vector<Event> partials;
    for (auto& e : rec.of(K::Transcript))
        if (!e.isFinal) partials.push_back(e);
    ASSERT_EQ(partials.size(), 2u);
    EXPECT_EQ(intrs[0].ms, partials[1].ms);  // one word, but a phrase that always interrupts
    EXPECT_EQ(outputs(intrs[0].ms + 20), 0);
}

TEST_F(BargeIn, InterruptionPhraseInAFinal) {
    botTellsStory(400);  // default plan: Vapi's interruptionPhrases
    world.stt.push_back({.final = "no"});
    speak(400);
    ASSERT_TRUE(runUntilKind(K::Interruption, 1, 2000));
    EXPECT_EQ(rec.count(K::Resume), 0);
    ASSERT_TRUE(runUntilKind(K::UserTurn, 2, 3000));
    EXPECT_EQ(rec.of(K::UserTurn)[1].text, "no");
}

TEST_F(BargeIn, WordsThatOnlyContainAPhraseDoNotInterrupt) {
    plan("stopSpeakingPlan") = json::object{{"numWords", 5}, {"interruptionPhrases", json::array{"stop"}}};
    botTellsStory(400);
    world.stt.push_back({.final = "Unstoppable.", .partials = {{320, "Unstoppable"}, {520, "Unstoppable"}}});
    speak(600);
    quiet(1500);
    EXPECT_EQ(rec.count(K::Interruption), 0);
    EXPECT_EQ(rec.count(K::Resume), 1);
}

// The caller's sound over the bot, as a transcriber gives it back, that must not stop it.
struct NotAnInterruption {
    const char* final;
    double confidence = 0.9;
    std::vector<std::pair<int64_t, std::string>> partials{};
};

class Backchannel : public BargeIn, public ::testing::WithParamInterface<NotAnInterruption> {};

TEST_P(Backchannel, HoldsThenResumesWhereItStopped) {
    // Default plan (Vapi's acknowledgementPhrases); the sound is 500 ms of voice.
    botTellsStory(400);
    auto& c = GetParam();
    world.stt.push_back({.final = c.final, .partials = c.partials, .confidence = c.confidence});
    speak(500);
    quiet(1500);
    EXPECT_EQ(rec.count(K::Interruption), 0);
    ASSERT_EQ(rec.count(K::Hold), 1);
    ASSERT_EQ(rec.count(K::Resume), 1);
    const int64_t heldAt = rec.first(K::Hold)->ms, resumedAt = rec.first(K::Resume)->ms;
    // Resumed with the final: the caller's 500 ms, vadStopSeconds (0.35 s), no latency.
    EXPECT_LE(resumedAt - heldAt, 720);
    EXPECT_EQ(outputs(heldAt + 1, resumedAt + 1), 0) << "held";
    EXPECT_EQ(largestGap(resumedAt, now()), 20) << "and playing on";
    EXPECT_EQ(rec.count(K::UserTurn), 1) << "no turn for a backchannel";
    runToBotStopped(1, 20000);
    auto spoken = rec.of(K::UtteranceSpoken);
    ASSERT_EQ(spoken.size(), 3u);
    for (auto& s : spoken) EXPECT_TRUE(s.isFinal);
    EXPECT_EQ(world.llmRequests.size(), 1u);
    // Not a sample lost or played twice: every frame of the story went out once.
    EXPECT_EQ(static_cast<int64_t>(rec.outputMs.size()), audioFrames(spokenTexts()));
    expectAtMostOneFramePerTick();
}

INSTANTIATE_TEST_SUITE_P(
    Sounds, Backchannel,
    ::testing::Values(NotAnInterruption{"yeah"}, NotAnInterruption{"Yeah."}, NotAnInterruption{"Uh-huh."},
                      NotAnInterruption{"okay!"}, NotAnInterruption{"Mm-hmm."}, NotAnInterruption{"right"},
                      NotAnInterruption{"I see."}, NotAnInterruption{"yeah okay"},
                      NotAnInterruption{"all right"}, NotAnInterruption{"Okay, okay."},
                      NotAnInterruption{"i'm listening"},
                      // What pocketsphinx makes of backchannels, coughs and noise bursts:
                      NotAnInterruption{"n m h and m", 0.062, {{320, "an an"}, {520, "an m a"}}},
                      NotAnInterruption{"the head", 0.054, {{320, "the"}, {520, "the head"}}},
                      NotAnInterruption{"i have", 0.070}, NotAnInterruption{"if", 0.685},
                      NotAnInterruption{"a", 0.17}, NotAnInterruption{"oh", 0.006},
                      NotAnInterruption{"yeah ok", 0.32, {{320, "yeah"}, {520, "yeah up"}}},
                      NotAnInterruption{"and and made ten man", 0.181, {{320, "and"}, {520, "an an"}}},
                      NotAnInterruption{"but he he", 0.134}, NotAnInterruption{"the heat", 0.103},
                      NotAnInterruption{""}));

TEST_F(BargeIn, AcknowledgementListFromThePlan) {
    plan("stopSpeakingPlan") = json::object{{"acknowledgementPhrases", json::array{"roger"}}};
    botTellsStory(400);
    world.stt.push_back({.final = "Roger."});
    world.stt.push_back({.final = "Okay."});  // no longer an acknowledgement: a word
    speak(500);
    quiet(1500);
    EXPECT_EQ(rec.count(K::Interruption), 0);
    EXPECT_EQ(rec.count(K::Resume), 1);
    speak(500);
    ASSERT_TRUE(runUntilKind(K::Interruption, 1, 2000));
}

TEST_F(BargeIn, NoFinalResumesAfterTheWait) {
    botTellsStory(400);
    world.sttFinalLatencyMs = 5000;  // a transcriber that has gone quiet
    world.stt.push_back({.final = "Hello there"});
    speak(400);
    ASSERT_NE(rec.first(K::Hold), nullptr);
    ASSERT_TRUE(runUntilKind(K::UserStoppedSpeaking, 2, 1000));
    const int64_t stoppedAt = rec.of(K::UserStoppedSpeaking).back().ms;
    ASSERT_TRUE(runUntilKind(K::Resume, 1, 3000));
    EXPECT_EQ(rec.first(K::Resume)->ms - stoppedAt, TurnStage::kFinalWaitMs);
    EXPECT_TRUE(p->state().botSpeaking);
    EXPECT_GT(outputs(rec.first(K::Resume)->ms), 0);
}

TEST_F(BargeIn, LongSpeechWithoutWordsInterrupts) {
    botTellsStory(400);
    world.llmReplies.push_back({.text = "Sorry, go on."});
    world.stt.push_back({.final = ""});  // words never come (or come too late)
    const int64_t talkFrom = now();
    speak(2000);
    auto* intr = rec.first(K::Interruption);
    ASSERT_NE(intr, nullptr);
    // 60 ms to the onset, then kConfirmVoicedMs of voice in all.
    EXPECT_NEAR(intr->ms - talkFrom, TurnStage::kConfirmVoicedMs, 80);
    EXPECT_EQ(outputs(rec.first(K::Hold)->ms + 1), 0);
    // The empty final lets the model pick up again: never silent.
    ASSERT_TRUE(runUntilKind(K::UserTurn, 2, 3000));
    EXPECT_EQ(rec.of(K::UserTurn)[1].text, "");
    ASSERT_TRUE(runUntil([&] { return rec.first(K::BotStartedSpeaking, intr->ms) != nullptr; }, 3000));
}

TEST_F(BargeIn, LongSpeechWithNumWordsResumes) {
    plan("stopSpeakingPlan") = json::object{{"numWords", 2}};
    botTellsStory(400);
    world.stt.push_back({.final = ""});
    speak(2000);
    EXPECT_EQ(rec.count(K::Interruption), 0);
    ASSERT_EQ(rec.count(K::Resume), 1);
    EXPECT_GT(outputs(rec.first(K::Resume)->ms), 0);  // talks over it, as numWords wants
}

TEST_F(BargeIn, BackoffSecondsDelaysTheNextReply) {
    plan("stopSpeakingPlan") = json::object{{"backoffSeconds", 2.0}};
    botTellsStory(400);
    world.llmReplies.push_back({.text = "Sure.", .firstTokenMs = 20});
    world.sttFinalLatencyMs = 0;
    world.stt.push_back({.final = "Stop."});
    speak(300);
    ASSERT_TRUE(runUntilKind(K::Interruption, 1, 2000));
    const int64_t intrAt = rec.first(K::Interruption)->ms;
    ASSERT_TRUE(runUntilKind(K::UserTurn, 2, 3000));
    EXPECT_LT(rec.of(K::UserTurn)[1].ms, intrAt + 1000);  // the reply was ready well before
    ASSERT_TRUE(runUntil([&] { return rec.first(K::BotStartedSpeaking, intrAt) != nullptr; }, 4000));
    const int64_t again = rec.first(K::BotStartedSpeaking, intrAt)->ms;
    EXPECT_GE(again, intrAt + 2000);
    EXPECT_LE(again, intrAt + 2040);
    EXPECT_EQ(outputs(intrAt + 1, again), 0);
}

TEST_F(BargeIn, SayThatInterruptsIsNotHeldBack) {
    botTellsStory(400);
    p->interrupt();  // a `say` with interruptAssistantEnabled: not the caller
    Frame say{.kind = K::Speak};
    say.text = "One moment please.";
    const int64_t at = now();
    p->inject(std::move(say));
    ASSERT_TRUE(runUntil([&] { return rec.first(K::BotStartedSpeaking, at) != nullptr; }, 2000));
    EXPECT_LT(rec.first(K::BotStartedSpeaking, at)->ms - at, 300);
}

TEST_F(BargeIn, HoldEndsWhenTheOutputIsCutElsewhere) {
    botTellsStory(400);
    world.stt.push_back({.final = "yeah"});
    speak(300);
    ASSERT_NE(rec.first(K::Hold), nullptr);
    const int64_t cutAt = now();
    p->interrupt();
    ASSERT_NE(rec.first(K::BotStoppedSpeaking), nullptr);
    EXPECT_EQ(rec.first(K::BotStoppedSpeaking)->ms, cutAt);
    quiet(1500);
    EXPECT_EQ(rec.count(K::Resume), 0);
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
    EXPECT_EQ(rec.count(K::Hold), 0);
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
    EXPECT_EQ(rec.count(K::Hold), 1);
    ASSERT_TRUE(runUntilKind(K::Interruption, 1, 2000));
}

// ---- Heard: the words themselves --------------------------------------------------------

TEST(Heard, WeighsWordsAsVapiDoes) {
    Settings d;  // Vapi's default lists
    auto stops = [&](const char* text, double conf = 0, int numWords = 0, bool partial = false) {
        return Heard::of(d, text, conf, partial).interrupts(numWords, partial);
    };
    for (auto* ack : {"i understand", "I see.", "I'm listening", "im with you", "Right.", "okay", "OK",
                      "Sure!", "alright", "all right", "Got it.", "yeah", "Yes", "uh-huh", "Mm-hmm", "mhmm",
                      "gotcha", "ah", "yeah, okay", "Yeah sure", "okay okay", "uh yeah", "hmm"})
        EXPECT_FALSE(stops(ack)) << ack;
    EXPECT_TRUE(Heard::of(d, "Yeah, okay.").acknowledgement);
    for (auto* intr : {"Stop.", "shut up", "No.", "Wait", "hold on", "Actually, I meant Tuesday",
                       "Don't book it", "Yeah, but no", "Okay wait", "what", "Can you repeat that?"})
        EXPECT_TRUE(stops(intr)) << intr;
    // Words that contain a phrase are not the phrase.
    EXPECT_FALSE(Heard::of(d, "unstoppable").interruptionPhrase);
    EXPECT_TRUE(Heard::of(d, "unstoppable").interrupts(0));  // but a word all the same
    // A recognizer's guesses at a cough, noise, "uh-huh".
    EXPECT_FALSE(stops("if"));
    EXPECT_FALSE(stops("the"));
    EXPECT_FALSE(stops("n m h and m"));
    EXPECT_FALSE(stops("[noise]"));
    EXPECT_FALSE(stops("the head", 0.054));
    EXPECT_FALSE(stops("no", 0.05));
    EXPECT_TRUE(stops("the head", 0.5));
    EXPECT_TRUE(stops("what", 0.2));
    EXPECT_TRUE(stops("when i'm around and read", 0.074));  // "wait a moment please" at 8 kHz
    // Backchannels misheard as a few doubtful words: nothing, when the voice was short.
    for (auto [text, conf, ms] : {std::tuple{"but he he", 0.134, 400}, {"the heat", 0.103, 440},
                                  {"i'm not", 0.119, 240}, {"the king is", 0.189, 760}})
        EXPECT_FALSE(Heard::of(d, text, conf, false, ms).interrupts(0)) << text;
    EXPECT_TRUE(Heard::of(d, "but he he", 0.134, false, 1200).interrupts(0));  // long: words
    EXPECT_TRUE(Heard::of(d, "wait", 0.3, false, 400).interrupts(0));
    EXPECT_TRUE(Heard::of(d, "wait a moment please", 0.082, false, 900).interrupts(0));  // 8 kHz
    EXPECT_TRUE(Heard::of(d, "hello there", 0.35, false, 600).interrupts(0));
    EXPECT_TRUE(Heard::of(d, "say the price again", 0.2, false, 900).interrupts(0));  // 4 words
    // Five words from half a second of voice: pocketsphinx's first "mm-hmm" of a call.
    EXPECT_FALSE(Heard::of(d, "and and made ten man", 0.18, false, 500).interrupts(0));
    EXPECT_TRUE(Heard::of(d, "and and made ten man", 0.18, false, 1500).interrupts(0));
    EXPECT_TRUE(Heard::of(d, "wait i need to change my appointment", 0.7, false, 1800).interrupts(0));
    // numWords counts real words; fillers are none.
    EXPECT_FALSE(stops("uh could you", 0, 3));
    EXPECT_TRUE(stops("could you please", 0, 3));
    // A partial: two words, and not the start of an acknowledgement.
    EXPECT_FALSE(stops("excuse", 0, 0, true));
    EXPECT_TRUE(stops("excuse me", 0, 0, true));
    EXPECT_FALSE(stops("i hear", 0, 0, true));
    EXPECT_FALSE(stops("yeah okay", 0, 0, true));
    EXPECT_TRUE(stops("wait", 0, 0, true));
    // Lists from the plan replace Vapi's; empty ones are empty.
    Settings none;
    none.acknowledgementPhrases.clear();
    none.interruptionPhrases.clear();
    EXPECT_TRUE(Heard::of(none, "okay").interrupts(0));
    EXPECT_FALSE(Heard::of(none, "no").interruptionPhrase);
    EXPECT_FALSE(Heard::of(none, "stop").interrupts(5));
}

TEST(Heard, ALoneOpenerWaitsForTheWordsAfterIt) {
    if (!awaitCompletionModel(std::chrono::seconds(20))) GTEST_SKIP() << "no trigram model (pocketsphinx-en-us)";
    Settings d;
    // "but" is how pocketsphinx hears a short "uh-huh", "but she" a short "i see"; none of
    // these ends a sentence.
    for (auto* w : {"but", "But.", "not", "hold", "actually", "uh but", "but she", "but the"}) {
        auto h = Heard::of(d, w, 0.47, false, 300);
        EXPECT_FALSE(h.interrupts(0)) << w;
        EXPECT_FALSE(h.interruptionPhrase) << w;
        EXPECT_EQ(h.words, 0) << w;
        EXPECT_FALSE(Heard::of(d, w, 0, true, 300).interrupts(0, true)) << w << " (partial)";
    }
    // Words that can be the whole message still stop it at once, partial or final.
    for (auto* w : {"no", "stop", "wait", "nope", "enough", "quiet"}) {
        EXPECT_TRUE(Heard::of(d, w, 0.47, false, 300).interrupts(0)) << w;
        EXPECT_TRUE(Heard::of(d, w, 0, true, 300).interrupts(0, true)) << w << " (partial)";
    }
    // The opener and what follows it; a long "but" is said, not misheard.
    EXPECT_TRUE(Heard::of(d, "but wait", 0.47, false, 600).interrupts(0));
    EXPECT_TRUE(Heard::of(d, "actually can", 0, true, 500).interrupts(0, true));
    EXPECT_TRUE(Heard::of(d, "but she said tuesday", 0.5, false, 900).interrupts(0));
    EXPECT_TRUE(Heard::of(d, "hold on", 0.5, false, 500).interrupts(0));
    EXPECT_TRUE(Heard::of(d, "but", 0.47, false, 1200).interrupts(0));
}

TEST(PipelineSettings, VapiPhraseListsByDefaultAndEmptyWhenEmpty) {
    Settings d = settingsFrom(json::object{});
    ASSERT_EQ(d.acknowledgementPhrases.size(), 22u);
    EXPECT_EQ(d.acknowledgementPhrases.front(), "i understand");
    EXPECT_EQ(d.acknowledgementPhrases.back(), "yeah sure");
    ASSERT_EQ(d.interruptionPhrases.size(), 20u);
    EXPECT_EQ(d.interruptionPhrases.front(), "stop");
    EXPECT_EQ(d.interruptionPhrases.back(), "actually");
    // A plan without the lists keeps Vapi's; an empty list is empty.
    Settings kept = settingsFrom(json::parse(R"({"stopSpeakingPlan": {"numWords": 2}})").as_object());
    EXPECT_EQ(kept.acknowledgementPhrases, d.acknowledgementPhrases);
    EXPECT_EQ(kept.interruptionPhrases, d.interruptionPhrases);
    Settings empty = settingsFrom(json::parse(
        R"({"stopSpeakingPlan": {"acknowledgementPhrases": [], "interruptionPhrases": []}})").as_object());
    EXPECT_TRUE(empty.acknowledgementPhrases.empty());
    EXPECT_TRUE(empty.interruptionPhrases.empty());
}

}  // namespace
}  // namespace voxa::pipeline::test
