#include "audio/recorder.h"

#include <gtest/gtest.h>
#include <sndfile.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "unit/audio/test_signals.h"

namespace voxa::audio {
using namespace test;

namespace {

struct WavData {
    int rate = 0;
    int channels = 0;
    std::vector<int16_t> interleaved;
    int16_t at(size_t frame, int channel) const {
        return interleaved[frame * static_cast<size_t>(channels) + static_cast<size_t>(channel)];
    }
    size_t frames() const { return channels ? interleaved.size() / channels : 0; }
};

WavData readBack(const std::string& path) {
    SF_INFO info{};
    SNDFILE* f = sf_open(path.c_str(), SFM_READ, &info);
    EXPECT_NE(f, nullptr) << path;
    WavData d;
    if (!f) return d;
    EXPECT_EQ(info.format, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
    d.rate = info.samplerate;
    d.channels = info.channels;
    d.interleaved.resize(static_cast<size_t>(info.frames * info.channels));
    EXPECT_EQ(sf_readf_short(f, d.interleaved.data(), info.frames), info.frames);
    sf_close(f);
    return d;
}

Samples constant(size_t n, int16_t v) { return Samples(n, v); }

}  // namespace

TEST(CallRecorder, StereoPutsCustomerLeftAssistantRightOnOneTimeline) {
    TempDir dir;
    CallRecorder rec;
    rec.addCustomer(0, constant(1000, 1000));
    rec.addAssistant(16000, constant(800, -2000));  // 1 s in
    rec.addCustomer(20000, constant(10, 5));
    EXPECT_EQ(rec.customerEnd(), 20010);
    EXPECT_EQ(rec.assistantEnd(), 16800);
    EXPECT_DOUBLE_EQ(rec.durationSeconds(), 20010.0 / 16000);

    rec.writeStereoWav(dir.file("call.wav"));
    const WavData d = readBack(dir.file("call.wav"));
    ASSERT_EQ(d.channels, 2);
    EXPECT_EQ(d.rate, kRate);
    ASSERT_EQ(d.frames(), 20010u);
    for (size_t i = 0; i < d.frames(); ++i) {
        const int16_t left = i < 1000 ? 1000 : (i >= 20000 ? 5 : 0);
        const int16_t right = (i >= 16000 && i < 16800) ? -2000 : 0;
        ASSERT_EQ(d.at(i, 0), left) << i;
        ASSERT_EQ(d.at(i, 1), right) << i;
    }
}

TEST(CallRecorder, WritesAcrossChunkBoundariesStayAligned) {
    TempDir dir;
    CallRecorder rec;
    const Samples tone = sine(700, kRate, 40000, 12000.0);  // spans three 16384-sample chunks
    rec.addAssistant(16000, tone);
    rec.writeStereoWav(dir.file("a.wav"));
    const WavData d = readBack(dir.file("a.wav"));
    ASSERT_EQ(d.frames(), 56000u);
    for (size_t i = 0; i < tone.size(); ++i) ASSERT_EQ(d.at(16000 + i, 1), tone[i]) << i;
    for (size_t i = 0; i < 16000; ++i) ASSERT_EQ(d.at(i, 1), 0);
    Samples window(5);
    rec.readAssistant(16382, window);
    EXPECT_TRUE(std::equal(window.begin(), window.end(), tone.begin() + 382));
}

TEST(CallRecorder, OverlappingWritesOnOneTrackOverwrite) {
    CallRecorder rec;
    rec.addCustomer(100, constant(200, 7));
    rec.addCustomer(200, constant(200, 9));  // overlaps 200..299
    Samples out(400);
    rec.readCustomer(0, out);
    for (size_t i = 0; i < 400; ++i) {
        const int16_t want = i < 100 ? 0 : (i < 200 ? 7 : 9);
        ASSERT_EQ(out[i], want) << i;
    }
}

TEST(CallRecorder, MonoMixesBothSidesWithClipping) {
    TempDir dir;
    CallRecorder rec;
    rec.addCustomer(0, Samples{1000, 30000, -30000, 0, 5});
    rec.addAssistant(0, Samples{2000, 30000, -30000, -7});
    rec.writeMonoWav(dir.file("mono.wav"));
    const WavData d = readBack(dir.file("mono.wav"));
    ASSERT_EQ(d.channels, 1);
    EXPECT_EQ(d.interleaved, (std::vector<int16_t>{3000, 32767, -32768, -7, 5}));
}

TEST(CallRecorder, ClipsNegativeTimesAndBoundsRunawayTimestamps) {
    CallRecorder rec(kRate, /*maxSeconds=*/60);
    rec.addCustomer(-10, constant(30, 3));  // the first 10 samples are before the call
    EXPECT_EQ(rec.customerEnd(), 20);
    EXPECT_EQ(rec.droppedSamples(), 10);
    rec.addAssistant(int64_t{1} << 50, constant(320, 1));  // a bogus timestamp
    rec.addAssistant(60 * kRate - 100, constant(320, 1));  // straddles the limit
    EXPECT_EQ(rec.droppedSamples(), 10 + 320 + 220);
    EXPECT_EQ(rec.assistantEnd(), 60 * kRate);
    EXPECT_LT(rec.memoryBytes(), 200'000u);
}

TEST(CallRecorder, SilentGapsCostNoAudioMemory) {
    CallRecorder rec;
    rec.addCustomer(0, constant(320, 1));
    rec.addCustomer(int64_t{10} * 60 * kRate, constant(320, 1));  // 10 minutes later
    EXPECT_EQ(rec.durationSeconds(), 600.02);
    EXPECT_LT(rec.memoryBytes(), 3 * 16384 * 2 + 16'000u);
}

TEST(CallRecorder, TenMinuteCallUsesAboutThirtyEightMegabytes) {
    CallRecorder rec;
    const Samples frame = sine(200, kRate, kFrameSamples, 3000.0);
    const int frames = 10 * 60 * 50;
    const double us = microsPerCall(frames, [&](int i) {
        rec.addCustomer(int64_t{i} * kFrameSamples, frame);
        rec.addAssistant(int64_t{i} * kFrameSamples, frame);
    });
    const double mb = static_cast<double>(rec.memoryBytes()) / 1e6;
    std::printf("[ recorder ] 10 min stereo: %.1f MB, %.2f us per 20 ms frame pair\n", mb, us);
    EXPECT_NEAR(mb, 38.4, 0.5);
    EXPECT_DOUBLE_EQ(rec.durationSeconds(), 600.0);
}

TEST(CallRecorder, EmptyRecordingWritesAValidEmptyFile) {
    TempDir dir;
    CallRecorder rec;
    rec.writeStereoWav(dir.file("empty.wav"));
    EXPECT_EQ(readBack(dir.file("empty.wav")).frames(), 0u);
}

TEST(CallRecorder, UnwritablePathThrows) {
    CallRecorder rec;
    rec.addCustomer(0, constant(10, 1));
    EXPECT_THROW(rec.writeStereoWav("/nonexistent-dir/x/y.wav"), std::runtime_error);
}

}  // namespace voxa::audio

namespace voxa::audio {

// A call's stereo file written while it runs, as a crash leaves it (sizes never filled in,
// half a frame at the end), then fixed up and mixed down by the repair at start.
TEST(StreamedWav, TakenAudioAppendedThenACrashFileIsFixedUpAndMixed) {
    auto dir = std::filesystem::temp_directory_path() / ("voxa-streamed-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto stereo = (dir / "s.wav").string(), mono = (dir / "m.wav").string();
    CallRecorder rec;
    rec.addCustomer(0, constant(16000, 1000));
    rec.addAssistant(8000, constant(16000, 2000));
    beginStreamedWav(stereo, kRate, 2);
    auto first = rec.takeStereo(10000);
    EXPECT_EQ(first.size(), 20000u);
    appendStreamedWav(stereo, first);
    EXPECT_TRUE(rec.takeStereo(10000).empty());  // nothing new
    appendStreamedWav(stereo, rec.takeStereo(20000));
    EXPECT_EQ(rec.takenSamples(), 20000);
    {  // the crash: half a frame written
        std::ofstream f(stereo, std::ios::binary | std::ios::app);
        f.write("\x01\x02", 2);
    }
    int64_t frames = 0;
    ASSERT_TRUE(finishStreamedWav(stereo, &frames));
    EXPECT_EQ(frames, 20000);
    EXPECT_EQ(std::filesystem::file_size(stereo), 44u + 20000u * 4u);
    auto s = readBack(stereo);
    ASSERT_EQ(s.frames(), 20000u);
    EXPECT_EQ(s.at(0, 0), 1000);
    EXPECT_EQ(s.at(0, 1), 0);
    EXPECT_EQ(s.at(9000, 1), 2000);
    EXPECT_EQ(s.at(19999, 0), 0);
    stereoToMonoWav(stereo, mono);
    auto m = readBack(mono);
    ASSERT_EQ(m.frames(), 20000u);
    EXPECT_EQ(m.at(9000, 0), 3000);
    EXPECT_FALSE(finishStreamedWav((dir / "none.wav").string()));
    std::filesystem::remove_all(dir);
}

}  // namespace voxa::audio
