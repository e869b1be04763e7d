// voxa_provider_to_wire_seconds: what Voxa adds between a provider's answer and the caller
// (pipeline.h), recorded per utterance from the read of the provider's bytes.
#include <gtest/gtest.h>

#include "common/metrics.h"
#include "unit/pipeline/harness.h"

namespace voxa::pipeline::test {
namespace {

using K = FrameKind;
using namespace std::chrono_literals;

struct Series {
    uint64_t count = 0;
    double sum = 0;
};

Series series(const std::string& kind, const std::string& provider) {
    for (auto& family : metrics::registry().Collect()) {
        if (family.name != "voxa_provider_to_wire_seconds") continue;
        for (auto& m : family.metric) {
            std::string k, p;
            for (auto& l : m.label) {
                if (l.name == "kind") k = l.value;
                if (l.name == "provider") p = l.value;
            }
            if (k == kind && p == provider) return {m.histogram.sample_count, m.histogram.sample_sum};
        }
    }
    return {};
}

// What a run added to a series (the registry is the process's: other tests record too).
struct Delta {
    Series before;
    std::string kind;
    Series now() const {
        auto s = series(kind, "fake");
        return {s.count - before.count, s.sum - before.sum};
    }
};
Delta watch(const char* kind) { return {series(kind, "fake"), kind}; }

class ProviderToWire : public PipelineTest {
protected:
    void zeroWaits() {
        plan("startSpeakingPlan") = json::object{
            {"waitSeconds", 0},
            {"transcriptionEndpointingPlan",
             json::object{{"onPunctuationSeconds", 0}, {"onNoPunctuationSeconds", 0}, {"onNumberSeconds", 0}}}};
    }
};

TEST_F(ProviderToWire, AReplyIsTimedFromTheReadOfItsFinalAndOfItsFirstAudio) {
    zeroWaits();
    world.providerReadAgo = 4ms;  // each provider message was read 4 ms before its callback
    world.stt.push_back({.final = "I'd like to book a table."});
    // A long first sentence: the second one's audio is in while the first still plays.
    world.llmReplies.push_back({.text = "Sure, I can book a table for you tonight. How many people?"});
    auto voice = watch("voice"), transcriber = watch("transcriber");
    start();
    quiet(200);
    speak(1000);
    runToBotStopped();
    ASSERT_EQ(rec.count(K::TtsText), 2);
    EXPECT_EQ(transcriber.now().count, 1u);  // one turn answered
    // The first sentence only: the second waited for the first to be played, not for Voxa.
    EXPECT_EQ(voice.now().count, 1u);
    // From the reads, not from the callbacks: the provider's 4 ms are in, the simulated
    // model time (200 ms) is not real time here.
    EXPECT_GE(transcriber.now().sum, 0.004);
    EXPECT_GE(voice.now().sum, 0.004);
    EXPECT_LT(transcriber.now().sum, 2.0);
    EXPECT_LT(voice.now().sum, 2.0);
}

TEST_F(ProviderToWire, ASpeakIsAVoiceSampleButAnswersNoTranscript) {
    auto voice = watch("voice"), transcriber = watch("transcriber");
    start();
    Frame f{.kind = K::Speak};
    f.text = "Hello there, thanks for calling.";
    p->inject(std::move(f));
    runToBotStopped();
    EXPECT_EQ(voice.now().count, 1u);
    EXPECT_EQ(transcriber.now().count, 0u);
}

TEST_F(ProviderToWire, InjectedTurnsAndDtmfAreNotTimed) {
    world.llmReplies.push_back({.text = "Hello, thanks for calling the booking line today! How can I help?"});
    auto voice = watch("voice"), transcriber = watch("transcriber");
    start();
    // assistant-speaks-first-with-model-generated-message: a turn no transcript ended.
    p->inject(Frame{.kind = K::UserTurn, .text = ""});
    runToBotStopped();
    EXPECT_EQ(transcriber.now().count, 0u);
    EXPECT_EQ(voice.now().count, 1u);  // its first sentence still came from the voice
    Frame tones{.kind = K::Speak, .pcm = audio::Samples(audio::kRate / 5, 1000)};
    p->inject(std::move(tones));  // DTMF: ready-made audio, no provider
    runToBotStopped(2);
    EXPECT_EQ(voice.now().count, 1u);
}

// A voice whose first chunk is shorter than a frame: the chunk that completes the frame asks
// for a tick at once (it used to wait for the next 20 ms tick), and is where the voice's part
// of the latency ends.
TEST_F(ProviderToWire, AShortFirstChunkIsPlayedWhenTheFrameIsComplete) {
    world.ttsFirstChunkSamples = 100;
    auto voice = watch("voice");
    start();
    Frame f{.kind = K::Speak};
    f.text = "Hello there.";
    p->inject(std::move(f));
    runToBotStopped();
    EXPECT_FALSE(rec.readyMs.empty());
    EXPECT_EQ(voice.now().count, 1u);
}

}  // namespace
}  // namespace voxa::pipeline::test
