#include "audio/recorder.h"

#include <gtest/gtest.h>
#include <sndfile.h>
#include <unistd.h>

#include <fcntl.h>

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

// The whole recording written as at hang-up: stereo and mono files under `dir`.
struct Written {
    WavData stereo, mono;
};
Written writeAll(CallRecorder& rec, TempDir& dir) {
    RecordingFiles files(dir.file("s.wav"), dir.file("m.wav"), rec.sampleRate());
    files.create();
    files.write(rec.takeAll());
    return {readBack(dir.file("s.wav")), readBack(dir.file("m.wav"))};
}

std::vector<unsigned char> bytesOf(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

uint32_t le32(const std::vector<unsigned char>& b, size_t at) {
    return uint32_t{b[at]} | uint32_t{b[at + 1]} << 8 | uint32_t{b[at + 2]} << 16 | uint32_t{b[at + 3]} << 24;
}

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

    const WavData d = writeAll(rec, dir).stereo;
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
    const Samples tone = sine(700, kRate, 40000, 12000.0);  // spans many 4096-sample chunks
    rec.addAssistant(16000, tone);
    const WavData d = writeAll(rec, dir).stereo;
    ASSERT_EQ(d.frames(), 56000u);
    for (size_t i = 0; i < tone.size(); ++i) ASSERT_EQ(d.at(16000 + i, 1), tone[i]) << i;
    for (size_t i = 0; i < 16000; ++i) ASSERT_EQ(d.at(i, 1), 0);
}

TEST(CallRecorder, OverlappingWritesOnOneTrackOverwrite) {
    TempDir dir;
    CallRecorder rec;
    rec.addCustomer(100, constant(200, 7));
    rec.addCustomer(200, constant(200, 9));  // overlaps 200..299
    const WavData d = writeAll(rec, dir).stereo;
    ASSERT_EQ(d.frames(), 400u);
    for (size_t i = 0; i < 400; ++i) {
        const int16_t want = i < 100 ? 0 : (i < 200 ? 7 : 9);
        ASSERT_EQ(d.at(i, 0), want) << i;
    }
}

