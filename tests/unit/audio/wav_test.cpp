#include "audio/wav.h"

#include <gtest/gtest.h>
#include <sndfile.h>

#include <fstream>

#include "unit/audio/test_signals.h"

namespace voxa::audio {
using namespace test;

TEST(Wav, WriteThenReadIsExact) {
    TempDir dir;
    const Samples pcm = whiteNoise(12345, 4000);
    writeWav(dir.file("a.wav"), pcm);
    EXPECT_EQ(readWav(dir.file("a.wav")), pcm);
}

TEST(Wav, ReadResamplesToTheRequestedRate) {
    TempDir dir;
    const Samples tone = sine(1000, kRate, kRate, 8000.0);  // 1 s
    writeWav(dir.file("t.wav"), tone);
    const Samples narrow = readWav(dir.file("t.wav"), 8000);
    ASSERT_EQ(narrow.size(), 8000u);
    EXPECT_NEAR(zeroCrossingHz(narrow, 8000), 1000.0, 2.0);
    EXPECT_NEAR(rms(narrow), rms(tone), rms(tone) * 0.03);
}

TEST(Wav, ReadMixesStereoDownAndConvertsRate) {
    TempDir dir;
    const std::string path = dir.file("s.wav");
    const int rate = 44100;
    std::vector<int16_t> frames(2 * rate);
    const Samples tone = sine(500, rate, static_cast<size_t>(rate), 10000.0);
    for (int i = 0; i < rate; ++i) {
        frames[2 * i] = tone[static_cast<size_t>(i)];  // left: tone, right: silence
        frames[2 * i + 1] = 0;
    }
    SF_INFO info{};
    info.samplerate = rate;
    info.channels = 2;
    info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
    SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
    ASSERT_NE(f, nullptr);
    sf_writef_short(f, frames.data(), rate);
    sf_close(f);

    const Samples pcm = readWav(path);
    ASSERT_EQ(pcm.size(), static_cast<size_t>(kRate));
    EXPECT_NEAR(zeroCrossingHz(pcm, kRate), 500.0, 2.0);
    EXPECT_NEAR(rms(pcm), rms(tone) / 2, rms(tone) * 0.03);  // averaged with silence
}

TEST(Wav, InMemoryRoundTrip) {
    const Samples pcm = sine(300, kRate, 4000);
    const std::string bytes = encodeWav(pcm);
    ASSERT_EQ(bytes.size(), 44 + 2 * pcm.size());
    EXPECT_EQ(bytes.substr(0, 4), "RIFF");
    EXPECT_EQ(decodeWav(bytes), pcm);
    EXPECT_EQ(decodeWav(encodeWav(pcm, 8000), 8000), pcm);

    TempDir dir;  // the file and the in-memory form are the same bytes
    writeWav(dir.file("m.wav"), pcm);
    std::ifstream in(dir.file("m.wav"), std::ios::binary);
    const std::string file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(file, bytes);
}

TEST(Wav, ErrorsThrow) {
    EXPECT_THROW(readWav("/nonexistent/nothing.wav"), std::runtime_error);
    EXPECT_THROW(decodeWav("definitely not a wav file"), std::runtime_error);
    EXPECT_THROW(writeWav("/nonexistent/dir/x.wav", Samples(10)), std::runtime_error);
}

}  // namespace voxa::audio
