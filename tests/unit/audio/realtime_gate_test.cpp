#include "audio/realtime_gate.h"

#include <gtest/gtest.h>

using voxa::audio::RealtimeGate;
using namespace std::chrono_literals;

namespace {

constexpr int kRate = 16000;
constexpr size_t kFrame = 320;  // 20 ms

}  // namespace

TEST(RealtimeGate, RealTimeSenderLosesNothing) {
    RealtimeGate g({.rate = kRate, .burstSeconds = 1.0});
    auto t = RealtimeGate::Clock::time_point{} + 1h;
    size_t admitted = 0;
    for (int i = 0; i < 50 * 600; ++i) {  // ten minutes of 20 ms frames, exactly on time
        admitted += g.admit(t, kFrame);
        t += 20ms;
    }
    EXPECT_EQ(admitted, size_t(50 * 600) * kFrame);
    EXPECT_EQ(g.droppedSamples(), 0);
}

TEST(RealtimeGate, JitterWithinTheBurstIsAbsorbed) {
    RealtimeGate g({.rate = kRate, .burstSeconds = 1.0});
    auto t = RealtimeGate::Clock::time_point{} + 1h;
    // A network stall of 800 ms, then the 40 frames it held arrive at once, then on time.
    for (int i = 0; i < 100; ++i) { g.admit(t, kFrame); t += 20ms; }
    t += 800ms;
    for (int i = 0; i < 40; ++i) g.admit(t, kFrame);
    for (int i = 0; i < 100; ++i) { t += 20ms; g.admit(t, kFrame); }
    EXPECT_EQ(g.droppedSamples(), 0);
}

TEST(RealtimeGate, TenTimesRealTimeIsCutToRealTimePlusBurst) {
    RealtimeGate g({.rate = kRate, .burstSeconds = 1.0});
    auto t = RealtimeGate::Clock::time_point{} + 1h;
    size_t admitted = 0, offered = 0;
    for (int i = 0; i < 500; ++i) {  // 10 s of audio sent in 1 s: a frame every 2 ms
        admitted += g.admit(t, kFrame);
        offered += kFrame;
        t += 2ms;
    }
    // One second passed: at most one second of real time plus the one-second burst got in.
    EXPECT_LE(admitted, size_t(2 * kRate + kFrame));
    EXPECT_GE(admitted, size_t(2 * kRate - kFrame));
    EXPECT_EQ(static_cast<size_t>(g.droppedSamples()), offered - admitted);
    EXPECT_NEAR(g.droppedSeconds(), 8.0, 0.05);
}

TEST(RealtimeGate, IdleTimeDoesNotBankMoreThanTheBurst) {
    RealtimeGate g({.rate = kRate, .burstSeconds = 0.5});
    auto t = RealtimeGate::Clock::time_point{} + 1h;
    g.admit(t, kFrame);
    t += 60s;  // a minute of silence, then a 10 s dump
    size_t n = g.admit(t, 10 * kRate);
    EXPECT_EQ(n, size_t(kRate / 2));
    EXPECT_EQ(g.droppedSamples(), 10 * kRate - kRate / 2);
}

TEST(RealtimeGate, ClockGoingBackwardsAdmitsNothingExtra) {
    RealtimeGate g({.rate = kRate, .burstSeconds = 0.1});
    auto t = RealtimeGate::Clock::time_point{} + 1h;
    EXPECT_EQ(g.admit(t, 1600), 1600u);
    EXPECT_EQ(g.admit(t - 5s, 1600), 0u);
    EXPECT_EQ(g.admit(t + 50ms, 1600), 800u);
}
