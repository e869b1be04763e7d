// The local TTS worker (src/providers/local/tts_worker.h): what reaches the engines is
// bounded, sessions take turns on the compute pool, cancel/close/shutdown stop work, pacing
// keeps synthesis near playback, and flite runs calls in parallel.
#include <gtest/gtest.h>

#include <boost/asio/thread_pool.hpp>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include "local_test_util.h"
#include "providers/local/tts_flite.h"
#include "providers/local/tts_worker.h"

namespace voxa::providers::local::test {

namespace {

using namespace std::chrono_literals;

std::string longWord(size_t n) {
    std::string w;
    for (size_t i = 0; i < n; ++i) w.push_back(char('a' + i % 26));
    return w;
}

/// Callbacks counting what came back, per utterance id.
struct Events {  // (callbacks run on the test's loop thread)
    std::map<uint64_t, size_t> samples;
    std::vector<uint64_t> done;
    std::vector<uint64_t> errors;
    size_t callbacks = 0;
    TtsCallbacks cbs() {
        return {.onAudio = [this](uint64_t id, audio::Samples s) {
                    samples[id] += s.size();
                    ++callbacks;
                },
                .onDone = [this](uint64_t id) {
                    done.push_back(id);
                    ++callbacks;
                },
                .onError = [this](uint64_t id, const std::string&) {
                    errors.push_back(id);
                    ++callbacks;
                }};
    }
};

/// An engine that "speaks" `seconds` of audio per sentence (in 50 ms chunks) after `delay`.
struct FakeEngine {
    double seconds = 0.1;
    std::chrono::milliseconds delay{0};
    std::mutex mu;
    std::vector<std::string> sentences;
    SynthFn fn() {
        return [this](const std::string& s, const PcmSink& sink) -> std::string {
            {
                std::lock_guard lk(mu);
                sentences.push_back(s);
            }
            if (delay.count()) std::this_thread::sleep_for(delay);
            std::vector<int16_t> chunk(800, 100);
            for (double t = 0; t < seconds; t += 0.05)
                if (!sink(chunk, audio::kRate)) break;
            return "";
        };
    }
    size_t count() {
        std::lock_guard lk(mu);
        return sentences.size();
    }
};

}  // namespace

TEST(TtsWorker, EnginesGetBoundedSentencesWhateverTheText) {
    Loop loop;
    Events ev;
    FakeEngine engine;
    engine.seconds = 0.05;
    WorkerTtsSession tts(loop.ctx, ev.cbs(), engine.fn(), "");
    tts.speak(1, longWord(4000));
    tts.speak(2, std::string(200 * 1024, 'x'));  // a 200 KB word
    tts.speak(3, "Thanks for calling. Goodbye.");
    ASSERT_TRUE(loop.runUntil([&] { return ev.done.size() == 3; }));
    EXPECT_EQ(ev.done, (std::vector<uint64_t>{1, 2, 3}));
    size_t total = 0;
    for (auto& s : engine.sentences) {
        EXPECT_LE(s.size(), kMaxSentenceBytes);
        total += s.size();
    }
    // 4,000 + 4,000 (the 200 KB word cut to the utterance limit) + the last two, with the
    // spaces that split the long words.
    EXPECT_LE(total, 2 * (kMaxUtteranceBytes + kMaxUtteranceBytes / kMaxWordBytes + 1) + 40);
    EXPECT_EQ(engine.sentences.back(), "Goodbye.");
    EXPECT_EQ(engine.sentences[engine.sentences.size() - 2], "Thanks for calling.");
}

TEST(TtsWorker, SessionsTakeTurnsOnTheComputePool) {
    Loop loop;
    boost::asio::thread_pool one(1);  // the worst case: a single compute thread
    Context ctx = loop.ctx;
    ctx.compute = &one;
    Events evA, evB;
    FakeEngine a, b;
    a.delay = 20ms;
    std::atomic<size_t> aSentencesWhenBSpoke{0};
    SynthFn bFn = [&](const std::string& s, const PcmSink& sink) {
        aSentencesWhenBSpoke = a.count();
        return b.fn()(s, sink);
    };
    WorkerTtsSession ttsA(ctx, evA.cbs(), a.fn(), "");
    WorkerTtsSession ttsB(ctx, evB.cbs(), bFn, "");
    ttsA.speak(1, longWord(4000));  // ~21 sentences of 20 ms each
    ASSERT_TRUE(loop.runUntil([&] { return a.count() >= 1; }));
    ttsB.speak(1, "Hello there.");
    ASSERT_TRUE(loop.runUntil([&] { return evB.done.size() == 1; }));
    // B waited for the sentence A was on (and at most one more), not for A's whole text.
    EXPECT_LE(aSentencesWhenBSpoke.load(), 3u);
    EXPECT_LT(a.count(), 10u);
    ASSERT_TRUE(loop.runUntil([&] { return evA.done.size() == 1; }));
    ttsA.close();
    ttsB.close();
    one.join();
}

TEST(TtsWorker, CancelStopsTheSentenceInProgressAndWhatIsQueued) {
    Loop loop;
    Events ev;
    std::atomic<bool> returned{false};
    // A sentence that would stream for 60 s unless its sink says stop.
    SynthFn endless = [&](const std::string&, const PcmSink& sink) -> std::string {
        std::vector<int16_t> chunk(800, 100);
        for (int i = 0; i < 1200; ++i) {
            if (!sink(chunk, audio::kRate)) break;
            std::this_thread::sleep_for(1ms);
        }
        returned = true;
        return "";
    };
    WorkerTtsSession tts(loop.ctx, ev.cbs(), endless, "");
    tts.speak(1, "One. Two. Three.");
    ASSERT_TRUE(loop.runUntil([&] { return ev.samples[1] > 0; }));
    tts.cancel();
    size_t atCancel = ev.callbacks;
    EXPECT_TRUE(loop.runUntil([&] { return returned.load(); }, 5s))
        << "the engine was not told to stop";
    loop.runFor(200ms);
    EXPECT_EQ(ev.callbacks, atCancel) << "callbacks after cancel()";
    EXPECT_TRUE(ev.done.empty());
}

TEST(TtsWorker, StoppingServerDropsQueuedWork) {
    // The compute pool outlives the loop, as in app.cpp: the loop's last callbacks free the
    // worker, whose strand lives in the pool's services (ASan caught the other order).
    boost::asio::thread_pool pool(1);
    Loop loop;
    std::atomic<bool> stopping{false};
    Context ctx = loop.ctx;
    ctx.compute = &pool;
    ctx.stopping = &stopping;
    Events ev;
    FakeEngine engine;
    engine.delay = 10ms;
    SynthFn fn = [&](const std::string& s, const PcmSink& sink) {
        if (engine.count() == 1) stopping = true;  // the server stops during sentence 2
        return engine.fn()(s, sink);
    };
    auto tts = std::make_unique<WorkerTtsSession>(ctx, ev.cbs(), fn, "");
    tts->speak(1, longWord(4000));
    tts->speak(2, "And another thing.");
    // As at shutdown: the call's loop no longer runs, nobody closes the session, and the
    // compute pool is joined. Only the sentence in progress is finished.
    auto t0 = Clock::now();
    pool.join();
    EXPECT_LT(Clock::now() - t0, 5s);
    EXPECT_EQ(engine.count(), 2u);
    tts.reset();
}

TEST(TtsWorker, SynthesisStaysNearPlaybackAndCancelEndsTheWait) {
    Loop loop;
    Events ev;
    FakeEngine engine;
    engine.seconds = 8;  // each sentence is 8 s of audio, made at once
    WorkerTtsSession tts(loop.ctx, ev.cbs(), engine.fn(), "");
    std::string text;
    for (int i = 0; i < 20; ++i) text += "This is sentence number " + std::to_string(i) + ". ";
    tts.speak(1, text);
    loop.runFor(700ms);
    // 2 sentences are 16 s ahead of playback: the third waits until the lead is 10 s.
    EXPECT_GE(engine.count(), 2u);
    EXPECT_LE(engine.count(), 3u) << "synthesis ran far ahead of playback";
    // A barge-in ends the wait: the next utterance is spoken now, not in ~6 s.
    tts.cancel();
    size_t before = engine.count();
    auto t0 = Clock::now();
    tts.speak(2, "Yes?");
    ASSERT_TRUE(loop.runUntil([&] { return !ev.done.empty(); }, 3s));
    EXPECT_EQ(ev.done, (std::vector<uint64_t>{2}));
    EXPECT_EQ(engine.count(), before + 1);
    EXPECT_EQ(engine.sentences.back(), "Yes?");
    std::printf("[ measure  ] utterance after a barge-in during a pacing wait: done after %.0f ms\n",
                std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
}

// ---- flite, the real engine ----------------------------------------------------------------

namespace {

/// Wraps a real flite SynthFn, recording when each session's engine was producing audio.
struct Timeline {
    std::mutex mu;
    std::vector<std::pair<Clock::time_point, Clock::time_point>> spans;  // first..last chunk
    SynthFn wrap(SynthFn inner) {
        return [this, inner](const std::string& s, const PcmSink& sink) {
            Clock::time_point first{}, last{};
            PcmSink spy = [&](std::span<const int16_t> pcm, int rate) {
                auto now = Clock::now();
                if (first == Clock::time_point{}) first = now;
                last = now;
                return sink(pcm, rate);
            };
            auto err = inner(s, spy);
            std::lock_guard lk(mu);
            if (first != Clock::time_point{}) spans.emplace_back(first, last);
            return err;
        };
    }
};

SynthFn flite(const char* config) {
    std::string err;
    auto fn = makeFliteSynth(obj(config), err);
    EXPECT_TRUE(fn) << err;
    return fn;
}

const char* kText =
    "Your appointment is on Tuesday at three in the afternoon, with doctor Morgan. "
    "Please bring your insurance card and arrive ten minutes early. "
    "If you need to cancel, call us one day before.";

/// Speaks kText on `n` sessions at once; returns each session's PCM and the wall time.
std::pair<std::vector<audio::Samples>, double> speakOnSessions(Loop& loop, int n, const char* config,
                                                               Timeline* timeline = nullptr) {
    std::vector<audio::Samples> pcm(static_cast<size_t>(n));
    int done = 0;
    std::vector<std::unique_ptr<WorkerTtsSession>> sessions;
    for (int i = 0; i < n; ++i) {
        auto fn = flite(config);
        if (timeline) fn = timeline[i].wrap(fn);
        sessions.push_back(std::make_unique<WorkerTtsSession>(
            loop.ctx,
            TtsCallbacks{.onAudio = [&pcm, i](uint64_t, audio::Samples s) {
                             pcm[size_t(i)].insert(pcm[size_t(i)].end(), s.begin(), s.end());
                         },
                         .onDone = [&done](uint64_t) { ++done; },
                         .onError = [&done](uint64_t, const std::string&) { ++done; }},
            fn, ""));
    }
    auto t0 = Clock::now();
    for (auto& s : sessions) s->speak(1, kText);
    EXPECT_TRUE(loop.runUntil([&] { return done == n; }, 60s));
    double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    for (auto& s : sessions) s->close();
    return {std::move(pcm), ms};
}

}  // namespace

TEST(TtsWorkerFlite, TwoCallsSynthesizeAtTheSameTime) {
    Loop loop;  // two compute threads
    speakOnSessions(loop, 2, R"({"voiceId":"slt"})");  // both threads register their voices
    auto [alone, aloneMs] = speakOnSessions(loop, 1, R"({"voiceId":"slt"})");
    Timeline timelines[2];
    auto [both, bothMs] = speakOnSessions(loop, 2, R"({"voiceId":"slt"})", timelines);
    std::printf("[ measure  ] flite slt, %zu samples of speech: one call %.0f ms, two calls at "
                "once %.0f ms (serialized would be ~%.0f ms; %u cores)\n",
                alone[0].size(), aloneMs, bothMs, 2 * aloneMs,
                std::thread::hardware_concurrency());
    // Parallel, not serialized: while one session's engine was producing audio, so was the
    // other's (under a process-wide lock their sentences could never overlap).
    bool overlap = false;
    for (auto& a : timelines[0].spans)
        for (auto& b : timelines[1].spans)
            if (a.first < b.second && b.first < a.second) overlap = true;
    ASSERT_FALSE(timelines[0].spans.empty());
    ASSERT_FALSE(timelines[1].spans.empty());
    EXPECT_TRUE(overlap) << "the two sessions' synthesis never overlapped in time";
    EXPECT_GT(both[0].size(), size_t(audio::kRate * 5));
    EXPECT_GT(both[1].size(), size_t(audio::kRate * 5));
}

TEST(TtsWorkerFlite, ParallelSynthesisGivesTheSameAudioAsSerial) {
    // kal16 is deterministic: any state shared between threads' voices would show here.
    Loop loop;
    auto [serial, ms1] = speakOnSessions(loop, 1, R"({"voiceId":"kal16"})");
    ASSERT_GT(serial[0].size(), size_t(audio::kRate * 5));
    for (int round = 0; round < 3; ++round) {
        auto [par, ms2] = speakOnSessions(loop, 4, R"({"voiceId":"kal16"})");
        for (auto& p : par) EXPECT_EQ(p, serial[0]) << "round " << round;
    }
}

TEST(TtsWorkerFlite, ALongWordStartsSoonAndStopsAtCancel) {
    Loop loop;
    Events ev;
    std::atomic<int> sentences{0}, callsAfterStop{0};
    std::atomic<bool> stoppedMidSentence{false};
    SynthFn inner = flite(R"({"voiceId":"slt"})");
    SynthFn counted = [&](const std::string& s, const PcmSink& sink) {
        ++sentences;
        bool stopped = false;
        PcmSink spy = [&](std::span<const int16_t> pcm, int rate) {
            if (stopped) ++callsAfterStop;
            stopped = !sink(pcm, rate);
            return !stopped;
        };
        auto err = inner(s, spy);
        if (stopped) stoppedMidSentence = true;
        return err;
    };
    WorkerTtsSession tts(loop.ctx, ev.cbs(), counted, "");
    auto t0 = Clock::now();
    tts.speak(1, longWord(4000));
    ASSERT_TRUE(loop.runUntil([&] { return ev.samples[1] > 0; }, 30s));
    std::printf("[ measure  ] flite slt, 4,000-letter word: first audio after %.0f ms\n",
                std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    tts.cancel();
    size_t atCancel = ev.callbacks;
    int started = sentences;
    // flite honours the streaming callback's stop: the sentence ends, nothing more streams.
    EXPECT_TRUE(loop.runUntil([&] { return stoppedMidSentence.load(); }, 10s));
    loop.runFor(500ms);
    EXPECT_EQ(callsAfterStop.load(), 0);
    EXPECT_EQ(ev.callbacks, atCancel);
    EXPECT_EQ(sentences.load(), started) << "sentences were synthesized after cancel()";
    EXPECT_TRUE(ev.done.empty());
}

}  // namespace voxa::providers::local::test
