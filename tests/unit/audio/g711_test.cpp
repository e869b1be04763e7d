#include "audio/g711.h"

#include <gtest/gtest.h>
#include <spandsp.h>

#include <cstdlib>

namespace voxa::audio {

// spandsp is the oracle: every 16-bit input and every 8-bit code must match it exactly.
TEST(G711, UlawEncodeMatchesSpandspForAllInputs) {
    for (int x = -32768; x <= 32767; ++x)
        ASSERT_EQ(g711::linearToUlaw(static_cast<int16_t>(x)), linear_to_ulaw(x)) << x;
}

TEST(G711, AlawEncodeMatchesSpandspForAllInputs) {
    for (int x = -32768; x <= 32767; ++x)
        ASSERT_EQ(g711::linearToAlaw(static_cast<int16_t>(x)), linear_to_alaw(x)) << x;
}

TEST(G711, DecodeMatchesSpandspForAllCodes) {
    for (int c = 0; c < 256; ++c) {
        const auto code = static_cast<uint8_t>(c);
        ASSERT_EQ(g711::ulawToLinear(code), ulaw_to_linear(code)) << c;
        ASSERT_EQ(g711::alawToLinear(code), alaw_to_linear(code)) << c;
    }
}

TEST(G711, EncodingADecodedCodeGivesItBack) {
    for (int c = 0; c < 256; ++c) {
        const auto code = static_cast<uint8_t>(c);
        if (code != 0x7F) {  // mu-law has two zeros (+0 = 0xFF, -0 = 0x7F); 0 encodes as +0
            EXPECT_EQ(g711::linearToUlaw(g711::ulawToLinear(code)), code) << c;
        }
        EXPECT_EQ(g711::linearToAlaw(g711::alawToLinear(code)), code) << c;
    }
    EXPECT_EQ(g711::linearToUlaw(0), 0xFF);
}

TEST(G711, RoundTripErrorIsWithinHalfAStep) {
    // Segment 7 steps are 1024 (mu-law) / 1024 (A-law) wide; clipping costs more at the top.
    for (int x = -32000; x <= 32000; ++x) {
        const auto s = static_cast<int16_t>(x);
        const int errU = std::abs(g711::ulawToLinear(g711::linearToUlaw(s)) - x);
        const int errA = std::abs(g711::alawToLinear(g711::linearToAlaw(s)) - x);
        const int mag = std::abs(x);
        // Relative quantisation error of a log codec: at most ~1/32 of the magnitude + 8.
        ASSERT_LE(errU, mag / 32 + 8) << x;
        ASSERT_LE(errA, mag / 32 + 8) << x;
    }
}

TEST(G711, BufferFunctionsAppend) {
    const Samples pcm = {0, 100, -100, 1000, -1000, 32767, -32768};
    std::string wire = "x";
    g711::encodeUlaw(pcm, wire);
    ASSERT_EQ(wire.size(), 1 + pcm.size());
    EXPECT_EQ(wire[0], 'x');
    for (size_t i = 0; i < pcm.size(); ++i)
        EXPECT_EQ(static_cast<uint8_t>(wire[1 + i]), g711::linearToUlaw(pcm[i]));

    Samples back = {42};
    g711::decodeUlaw(std::string_view(wire).substr(1), back);
    ASSERT_EQ(back.size(), 1 + pcm.size());
    EXPECT_EQ(back[0], 42);
    for (size_t i = 0; i < pcm.size(); ++i)
        EXPECT_EQ(back[1 + i], g711::ulawToLinear(g711::linearToUlaw(pcm[i])));

    const std::vector<uint8_t> bytes = {0xD5, 0x55, 0x2A};
    Samples a;
    g711::decodeAlaw(std::span<const uint8_t>(bytes), a);
    EXPECT_EQ(a, (Samples{8, -8, alaw_to_linear(0x2A)}));

    EXPECT_EQ(g711::decodeAlaw(g711::encodeAlaw(pcm)).size(), pcm.size());
    EXPECT_EQ(g711::decodeUlaw(g711::encodeUlaw(pcm)), (Samples(back.begin() + 1, back.end())));
}

}  // namespace voxa::audio
