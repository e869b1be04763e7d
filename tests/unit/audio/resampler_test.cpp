#include "audio/resampler.h"

#include <gtest/gtest.h>

#include <cstdio>

#include "unit/audio/test_signals.h"

namespace voxa::audio {
using namespace test;

namespace {

constexpr int kRates[] = {8000, 16000, 22050, 24000, 44100, 48000};

// Streams `in` through `r` in 20 ms chunks and returns everything produced.
Samples stream(Resampler& r, const Samples& in) {
    const size_t chunk = static_cast<size_t>(r.inRate() / 50);
    Samples out;
    for (size_t pos = 0; pos < in.size(); pos += chunk)
        r.process(std::span(in).subspan(pos, std::min(chunk, in.size() - pos)), out);
    return out;
}

}  // namespace

TEST(Resampler, EveryCallReturnsTwentyMillisecondsWithinOneSample) {
    for (int in : kRates) {
        for (int out : kRates) {
            Resampler r(in, out);
            const size_t chunk = static_cast<size_t>(in / 50);
            const double ideal = out / 50.0;
            const Samples frame = sine(440, in, chunk);
            Samples got;
            size_t total = 0;
            for (int call = 0; call < 250; ++call) {  // 5 s
                got.clear();
                r.process(frame, got);
                ASSERT_LE(std::abs(static_cast<double>(got.size()) - ideal), 1.0)
                    << in << "->" << out << " call " << call;
                total += got.size();
            }
            EXPECT_LE(std::abs(static_cast<double>(total) - ideal * 250), 1.0) << in << "->" << out;
        }
    }
}

TEST(Resampler, SineSurvivesEightToSixteenToEight) {
    const Samples tone = sine(1000, 8000, 8000, 8000.0);  // 1 s
    Resampler up(8000, 16000), down(16000, 8000);
    const Samples wide = stream(up, tone);
    const Samples back = stream(down, wide);
    ASSERT_EQ(wide.size(), 16000u);
    ASSERT_EQ(back.size(), 8000u);

    // Skip the filter start-up, then compare a steady 0.5 s window.
    const auto mid16 = std::span(wide).subspan(4000, 8000);
    const auto mid8 = std::span(back).subspan(2000, 4000);
    const auto ref8 = std::span(tone).subspan(2000, 4000);
    EXPECT_NEAR(zeroCrossingHz(mid16, 16000), 1000.0, 2.0);
    EXPECT_NEAR(zeroCrossingHz(mid8, 8000), 1000.0, 2.0);
    EXPECT_NEAR(rms(mid16), rms(ref8), rms(ref8) * 0.02);
    EXPECT_NEAR(rms(mid8), rms(ref8), rms(ref8) * 0.03);
    // Almost all of the energy is still at 1 kHz (no aliasing or imaging products).
    EXPECT_GT(goertzelPower(mid16, 1000, 16000) / (energy(mid16) / mid16.size()), 0.99);
    EXPECT_GT(goertzelPower(mid8, 1000, 8000) / (energy(mid8) / mid8.size()), 0.99);
}

TEST(Resampler, LatencyIsSmallAndMatchesWhatItReports) {
    for (auto [in, out] : {std::pair{8000, 16000}, {16000, 8000}, {24000, 16000},
                           {48000, 16000}, {16000, 48000}, {44100, 16000}}) {
        Resampler r(in, out);
        // An impulse in the middle of a 100 ms buffer; find where its peak comes out.
        Samples impulse(static_cast<size_t>(in / 10), 0);
        const size_t at = impulse.size() / 2;
        impulse[at] = 20000;
        const Samples got = stream(r, impulse);
        const auto peak = static_cast<size_t>(
            std::max_element(got.begin(), got.end(),
                             [](int16_t a, int16_t b) { return std::abs(a) < std::abs(b); }) -
            got.begin());
        const double expected = static_cast<double>(at) * out / in;
        const double delayMs = (static_cast<double>(peak) - expected) * 1000.0 / out;
        EXPECT_GE(delayMs, 0.0) << in << "->" << out;
        EXPECT_LE(delayMs, 6.0) << in << "->" << out;
        EXPECT_NEAR(static_cast<double>(peak) - expected, r.latencySamples(), 2.0)
            << in << "->" << out;
        std::printf("[ latency  ] %5d -> %5d: %.2f ms (reported %d samples)\n", in, out, delayMs,
                    r.latencySamples());
    }
}

TEST(Resampler, IdentityIsAPassThrough) {
    Resampler r(16000, 16000);
    EXPECT_TRUE(r.passthrough());
    EXPECT_EQ(r.latencySamples(), 0);
    const Samples in = whiteNoise(500, 3000);
    Samples out = {1, 2};
    r.process(in, out);
    ASSERT_EQ(out.size(), 502u);
    EXPECT_TRUE(std::equal(in.begin(), in.end(), out.begin() + 2));
}

TEST(Resampler, ResetForgetsHistory) {
    const Samples a = whiteNoise(1600, 5000, 1), b = sine(300, 8000, 1600);
    Resampler fresh(8000, 16000), used(8000, 16000);
    Samples scratch, x, y;
    used.process(a, scratch);
    used.reset();
    used.process(b, x);
    fresh.process(b, y);
    EXPECT_EQ(x, y);
}

TEST(Resampler, SteadyStateDoesNotReallocate) {
    Resampler r(8000, 16000);
    const Samples frame = sine(500, 8000, 160);
    Samples out;
    out.reserve(1024);
    const int16_t* data = out.data();
    for (int i = 0; i < 100; ++i) {
        out.clear();
        r.process(frame, out);
    }
    EXPECT_EQ(out.data(), data);
}

TEST(Resampler, ConvertIsAlignedAndLengthExact) {
    for (auto [in, out] : {std::pair{44100, 16000}, {8000, 16000}, {16000, 24000},
                           {48000, 8000}, {22050, 16000}}) {
        Samples impulse(static_cast<size_t>(in), 0);  // 1 s
        impulse[static_cast<size_t>(in / 4)] = 30000;
        const Samples got = Resampler::convert(impulse, in, out);
        EXPECT_EQ(got.size(), static_cast<size_t>(out)) << in << "->" << out;
        const auto peak = std::max_element(got.begin(), got.end()) - got.begin();
        EXPECT_NEAR(static_cast<double>(peak), out / 4.0, 1.0) << in << "->" << out;
    }
    // The very end is not cut off either.
    const Samples tone = sine(400, 8000, 8000, 5000.0);
    const Samples up = Resampler::convert(tone, 8000, 16000);
    EXPECT_GT(rms(std::span(up).last(160)), 3000.0);
}

TEST(Resampler, RejectsBadArguments) {
    EXPECT_THROW(Resampler(0, 16000), std::invalid_argument);
    EXPECT_THROW(Resampler(16000, -1), std::invalid_argument);
    EXPECT_THROW(Resampler(8000, 16000, 11), std::invalid_argument);
}

TEST(Resampler, MeasuresCostPerFrame) {
    for (auto [in, out] : {std::pair{8000, 16000}, {16000, 8000}, {24000, 16000},
                           {48000, 16000}, {16000, 48000}, {44100, 16000}}) {
        Resampler r(in, out);
        const Samples frame = whiteNoise(static_cast<size_t>(in / 50), 3000);
        Samples o;
        o.reserve(4096);
        const double us = microsPerCall(2000, [&](int) {
            o.clear();
            r.process(frame, o);
        });
        std::printf("[ cost     ] %5d -> %5d: %.2f us per 20 ms frame\n", in, out, us);
        EXPECT_LT(us, 2000.0);  // sanity only: Debug/ASan builds are slow
    }
}

}  // namespace voxa::audio
