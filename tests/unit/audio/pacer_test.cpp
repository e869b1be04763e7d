#include "audio/pacer.h"

#include <gtest/gtest.h>

#include <random>

namespace voxa::audio {

namespace {

// A ramp makes every sample's position checkable after wrap-around and growth.
Samples ramp(size_t n, int start) {
    Samples s(n);
    for (size_t i = 0; i < n; ++i)
        s[i] = static_cast<int16_t>((start + static_cast<int>(i)) % 30000);
    return s;
}

}  // namespace

TEST(Pacer, HandsOutWholeFramesAndWaitsForTheRest) {
    Pacer p;
    p.push(ramp(1000, 0));
    EXPECT_EQ(p.queuedSamples(), 1000u);
    EXPECT_EQ(p.queuedMs(), 62);
    Frame f;
    for (int i = 0; i < 3; ++i) {
        ASSERT_TRUE(p.next(f));
        EXPECT_EQ(f.samples[0], i * kFrameSamples);
        EXPECT_EQ(f.samples[kFrameSamples - 1], i * kFrameSamples + kFrameSamples - 1);
    }
    EXPECT_FALSE(p.next(f));  // 40 samples left, utterance still open: an underrun
    EXPECT_EQ(p.underruns(), 1u);
    EXPECT_EQ(p.queuedSamples(), 40u);
    EXPECT_TRUE(p.inUtterance());
}

TEST(Pacer, FlushPadsTheTailWithSilence) {
    Pacer p;
    p.push(ramp(1000, 0));
    Frame f;
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(p.next(f));
    p.flush();
    EXPECT_FALSE(p.inUtterance());
    ASSERT_TRUE(p.next(f));
    EXPECT_EQ(f.samples[0], 960);
    EXPECT_EQ(f.samples[39], 999);
    for (int i = 40; i < kFrameSamples; ++i) ASSERT_EQ(f.samples[i], 0) << i;
    EXPECT_FALSE(p.next(f));  // idle after the utterance: not an underrun
    EXPECT_EQ(p.underruns(), 0u);
    EXPECT_EQ(p.framesOut(), 4u);
}

TEST(Pacer, FlushOnAFrameBoundaryAddsNothing) {
    Pacer p;
    p.push(ramp(640, 0));
    p.flush();
    EXPECT_EQ(p.queuedSamples(), 640u);
    p.flush();  // idempotent
    EXPECT_EQ(p.queuedSamples(), 640u);
}

TEST(Pacer, NextUtteranceStartsOnAFreshFrame) {
    Pacer p;
    p.push(ramp(100, 0));
    p.flush();
    p.push(ramp(320, 5000));
    Frame f;
    ASSERT_TRUE(p.next(f));
    EXPECT_EQ(f.samples[99], 99);
    EXPECT_EQ(f.samples[100], 0);
    ASSERT_TRUE(p.next(f));
    EXPECT_EQ(f.samples[0], 5000);
    EXPECT_EQ(f.samples[319], 5319);
}

TEST(Pacer, ClearDropsEverythingAtOnce) {
    Pacer p;
    p.push(ramp(48000, 0));  // 3 s, more than the initial capacity
    Frame f;
    ASSERT_TRUE(p.next(f));
    p.clear();
    EXPECT_TRUE(p.empty());
    EXPECT_EQ(p.queuedMs(), 0);
    EXPECT_FALSE(p.inUtterance());
    EXPECT_FALSE(p.next(f));
    EXPECT_EQ(p.underruns(), 0u);
    p.push(ramp(320, 7));
    ASSERT_TRUE(p.next(f));
    EXPECT_EQ(f.samples[0], 7);
}

TEST(Pacer, KeepsOrderAcrossWrapAndGrowth) {
    Pacer p(/*initialMs=*/40);  // tiny ring: forces wrap-around and several doublings
    std::mt19937 gen(3);
    Samples expected, got;
    int next = 0;
    Frame f;
    for (int step = 0; step < 5000; ++step) {
        if (gen() % 3 != 0) {
            const size_t n = gen() % 700;
            const Samples chunk = ramp(n, next);
            next += static_cast<int>(n);
            p.push(chunk);
            expected.insert(expected.end(), chunk.begin(), chunk.end());
        }
        if (p.next(f)) got.insert(got.end(), f.samples.begin(), f.samples.end());
    }
    while (p.next(f)) got.insert(got.end(), f.samples.begin(), f.samples.end());
    ASSERT_EQ(got.size() + p.queuedSamples(), expected.size());
    EXPECT_TRUE(std::equal(got.begin(), got.end(), expected.begin()));
}

TEST(JitterStats, PerfectScheduleHasNoJitter) {
    JitterStats s;
    auto t = JitterStats::Clock::time_point{} + std::chrono::seconds(100);
    for (int i = 0; i < 500; ++i) s.tick(t + std::chrono::milliseconds(20) * i);
    EXPECT_EQ(s.ticks(), 500u);
    EXPECT_LE(s.p50Ms(), 0.1);
    EXPECT_LE(s.p99Ms(), 0.1);
    EXPECT_EQ(s.maxMs(), 0.0);
}

TEST(JitterStats, PercentilesSeeLateTicks) {
    using namespace std::chrono;
    JitterStats s;
    const auto t0 = JitterStats::Clock::time_point{} + seconds(1);
    for (int i = 0; i < 1000; ++i) {
        // 1.0 ms early on odd ticks; every 50th tick is 7 ms late (2% of ticks).
        microseconds offset = i % 2 ? -microseconds(1000) : microseconds(0);
        if (i % 50 == 10) offset = microseconds(7000);
        s.tick(t0 + milliseconds(20) * i + offset);
    }
    EXPECT_NEAR(s.p50Ms(), 1.0, 0.11);
    EXPECT_NEAR(s.p99Ms(), 7.0, 0.11);
    EXPECT_DOUBLE_EQ(s.maxMs(), 7.0);
    EXPECT_DOUBLE_EQ(s.lastOffsetMs(), -1.0);
}

TEST(JitterStats, DriftingTimerShowsAndReanchorRestarts) {
    using namespace std::chrono;
    JitterStats s;
    auto t = JitterStats::Clock::time_point{} + seconds(1);
    for (int i = 0; i < 100; ++i, t += microseconds(20100)) s.tick(t);  // re-armed relative
    EXPECT_NEAR(s.lastOffsetMs(), 9.9, 1e-9);
    s.reanchor();
    s.tick(t + seconds(5));
    EXPECT_EQ(s.lastOffsetMs(), 0.0);
    JitterStats empty;
    EXPECT_EQ(empty.p99Ms(), 0.0);
}

TEST(JitterStats, HugeStallsLandInTheOverflowBucket) {
    using namespace std::chrono;
    JitterStats s;
    const auto t0 = JitterStats::Clock::time_point{};
    s.tick(t0);
    s.tick(t0 + milliseconds(20) + milliseconds(350));
    EXPECT_DOUBLE_EQ(s.p99Ms(), 350.0);
}

}  // namespace voxa::audio