TEST(CallRecorder, MonoMixesBothSidesWithClipping) {
    TempDir dir;
    CallRecorder rec;
    rec.addCustomer(0, Samples{1000, 30000, -30000, 0, 5});
    rec.addAssistant(0, Samples{2000, 30000, -30000, -7});
    const WavData d = writeAll(rec, dir).mono;
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
    EXPECT_LT(rec.memoryBytes(), 3 * 4096 * 2 + 40'000u);
}

// #16: a call's memory must not grow with its length. Fed like a call (both sides every
// 20 ms, a batch taken every second half a second behind), the recorder holds at most a
// second and a half of audio plus a chunk per side, at any point of a 10-minute call.
TEST(CallRecorder, TenMinuteCallHoldsABoundedWindow) {
    TempDir dir;
    CallRecorder rec;
    RecordingFiles files(dir.file("s.wav"), dir.file("m.wav"), kRate);
    files.create();
    const Samples frame = sine(200, kRate, kFrameSamples, 3000.0);
    const int frames = 10 * 60 * 50;
    size_t peak = 0, peakBatch = 0;
    const double us = microsPerCall(frames, [&](int i) {
        rec.addCustomer(int64_t{i} * kFrameSamples, frame);
        rec.addAssistant(int64_t{i} * kFrameSamples, frame);
        peak = std::max(peak, rec.memoryBytes());
        if (i % 50 == 49) {
            auto batch = rec.take((int64_t{i} + 1 - 25) * kFrameSamples);
            peakBatch = std::max(peakBatch, batch.bytes());
            files.write(batch);
        }
    });
    files.write(rec.takeAll());
    std::printf("[ recorder ] 10 min stereo: peak %.0f KB held, batches <= %.0f KB, %.2f us per frame pair\n",
                static_cast<double>(peak) / 1e3, static_cast<double>(peakBatch) / 1e3, us);
    // 1.5 s of two 16-bit tracks is 96 KB; plus a partly taken chunk per side (16 KB) and
    // the chunk being filled.
    EXPECT_LT(peak, 130'000u);
    EXPECT_LE(peakBatch, 64'000u);  // one second of stereo
    EXPECT_EQ(rec.memoryBytes() <= 2 * 8192u + 1024u, true) << rec.memoryBytes();
    EXPECT_DOUBLE_EQ(rec.durationSeconds(), 600.0);
    EXPECT_EQ(files.frames(), 600 * kRate);
    const WavData s = readBack(dir.file("s.wav"));
    ASSERT_EQ(s.frames(), static_cast<size_t>(600 * kRate));
    for (size_t i = 0; i < s.frames(); i += 997) {
        ASSERT_EQ(s.at(i, 0), frame[i % kFrameSamples]) << i;
        ASSERT_EQ(s.at(i, 1), frame[i % kFrameSamples]) << i;
    }
}

TEST(CallRecorder, EmptyRecordingWritesValidEmptyFiles) {
    TempDir dir;
    CallRecorder rec;
    auto w = writeAll(rec, dir);
    EXPECT_EQ(w.stereo.frames(), 0u);
    EXPECT_EQ(w.mono.frames(), 0u);
}

TEST(CallRecorder, UnwritablePathThrows) {
    RecordingFiles files("/nonexistent-dir/x/s.wav", "/nonexistent-dir/x/m.wav", kRate);
    EXPECT_THROW(files.create(), std::runtime_error);
}

// Batch by batch, the files come out byte for byte as one write of the whole recording
// (today's files, libsndfile's header), whatever the batch sizes.
TEST(RecordingFiles, BatchesMakeTheSameBytesAsOneWrite) {
    TempDir whole, parts;
    const Samples voice = sine(300, kRate, 3 * kRate, 9000.0);
    const auto feed = [&](CallRecorder& rec, int64_t upTo) {
        for (int64_t at = 0; at + kFrameSamples <= upTo; at += kFrameSamples) {
            rec.addCustomer(at, std::span(voice).subspan(static_cast<size_t>(at), kFrameSamples));
            if (at >= kRate) rec.addAssistant(at, std::span(voice).subspan(static_cast<size_t>(at - kRate), kFrameSamples));
        }
    };
    CallRecorder a, b;
    feed(a, 3 * kRate);
    writeAll(a, whole);

    RecordingFiles files(parts.file("s.wav"), parts.file("m.wav"), kRate);
    files.create();
    feed(b, 3 * kRate);
    for (int64_t upTo : {1000, 1000, 17000, 30001, 47999, 48000, 60000}) files.write(b.take(upTo));
    files.write(b.takeAll());
    EXPECT_EQ(bytesOf(whole.file("s.wav")), bytesOf(parts.file("s.wav")));
    EXPECT_EQ(bytesOf(whole.file("m.wav")), bytesOf(parts.file("m.wav")));

    // libsndfile writes the same 44-byte header for the same audio.
    SF_INFO info{.samplerate = kRate, .channels = 2, .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};
    SNDFILE* f = sf_open(whole.file("ref.wav").c_str(), SFM_WRITE, &info);
    ASSERT_NE(f, nullptr);
    const WavData s = readBack(parts.file("s.wav"));
    sf_writef_short(f, s.interleaved.data(), static_cast<sf_count_t>(s.frames()));
    sf_close(f);
    EXPECT_EQ(bytesOf(whole.file("ref.wav")), bytesOf(parts.file("s.wav")));
}

// A write to frames a batch already carried (a side running late) still lands in both files.
TEST(RecordingFiles, LateWritesPatchTheFiles) {
    TempDir dir;
    CallRecorder rec;
    RecordingFiles files(dir.file("s.wav"), dir.file("m.wav"), kRate);
    files.create();
    rec.addCustomer(0, constant(8000, 100));
    rec.addAssistant(0, constant(8000, 10));
    files.write(rec.take(6000));
    rec.addAssistant(5000, constant(2000, 20));   // 1000 late, 1000 not
    rec.addCustomer(100, constant(50, -100));     // wholly late
    EXPECT_EQ(rec.memoryBytes() < 50'000u, true);
    files.write(rec.takeAll());
    const WavData s = readBack(dir.file("s.wav"));
    const WavData m = readBack(dir.file("m.wav"));
    ASSERT_EQ(s.frames(), 8000u);
    ASSERT_EQ(m.frames(), 8000u);
    for (size_t i = 0; i < 8000; ++i) {
        const int16_t left = (i >= 100 && i < 150) ? -100 : 100;
        const int16_t right = (i >= 5000 && i < 7000) ? 20 : 10;
        ASSERT_EQ(s.at(i, 0), left) << i;
        ASSERT_EQ(s.at(i, 1), right) << i;
        ASSERT_EQ(m.at(i, 0), left + right) << i;
    }
    // Late writes are bounded between two takes.
    for (int i = 0; i < 5; ++i) rec.addCustomer(0, constant(8000, 1));  // 4 x 8000 = the bound
    EXPECT_EQ(CallRecorder::kMaxLateSamples, 32000);
    EXPECT_EQ(rec.droppedSamples(), 8000);
}

// A process killed mid-call: its files, never closed, are valid WAVs holding what the last
// batch wrote; the repair then counts data written after the last header update too.
TEST(RecordingFiles, FilesLeftByAKillArePlayableAndTheRepairFixesThem) {
    TempDir dir;
    const auto stereo = dir.file("s.wav"), mono = dir.file("m.wav");
    CallRecorder rec;
    RecordingFiles files(stereo, mono, kRate);
    files.create();
    EXPECT_EQ(readBack(stereo).frames(), 0u);  // playable from the start: empty
    rec.addCustomer(0, constant(16000, 1000));
    rec.addAssistant(8000, constant(16000, 2000));
    files.write(rec.take(10000));
    files.write(rec.take(20000));
    // Nothing closes or finishes anything: the files as a kill -9 leaves them.
    auto s = readBack(stereo);
    ASSERT_EQ(s.frames(), 20000u);
    EXPECT_EQ(s.at(0, 0), 1000);
    EXPECT_EQ(s.at(0, 1), 0);
    EXPECT_EQ(s.at(9000, 1), 2000);
    EXPECT_EQ(s.at(19999, 0), 0);
    auto m = readBack(mono);
    ASSERT_EQ(m.frames(), 20000u);
    EXPECT_EQ(m.at(9000, 0), 3000);
    auto b = bytesOf(stereo);
    EXPECT_EQ(le32(b, 4), b.size() - 8);
    EXPECT_EQ(le32(b, 40), b.size() - 44);

    // Killed between a batch's data and its header, half a frame in: the repair keeps the data.
    {
        std::ofstream f(stereo, std::ios::binary | std::ios::app);
        const int16_t more[5] = {7, 8, 7, 8, 7};
        f.write(reinterpret_cast<const char*>(more), sizeof more);
    }
    EXPECT_EQ(readBack(stereo).frames(), 20000u);  // the header's count: still valid
    int64_t frames = 0;
    ASSERT_TRUE(finishStreamedWav(stereo, &frames));
    EXPECT_EQ(frames, 20002);
    EXPECT_EQ(std::filesystem::file_size(stereo), 44u + 20002u * 4u);
    s = readBack(stereo);
    ASSERT_EQ(s.frames(), 20002u);
    EXPECT_EQ(s.at(20001, 1), 8);
    ASSERT_TRUE(finishStreamedWav(mono, &frames));
    EXPECT_EQ(frames, 20000);  // shorter than stereo: the repair makes it again
    stereoToMonoWav(stereo, mono);
    m = readBack(mono);
    ASSERT_EQ(m.frames(), 20002u);
    EXPECT_EQ(m.at(9000, 0), 3000);
    EXPECT_EQ(m.at(20001, 0), 15);
    EXPECT_FALSE(finishStreamedWav(dir.file("none.wav")));
}

// A batch that never reached the disk (dropped while the disk was behind) leaves silence in
// its place, and the frames after it stay where they belong.
TEST(RecordingFiles, ABatchNeverWrittenLeavesSilence) {
    TempDir dir;
    CallRecorder rec;
    RecordingFiles files(dir.file("s.wav"), dir.file("m.wav"), kRate);
    files.create();
    rec.addCustomer(0, constant(3000, 5));
    files.write(rec.take(1000));
    (void)rec.take(2000);
    files.write(rec.takeAll());
    const WavData s = readBack(dir.file("s.wav"));
    ASSERT_EQ(s.frames(), 3000u);
    EXPECT_EQ(s.at(999, 0), 5);
    EXPECT_EQ(s.at(1500, 0), 0);
    EXPECT_EQ(s.at(2000, 0), 5);
}

}  // namespace voxa::audio
