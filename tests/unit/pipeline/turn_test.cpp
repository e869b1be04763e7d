// A whole user turn through the pipeline, and end-of-turn detection (startSpeakingPlan).
#include <gtest/gtest.h>

#include "audio/vad.h"
#include "unit/pipeline/harness.h"

namespace voxa::pipeline::test {
namespace {

using K = FrameKind;

// The caller signal must be what the real detector calls speech, or every test below
// would be testing nothing.
TEST(PipelineSignals, VoiceIsVoicedAndSilenceIsNot) {
    audio::WebRtcVad vad(2);
    auto v = voice(0, audio::kRate * 3);
    int voiced = 0, frames = 0;
    for (size_t off = 0; off + audio::kFrameSamples <= v.size(); off += audio::kFrameSamples) {
        voiced += vad.isSpeech(std::span<const int16_t>(v).subspan(off, audio::kFrameSamples));
        ++frames;
    }
    EXPECT_GE(voiced, frames - 2) << voiced << "/" << frames;
    // The detector keeps a short hangover after speech (a few frames), then goes quiet.
    auto z = silence(audio::kFrameSamples);
    int hang = 0;
    while (hang < 50 && vad.isSpeech(z)) ++hang;
    EXPECT_LE(hang, 5);
    int zv = 0;
    for (int i = 0; i < 50; ++i) zv += vad.isSpeech(z);
    EXPECT_EQ(zv, 0);
    audio::WebRtcVad fresh(2);
    for (int i = 0; i < 50; ++i) zv += fresh.isSpeech(z);
    EXPECT_EQ(zv, 0);
}

TEST_F(PipelineTest, FullTurn) {
    world.stt.push_back({.final = "I'd like to book a table."});
    world.llmReplies.push_back({.text = "Sure thing. For how many people?"});
    start();
    quiet(200);
    const int64_t speechFrom = now();
    speak(1000);
    const int64_t speechEnd = now();
    runToBotStopped();
    quiet(200);

    auto* started = rec.first(K::UserStartedSpeaking);
    auto* stopped = rec.first(K::UserStoppedSpeaking);
    auto* final = rec.first(K::Transcript);
    auto* turn = rec.first(K::UserTurn);
    ASSERT_TRUE(started && stopped && final && turn);
    // Onset needs 3 voiced frames of 5; the stop needs vadStopSeconds (350 ms) of silence.
    EXPECT_GE(started->ms - speechFrom, 40);
    EXPECT_LE(started->ms - speechFrom, 100);
    EXPECT_GE(stopped->ms - speechEnd, 340);
    EXPECT_LE(stopped->ms - speechEnd, 420);
    EXPECT_TRUE(final->isFinal);
    EXPECT_EQ(final->text, "I'd like to book a table.");
    EXPECT_EQ(final->ms, stopped->ms + 20);  // finalize() -> final on the next loop turn
    // Finished words (smart endpointing, docs/turn-taking.md): waitSeconds (0.4) from the
    // last voiced frame (pushed at speechEnd - 20) is the floor, and the final is in by then.
    EXPECT_EQ(turn->ms, speechEnd - 20 + 400);
    EXPECT_GE(turn->ms, final->ms);
    EXPECT_EQ(turn->text, "I'd like to book a table.");
    EXPECT_EQ(rec.count(K::UserTurn), 1);

    // The model streamed; TTS got one text per sentence, in order.
    std::string streamed;
    for (auto& e : rec.of(K::LlmText)) streamed += e.text;
    EXPECT_EQ(streamed, "Sure thing. For how many people?");
    // Asked ahead on the final (no partials here), held until the turn: scripted first-token
    // latency from the final.
    EXPECT_EQ(rec.of(K::LlmText).front().ms, final->ms + 200);
    auto tts = rec.of(K::TtsText);
    ASSERT_EQ(tts.size(), 2u);
    EXPECT_EQ(tts[0].text, "Sure thing.");
    EXPECT_EQ(tts[1].text, "For how many people?");
    ASSERT_EQ(world.ttsSpoken.size(), 2u);
    EXPECT_EQ(world.ttsSpoken[0].second, "Sure thing.");

    // Output: 2 + 4 words at 40 ms = 12 frames, one per tick, back to back (TTS is ahead).
    auto* botStart = rec.first(K::BotStartedSpeaking);
    auto* botStop = rec.first(K::BotStoppedSpeaking);
    ASSERT_TRUE(botStart && botStop);
    EXPECT_EQ(rec.outputMs.size(), 12u);
    expectAtMostOneFramePerTick();
    for (size_t i = 1; i < rec.outputMs.size(); ++i)
        EXPECT_EQ(rec.outputMs[i] - rec.outputMs[i - 1], 20) << "gap at frame " << i;
    EXPECT_EQ(rec.outputMs.front(), botStart->ms);
    EXPECT_EQ(botStop->ms, rec.outputMs.back() + 20);
    for (auto sz : rec.frameSizes) EXPECT_EQ(sz, size_t(audio::kFrameSamples));
    for (double r : rec.outputRms) EXPECT_GT(r, 1000);

    auto spoken = rec.of(K::UtteranceSpoken);
    ASSERT_EQ(spoken.size(), 2u);
    EXPECT_EQ(spoken[0].text, "Sure thing.");
    EXPECT_EQ(spoken[1].text, "For how many people?");
    EXPECT_TRUE(spoken[0].isFinal && spoken[1].isFinal);
    EXPECT_LT(spoken[0].ms, spoken[1].ms);
    EXPECT_LE(spoken[1].ms, botStop->ms);

    // Order of the whole conversation (LlmText and partials left out).
    // Sentence 2 reaches TTS while sentence 1 already plays.
    std::vector<std::string> expect{
        "UserStartedSpeaking", "UserStoppedSpeaking", "Transcript",    "UserTurn",
        "TtsText",             "BotStartedSpeaking",  "TtsText",       "LlmDone",
        "UtteranceDone",       "UtteranceSpoken",     "BotStartedSpeaking", "UtteranceDone",
        "UtteranceSpoken",     "BotStoppedSpeaking"};
    EXPECT_EQ(rec.script(), expect);

    // The request: system prompt from model.messages, then the user's words.
    ASSERT_EQ(world.llmRequests.size(), 1u);
    auto& msgs = world.llmRequests[0].messages;
    ASSERT_EQ(msgs.size(), 2u);
    EXPECT_EQ(msgs[0].at("role"), "system");
    EXPECT_EQ(msgs[0].at("content"), "You are Ada, a booking agent.");
    EXPECT_EQ(msgs[1].at("role"), "user");
    EXPECT_EQ(msgs[1].at("content"), "I'd like to book a table.");
    // The reply joins the conversation for the next turn.
    ASSERT_EQ(p->conversation().size(), 3u);
    EXPECT_EQ(p->conversation()[2].at("content"), "Sure thing. For how many people?");
    EXPECT_FALSE(p->state().botSpeaking);
    EXPECT_FALSE(p->state().responding);
    // The STT heard the pre-roll (300 ms) and the speech, not the silence after the stop.
    EXPECT_GE(world.sttSamples, size_t(audio::kRate) + 4000);
    EXPECT_LE(world.sttSamples, size_t(audio::kRate * 17 / 10));
    EXPECT_EQ(world.sttFinalizes, 1);
}

// ---- Endpointing (startSpeakingPlan) -------------------------------------------------------

struct EndpointCase {
    const char* final;
    int expectWaitMs;  // from the final transcript to UserTurn
};

class Endpointing : public PipelineTest, public ::testing::WithParamInterface<EndpointCase> {};

TEST_P(Endpointing, WaitDependsOnHowTheTranscriptEnds) {
    // waitSeconds 0 so only the transcription plan decides.
    plan("startSpeakingPlan") = json::object{
        {"waitSeconds", 0},
        {"transcriptionEndpointingPlan", json::object{{"onPunctuationSeconds", 0.3},
                                                      {"onNoPunctuationSeconds", 1.2},
                                                      {"onNumberSeconds", 0.7}}}};
    world.stt.push_back({.final = GetParam().final});
    start();
    ASSERT_TRUE(p->settings().transcriberPunctuates);  // provider "fake" is not "local"
    speak(800);
    ASSERT_TRUE(runUntilKind(FrameKind::UserTurn, 1, 3000));
    auto* final = rec.first(K::Transcript);
    auto* turn = rec.first(K::UserTurn);
    ASSERT_TRUE(final && turn);
    EXPECT_EQ(turn->ms - final->ms, GetParam().expectWaitMs);
    EXPECT_EQ(turn->text, GetParam().final);
}

INSTANTIATE_TEST_SUITE_P(
    Plan, Endpointing,
    ::testing::Values(EndpointCase{"Book a table.", 300}, EndpointCase{"Is it open?", 300},
                      EndpointCase{"Wow!", 300}, EndpointCase{"book a table", 1200},
                      EndpointCase{"a table for 4", 700}, EndpointCase{"at 730", 700}));

// With every endpointing wait at 0 the turn is answered from the final transcript's own
// callback, and the reply's first audio asks the session for a tick at once (the session
// re-phases its 20 ms clock), so neither waits for the next frame boundary.
TEST_F(PipelineTest, ZeroWaitsAnswerWithoutWaitingForATick) {
    world.stt.push_back({.final = "I'd like to book a table."});
    world.llmReplies.push_back({.text = "Sure thing. For how many people?"});
    plan("startSpeakingPlan") = json::object{
        {"waitSeconds", 0},
        {"transcriptionEndpointingPlan", json::object{{"onPunctuationSeconds", 0}}}};
    start();
    quiet(200);
    speak(1000);
    runToBotStopped();
    auto* final = rec.first(K::Transcript);
    auto* turn = rec.first(K::UserTurn);
    ASSERT_TRUE(final && turn);
    EXPECT_EQ(turn->ms, final->ms);  // not final->ms + 20
    auto* botStart = rec.first(K::BotStartedSpeaking);
    ASSERT_NE(botStart, nullptr);
    ASSERT_FALSE(rec.readyMs.empty());
    EXPECT_GE(rec.readyMs.front(), turn->ms);
    EXPECT_LE(rec.readyMs.front(), botStart->ms);
}

TEST_F(PipelineTest, WaitSecondsIsAFloorFromTheLastVoicedFrame) {
    plan("startSpeakingPlan") = json::object{
        {"waitSeconds", 0.8},
        {"transcriptionEndpointingPlan", json::object{{"onPunctuationSeconds", 0.1}}}};
    world.stt.push_back({.final = "Hello there."});
    start();
    speak(600);
    const int64_t lastVoiced = now() - 20;
    ASSERT_TRUE(runUntilKind(K::UserTurn, 1, 3000));
    auto* stopped = rec.first(K::UserStoppedSpeaking);
    auto* final = rec.first(K::Transcript);
    auto* turn = rec.first(K::UserTurn);
    ASSERT_TRUE(stopped && final && turn);
    EXPECT_EQ(final->ms, stopped->ms + 20);
    EXPECT_EQ(turn->ms, lastVoiced + 800);  // not final + 100, not the VAD's stop + 800
}

TEST_F(PipelineTest, SlowFinalIsNotPenalisedTwiceByWaitSeconds) {
    // The floor counts from the last voiced frame: a final arriving 600 ms late waits only
    // the punctuation time, not waitSeconds on top.
    plan("startSpeakingPlan") = json::object{
        {"waitSeconds", 0.4}, {"transcriptionEndpointingPlan", json::object{{"onPunctuationSeconds", 0.1}}}};
    world.sttFinalLatencyMs = 600;
    world.stt.push_back({.final = "Hello there."});
    start();
    speak(600);
    ASSERT_TRUE(runUntilKind(K::UserTurn, 1, 3000));
    auto* stopped = rec.first(K::UserStoppedSpeaking);
    auto* final = rec.first(K::Transcript);
    auto* turn = rec.first(K::UserTurn);
    ASSERT_TRUE(stopped && final && turn);
    EXPECT_EQ(final->ms, stopped->ms + 600);
    EXPECT_EQ(turn->ms, final->ms + 100);
}

TEST_F(PipelineTest, UserResumingBeforeTheTurnEndsMakesOneTurn) {
    // No punctuation: 1.5 s to decide. The user goes on after 0.8 s of silence.
    world.stt.push_back({.final = "so I was thinking"});
    world.stt.push_back({.final = "about Friday."});
    start();
    speak(700);
    quiet(800);
    EXPECT_EQ(rec.count(K::UserTurn), 0);
    speak(700);
    ASSERT_TRUE(runUntilKind(K::UserTurn, 1, 3000));
    quiet(2000);
    auto turns = rec.of(K::UserTurn);
    ASSERT_EQ(turns.size(), 1u);
    EXPECT_EQ(turns[0].text, "so I was thinking about Friday.");
    ASSERT_EQ(world.llmRequests.size(), 1u);
    EXPECT_EQ(world.llmRequests[0].messages.back().at("content"),
              "so I was thinking about Friday.");
}

TEST_F(PipelineTest, NewTurnWhileTheModelStreamsDropsItsHalfSentence) {
    // The model is mid-sentence (nothing spoken yet) when the user adds to the turn.
    world.stt.push_back({.final = "I want to book."});
    world.stt.push_back({.final = "For Friday."});
    world.llmReplies.push_back({.text = "Sure, which day would you like to", .deltaMs = 300});
    world.llmReplies.push_back({.text = "Friday works."});
    start();
    speak(600);
    ASSERT_TRUE(runUntilKind(K::LlmText, 2, 3000));
    speak(600);
    runToBotStopped();
    ASSERT_EQ(rec.count(K::UserTurn), 2);
    EXPECT_EQ(rec.count(K::Interruption), 0);
    auto tts = rec.of(K::TtsText);
    ASSERT_EQ(tts.size(), 1u);
    EXPECT_EQ(tts[0].text, "Friday works.");
    EXPECT_EQ(rec.of(K::UtteranceSpoken).back().text, "Friday works.");
    EXPECT_GE(world.llmCancels, 1);
}

TEST(PipelineSettings, FromAssistantConfig) {
    auto a = json::parse(R"({
        "transcriber": {"provider": "deepgram"},
        "startSpeakingPlan": {"waitSeconds": 0.6, "transcriptionEndpointingPlan":
            {"onPunctuationSeconds": 0.2, "onNoPunctuationSeconds": 2, "onNumberSeconds": 0.9}},
        "stopSpeakingPlan": {"numWords": 3, "voiceSeconds": 0.3, "backoffSeconds": 2.5,
            "acknowledgementPhrases": ["yeah", "uh-huh"], "interruptionPhrases": ["stop"]},
        "firstMessageInterruptionsEnabled": true})").as_object();
    Settings s = settingsFrom(a);
    EXPECT_DOUBLE_EQ(s.waitSeconds, 0.6);
    EXPECT_DOUBLE_EQ(s.onPunctuationSeconds, 0.2);
    EXPECT_DOUBLE_EQ(s.onNoPunctuationSeconds, 2.0);
    EXPECT_DOUBLE_EQ(s.onNumberSeconds, 0.9);
    EXPECT_EQ(s.numWords, 3);
    EXPECT_DOUBLE_EQ(s.voiceSeconds, 0.3);
    EXPECT_DOUBLE_EQ(s.backoffSeconds, 2.5);
    EXPECT_EQ(s.acknowledgementPhrases, (std::vector<std::string>{"yeah", "uh-huh"}));
    EXPECT_EQ(s.interruptionPhrases, (std::vector<std::string>{"stop"}));
    EXPECT_TRUE(s.firstMessageInterruptionsEnabled);
    EXPECT_TRUE(s.transcriberPunctuates);
    // Defaults, and pocketsphinx ("local", also the default) does not punctuate.
    Settings d = settingsFrom(json::object{});
    EXPECT_DOUBLE_EQ(d.waitSeconds, 0.4);
    EXPECT_DOUBLE_EQ(d.onPunctuationSeconds, 0.1);
    EXPECT_DOUBLE_EQ(d.onNoPunctuationSeconds, 1.5);
    EXPECT_DOUBLE_EQ(d.onNumberSeconds, 0.4);
    EXPECT_EQ(d.numWords, 0);
    EXPECT_DOUBLE_EQ(d.voiceSeconds, 0.2);
    EXPECT_DOUBLE_EQ(d.backoffSeconds, 1.0);
    EXPECT_FALSE(d.firstMessageInterruptionsEnabled);
    EXPECT_FALSE(d.transcriberPunctuates);
}

}  // namespace
}  // namespace voxa::pipeline::test
