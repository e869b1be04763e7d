// Injected speech, model errors and tools, and transports with odd frame sizes.
#include <gtest/gtest.h>

#include <algorithm>

#include "pipeline/ended_reason.h"
#include "unit/pipeline/harness.h"

namespace voxa::pipeline::test {
namespace {

using K = FrameKind;

Frame speakFrame(std::string text, bool endCallAfter = false) {
    Frame f{.kind = K::Speak};
    f.text = std::move(text);
    f.endCallAfter = endCallAfter;
    return f;
}

TEST_F(PipelineTest, SpeakIsSpokenVerbatimAndCarriesEndCallAfter) {
    start();
    // Several sentences, a number and odd spacing: one utterance, not re-cut into sentences.
    const std::string text = "Thanks for calling! Our number is 555-0100. Goodbye.";
    p->inject(speakFrame(text, true));
    runToBotStopped();
    auto tts = rec.of(K::TtsText);
    ASSERT_EQ(tts.size(), 1u);
    EXPECT_EQ(tts[0].text, text);
    EXPECT_TRUE(tts[0].endCallAfter);
    ASSERT_EQ(world.ttsSpoken.size(), 1u);
    EXPECT_EQ(world.ttsSpoken[0].second, text);
    auto* speak = rec.first(K::Speak);
    ASSERT_NE(speak, nullptr);
    EXPECT_TRUE(speak->endCallAfter);
    auto spoken = rec.of(K::UtteranceSpoken);
    ASSERT_EQ(spoken.size(), 1u);
    EXPECT_EQ(spoken[0].text, text);
    EXPECT_TRUE(spoken[0].isFinal);
    EXPECT_TRUE(spoken[0].endCallAfter);
    EXPECT_EQ(spoken[0].utterance, tts[0].utterance);
    // 9 words at 40 ms = 18 frames; the model was never asked.
    EXPECT_EQ(rec.outputMs.size(), 18u);
    EXPECT_TRUE(world.llmRequests.empty());
    // An ordinary Speak does not end the call.
    p->inject(speakFrame("Still there?"));
    runToBotStopped(2);
    EXPECT_FALSE(rec.of(K::UtteranceSpoken).back().endCallAfter);
}

// Transcribers that hear the whole call (custom-transcriber) get every frame of the caller,
// silence included, and one frame of the assistant per tick: what was played, else silence.
TEST_F(PipelineTest, TheTranscriberMayHearTheWholeCallBothSides) {
    start();
    quiet(400);
    EXPECT_EQ(world.sttCallerSamples, 400u * 16);
    EXPECT_EQ(world.sttSamples, 0u) << "sendAudio is the caller's speech only";
    ASSERT_EQ(world.sttAssistantFrames.size(), 20u);
    EXPECT_EQ(std::count(world.sttAssistantFrames.begin(), world.sttAssistantFrames.end(), true), 0);
    p->inject(speakFrame("Hello there, how are you today?"));
    runToBotStopped();
    quiet(200);
    EXPECT_EQ(world.sttAssistantFrames.size(), static_cast<size_t>(now() / audio::kFrameMs)) << "one a tick";
    EXPECT_EQ(std::count(world.sttAssistantFrames.begin(), world.sttAssistantFrames.end(), true),
              static_cast<long>(rec.outputMs.size()))
        << "what was played";
    EXPECT_EQ(world.sttCallerSamples, static_cast<size_t>(now()) * 16);
}

TEST_F(PipelineTest, SpeakFlushesAPendingPartialSentenceFirst) {
    world.stt.push_back({.final = "Hi."});
    world.llmReplies.push_back({.text = "Let me check that for", .deltaMs = 20});
    start();
    speak(500);
    ASSERT_TRUE(runUntilKind(K::LlmText, 3, 3000));
    p->inject(speakFrame("One moment please."));
    runToBotStopped(1, 5000);
    auto tts = rec.of(K::TtsText);
    ASSERT_GE(tts.size(), 2u);
    EXPECT_EQ(tts[1].text, "One moment please.");
    EXPECT_LT(tts[0].utterance, tts[1].utterance);
}

// The record keeps one bot message per reply: the first sentence of a reply and every Speak
// open a message; the reply's later sentences continue it.
TEST_F(PipelineTest, ReplyStartMarksTheFirstSentenceOfEachReplyAndEverySpeak) {
    world.stt.push_back({.final = "Hi."});
    world.llmReplies.push_back({.text = "Sure. Our hours are nine to five. Anything else?"});
    start();
    p->inject(speakFrame("Welcome to the library."));
    runToBotStopped(1, 5000);
    speak(500);
    quiet(3000);
    runToBotStopped(2, 8000);
    auto tts = rec.of(K::TtsText);
    ASSERT_EQ(tts.size(), 4u);
    std::vector<bool> starts;
    for (auto& t : tts) starts.push_back(t.replyStart);
    EXPECT_EQ(starts, (std::vector<bool>{true, true, false, false}))
        << tts[0].text << " | " << tts[1].text << " | " << tts[2].text << " | " << tts[3].text;
    p->inject(speakFrame("Goodbye."));
    runToBotStopped(3, 5000);
    EXPECT_TRUE(rec.of(K::TtsText).back().replyStart);
}

TEST_F(PipelineTest, LlmErrorReachesTheObserverAndTheCallGoesOn) {
    world.stt.push_back({.final = "Hello?"});
    world.stt.push_back({.final = "Are you there?"});
    world.llmReplies.push_back({.error = "openai: 429 rate limited", .errorStatus = 429});
    world.llmReplies.push_back({.text = "Yes, I am here."});
    start();
    speak(500);
    ASSERT_TRUE(runUntilKind(K::LlmError, 1, 3000));
    auto* err = rec.first(K::LlmError);
    EXPECT_EQ(err->text, "openai: 429 rate limited");
    // The model's provider and the status name the endedReason the call would end with.
    EXPECT_EQ(err->endedReason, "pipeline-error-vapi-429-exceeded-quota");
    // Asked ahead on the final (pipeline/endpointing.h), so the error comes 200 ms after it.
    EXPECT_EQ(err->ms, rec.first(K::Transcript)->ms + 200);
    EXPECT_FALSE(p->state().responding);
    EXPECT_EQ(rec.count(K::TtsText), 0);
    EXPECT_EQ(p->conversation().size(), 2u);  // system + user, no empty assistant message
    quiet(500);
    EXPECT_TRUE(rec.outputMs.empty());
    speak(500);
    runToBotStopped();
    EXPECT_EQ(rec.of(K::UtteranceSpoken).back().text, "Yes, I am here.");
    EXPECT_EQ(world.llmRequests.size(), 2u);
}

TEST_F(PipelineTest, ToolCallsAreOfferedAndReported) {
    assistant["model"].as_object()["tools"] = json::array{json::object{{"type", "endCall"}}};
    world.stt.push_back({.final = "That's all, bye."});
    world.llmReplies.push_back(
        {.text = "Goodbye!", .tools = {{.id = "call_1", .name = "endCall", .arguments = "{}"}}});
    start();
    speak(500);
    runToBotStopped();
    ASSERT_EQ(world.llmRequests.size(), 1u);
    auto& tools = world.llmRequests[0].tools;
    ASSERT_EQ(tools.size(), 1u);
    EXPECT_EQ(tools[0].at("function").at("name"), "endCall");
    auto calls = rec.of(K::LlmToolCall);
    ASSERT_EQ(calls.size(), 1u);
    EXPECT_EQ(calls[0].tool, "endCall");
    // The sentence before the call is flushed to TTS and spoken.
    EXPECT_EQ(rec.of(K::UtteranceSpoken).back().text, "Goodbye!");
    // The reply with its tool call is in the model's context.
    auto& last = p->conversation().back().as_object();
    EXPECT_EQ(last.at("role"), "assistant");
    EXPECT_EQ(last.at("tool_calls").as_array()[0].at("function").at("name"), "endCall");
    // A tool result with respond=true asks the model again.
    world.llmReplies.push_back({.text = "Done."});
    p->addToolResult("call_1", "endCall", "ok", true);
    runToBotStopped(2);
    ASSERT_EQ(world.llmRequests.size(), 2u);
    EXPECT_EQ(world.llmRequests[1].messages.back().at("role"), "tool");
}

// ---- Odd transport frame sizes ------------------------------------------------------------

struct Timing {
    int64_t started = -1, stopped = -1, turn = -1;
    size_t sttSamples = 0;
};

class FrameSizes : public PipelineTest {
protected:
    /// Pushes audio in `chunk`-sample pieces; ticks whenever 20 ms worth has been pushed.
    Timing run(size_t chunk) {
        world.stt.push_back({.final = "Hello there."});
        start();
        audio::Samples call = silence(audio::kRate / 5);
        auto v = voice(0, audio::kRate);
        call.insert(call.end(), v.begin(), v.end());
        call.resize(call.size() + audio::kRate * 2, 0);
        size_t pushed = 0, ticked = 0;
        while (pushed < call.size()) {
            size_t n = std::min(chunk, call.size() - pushed);
            p->pushAudio(std::span<const int16_t>(call).subspan(pushed, n));
            pushed += n;
            while (pushed >= ticked + audio::kFrameSamples) {
                step({});
                ticked += audio::kFrameSamples;
            }
        }
        Timing t;
        if (auto* e = rec.first(K::UserStartedSpeaking)) t.started = e->ms;
        if (auto* e = rec.first(K::UserStoppedSpeaking)) t.stopped = e->ms;
        if (auto* e = rec.first(K::UserTurn)) t.turn = e->ms;
        t.sttSamples = world.sttSamples;
        return t;
    }
};

TEST_F(FrameSizes, Reference320) {
    Timing t = run(320);
    EXPECT_EQ(t.started, 240);
    // Voice ends at 1200 ms; 18 silent frames (vadStopSeconds 0.35) later the utterance
    // ends: the WebRTC VAD's own hangover frames are not counted as voice.
    EXPECT_EQ(t.stopped, 1540);
    // waitSeconds (0.4) from the last voiced frame (1180); the final is in at 1560.
    EXPECT_EQ(t.turn, 1580);
    // Pre-roll (all 240 ms before the onset; it keeps up to 300) + onset (240) up to the
    // frame that ended the utterance (1540).
    EXPECT_EQ(t.sttSamples, size_t(240 * 16 + (1540 - 240) * 16));
}

class OddFrameSizes : public FrameSizes, public ::testing::WithParamInterface<size_t> {};

TEST_P(OddFrameSizes, DriveTheVadLike20msFrames) {
    Timing t = run(GetParam());
    // Same decisions as with 320-sample frames (Reference320); a big chunk is analysed as
    // soon as it is pushed, so an edge may show up to one chunk (< 4 frames) early.
    const int64_t slack = (static_cast<int64_t>(GetParam()) / audio::kFrameSamples + 1) * 20;
    EXPECT_NEAR(t.started, 240, slack);
    EXPECT_NEAR(t.stopped, 1540, slack);
    EXPECT_NEAR(t.turn, 1580, slack);
    EXPECT_EQ(rec.count(K::UserStartedSpeaking), 1);
    EXPECT_EQ(rec.count(K::UserStoppedSpeaking), 1);
    EXPECT_EQ(rec.first(K::UserTurn)->text, "Hello there.");
    // The STT heard as much as with 20 ms frames, give or take one chunk at either edge.
    EXPECT_NEAR(static_cast<double>(t.sttSamples), 1540 * 16,
                static_cast<double>(GetParam() + audio::kFrameSamples));
}

INSTANTIATE_TEST_SUITE_P(Chunks, OddFrameSizes, ::testing::Values(100, 160, 321, 1000, 4000));

}  // namespace
}  // namespace voxa::pipeline::test
