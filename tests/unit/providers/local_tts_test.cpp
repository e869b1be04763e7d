#include <gtest/gtest.h>

#include <algorithm>

#include "local_test_util.h"

namespace voxa::providers::local::test {

namespace {

struct Event {
    char kind;  // 'a' audio, 'd' done, 'e' error
    uint64_t id;
    size_t samples = 0;
};

struct Recorder {
    std::vector<Event> events;
    std::string lastError;
    TtsCallbacks callbacks() {
        return {.onAudio = [this](uint64_t id, audio::Samples s) {
                    events.push_back({'a', id, s.size()});
                },
                .onDone = [this](uint64_t id) { events.push_back({'d', id}); },
                .onError = [this](uint64_t id, const std::string& e) {
                    events.push_back({'e', id});
                    lastError = e;
                }};
    }
    size_t count(char kind) const {
        return size_t(std::count_if(events.begin(), events.end(),
                                    [&](auto& e) { return e.kind == kind; }));
    }
    size_t samples(uint64_t id) const {
        size_t n = 0;
        for (auto& e : events)
            if (e.kind == 'a' && e.id == id) n += e.samples;
        return n;
    }
};

}  // namespace

TEST(LocalTts, UtterancesArriveInOrderWithStreamedChunks) {
    Loop loop;
    Recorder rec;
    auto tts = makeTtsProvider()->open(obj("{}"), loop.ctx, rec.callbacks());
    auto t0 = Clock::now();
    Clock::time_point firstAudio{};
    tts->speak(1, "Hello there, thanks for calling.");
    tts->speak(2, "Your appointment is on Tuesday at three. Is that still fine?");
    tts->speak(3, "Goodbye.");
    ASSERT_TRUE(loop.runUntil([&] {
        if (firstAudio == Clock::time_point{} && rec.count('a') > 0) firstAudio = Clock::now();
        return rec.count('d') == 3;
    }));
    std::printf("[ measure  ] flite slt time to first audio (cold, incl. voice registration): "
                "%.1f ms\n",
                std::chrono::duration<double, std::milli>(firstAudio - t0).count());
    EXPECT_EQ(rec.count('e'), 0u) << rec.lastError;
    // Ids never go backwards; each utterance's done follows its own audio.
    uint64_t cur = 1;
    for (auto& e : rec.events) {
        ASSERT_GE(e.id, cur);
        cur = e.id;
        if (e.kind == 'd') ++cur;
    }
    for (uint64_t id = 1; id <= 3; ++id) EXPECT_GT(rec.samples(id), size_t(audio::kRate / 4));
    // Streaming: the two-sentence utterance comes in several chunks.
    EXPECT_GT(std::count_if(rec.events.begin(), rec.events.end(),
                            [](auto& e) { return e.kind == 'a' && e.id == 2; }),
              3);

    // Warm time to first audio.
    size_t before = rec.events.size();
    auto t1 = Clock::now();
    tts->speak(4, "Let me check that for you.");
    ASSERT_TRUE(loop.runUntil([&] { return rec.events.size() > before; }));
    std::printf("[ measure  ] flite slt time to first audio (warm): %.1f ms\n",
                std::chrono::duration<double, std::milli>(Clock::now() - t1).count());
    ASSERT_TRUE(loop.runUntil([&] { return rec.count('d') == 4; }));
}

TEST(LocalTts, CancelStopsAllFurtherAudio) {
    Loop loop;
    Recorder rec;
    std::unique_ptr<TtsSession> tts;
    size_t atCancel = 0;
    auto cb = rec.callbacks();
    auto onAudio = cb.onAudio;
    cb.onAudio = [&](uint64_t id, audio::Samples s) {
        onAudio(id, std::move(s));
        if (atCancel == 0) {  // barge-in right after the first chunk
            tts->cancel();
            atCancel = rec.events.size();
        }
    };
    tts = makeTtsProvider()->open(obj(R"({"voiceId":"slt"})"), loop.ctx, cb);
    tts->speak(1, "This is a long answer. It has several sentences. Each one takes a while to "
                  "say. Nobody will hear the end of it.");
    tts->speak(2, "And this one is queued behind it.");
    loop.runFor(std::chrono::milliseconds(1500));
    EXPECT_EQ(atCancel, 1u);
    EXPECT_EQ(rec.events.size(), atCancel) << "callbacks after cancel()";
    // The session stays usable after a barge-in.
    tts->speak(3, "Sure.");
    ASSERT_TRUE(loop.runUntil([&] { return rec.count('d') == 1; }));
    EXPECT_EQ(rec.events.back().id, 3u);
    EXPECT_EQ(rec.samples(2), 0u);
}

TEST(LocalTts, CloseSuppressesCallbacks) {
    Loop loop;
    Recorder rec;
    auto tts = makeTtsProvider()->open(obj("{}"), loop.ctx, rec.callbacks());
    tts->speak(1, "One two three. Four five six.");
    tts->close();
    loop.runFor(std::chrono::milliseconds(500));
    EXPECT_TRUE(rec.events.empty());
}

TEST(LocalTts, UnknownVoiceReportsError) {
    Loop loop;
    Recorder rec;
    auto tts = makeTtsProvider()->open(obj(R"({"voiceId":"nosuchvoice"})"), loop.ctx,
                                       rec.callbacks());
    tts->speak(7, "Hello.");
    ASSERT_TRUE(loop.runUntil([&] { return !rec.events.empty(); }));
    EXPECT_EQ(rec.events[0].kind, 'e');
    EXPECT_EQ(rec.events[0].id, 7u);
    EXPECT_NE(rec.lastError.find("nosuchvoice"), std::string::npos);
}

TEST(LocalTts, AllFliteVoicesSpeak) {
    Loop loop;
    for (auto* v : {"slt", "kal16", "rms", "awb", "cmu_us_slt"}) {
        auto cfg = std::string(R"({"voiceId":")") + v + "\"}";
        EXPECT_GT(synthesize(loop, "Testing one two.", cfg.c_str()).size(), size_t(8000)) << v;
    }
}

TEST(LocalTts, AnUtteranceOpensWithItsSoundNotFlitesPause) {
    // flite starts every utterance with ~220 ms of near-silence: latency a caller hears as
    // nothing. What is left before the first sound is a short attack, for every voice.
    Loop loop;
    for (auto* v : {"slt", "kal16", "rms", "awb"}) {
        auto cfg = std::string(R"({"voiceId":")") + v + "\"}";
        for (auto* text : {"Okay, noted.", "Sure.", "Thanks for calling."}) {
            auto pcm = synthesize(loop, text, cfg.c_str());
            auto first = std::find_if(pcm.begin(), pcm.end(), [](int16_t x) { return x >= 400 || x <= -400; });
            ASSERT_NE(first, pcm.end()) << v << ": " << text;
            auto leadMs = (first - pcm.begin()) * 1000 / audio::kRate;
            EXPECT_LE(leadMs, 70) << v << ": " << text;
            EXPECT_GE(leadMs, 20) << v << ": " << text << " (the attack is kept)";
        }
    }
}

TEST(LocalTts, SpeedStretchesDuration) {
    Loop loop;
    auto normal = synthesize(loop, "The quick brown fox jumps over the lazy dog.");
    auto fast = synthesize(loop, "The quick brown fox jumps over the lazy dog.",
                           R"({"voiceId":"slt","speed":2})");
    auto slow = synthesize(loop, "The quick brown fox jumps over the lazy dog.",
                           R"({"voiceId":"slt","speed":0.5})");
    ASSERT_GT(normal.size(), 0u);
    EXPECT_LT(fast.size(), normal.size() * 3 / 4);
    EXPECT_GT(slow.size(), normal.size() * 3 / 2);
}

TEST(LocalTts, EspeakSpeaksOtherLanguages) {
    Loop loop;
    auto t0 = Clock::now();
    auto de = synthesize(loop, "Guten Tag, wie kann ich Ihnen helfen?", R"({"language":"de"})");
    std::printf("[ measure  ] espeak-ng de total synthesis (cold): %.1f ms for %.2f s audio\n",
                std::chrono::duration<double, std::milli>(Clock::now() - t0).count(),
                double(de.size()) / audio::kRate);
    // ~2 s of speech, resampled from 22050 Hz to 16 kHz.
    EXPECT_GT(de.size(), size_t(audio::kRate));
    EXPECT_LT(de.size(), size_t(audio::kRate * 6));
    EXPECT_GT(synthesize(loop, "Bonjour.", R"({"voiceId":"espeak:fr"})").size(), size_t(4000));
    EXPECT_GT(synthesize(loop, "Hello.", R"({"voiceId":"espeak:en-us"})").size(), size_t(4000));
    EXPECT_GT(synthesize(loop, "Olá.", R"({"language":"pt-BR"})").size(), size_t(4000));

    Recorder rec;
    auto tts = makeTtsProvider()->open(obj(R"({"language":"xx-nonsense"})"), loop.ctx,
                                       rec.callbacks());
    tts->speak(3, "Hallo.");
    ASSERT_TRUE(loop.runUntil([&] { return !rec.events.empty(); }));
    EXPECT_EQ(rec.events[0].kind, 'e');
}

TEST(LocalTts, EmptyTextIsDoneWithoutAudio) {
    Loop loop;
    Recorder rec;
    auto tts = makeTtsProvider()->open(obj("{}"), loop.ctx, rec.callbacks());
    tts->speak(1, "   ");
    ASSERT_TRUE(loop.runUntil([&] { return rec.count('d') == 1; }));
    EXPECT_EQ(rec.count('a'), 0u);
}

}  // namespace voxa::providers::local::test
