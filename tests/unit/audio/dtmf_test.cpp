// DTMF generation, checked by spandsp's DTMF receiver (the oracle), also after a trip
// through 8 kHz mu-law as a phone line would carry it.
#include <gtest/gtest.h>
#include <spandsp.h>

#include <string>

#include "audio/dtmf.h"
#include "audio/g711.h"
#include "audio/resampler.h"

namespace voxa::audio {
namespace {

std::string detect(const Samples& pcm8k) {
    dtmf_rx_state_t* rx = dtmf_rx_init(nullptr, nullptr, nullptr);
    std::vector<int16_t> buf(pcm8k.begin(), pcm8k.end());
    dtmf_rx(rx, buf.data(), static_cast<int>(buf.size()));
    char digits[128] = {};
    int n = dtmf_rx_get(rx, digits, sizeof digits - 1);
    dtmf_rx_free(rx);
    return std::string(digits, static_cast<size_t>(n));
}

TEST(Dtmf, EveryKeyIsRecognisedAt8k) {
    EXPECT_EQ(detect(dtmfTones("0123456789*#ABCD", 8000)), "0123456789*#ABCD");
}

TEST(Dtmf, PipelineRateThroughMuLawLikeATwilioCall) {
    Samples wide = dtmfTones("91w5#", kRate);
    Resampler down(kRate, 8000);
    Samples narrow;
    down.process(wide, narrow);
    std::string ulaw;
    g711::encodeUlaw(narrow, ulaw);
    Samples line;
    g711::decodeUlaw(ulaw, line);
    EXPECT_EQ(detect(line), "915#");
}

TEST(Dtmf, TimingAndFiltering) {
    EXPECT_EQ(dtmfDigits("1-2 x3w#"), "123w#");
    // 100 ms tone + 60 ms gap per key, 500 ms per pause.
    EXPECT_EQ(dtmfTones("12", 16000).size(), 2u * 160 * 16);
    EXPECT_EQ(dtmfTones("w", 16000).size(), 8000u);
    EXPECT_TRUE(dtmfTones("xyz", 16000).empty());
}

}  // namespace
}  // namespace voxa::audio
