// Echo cancellation and the echo guard on a simulated phone line: the assistant's speech
// (flite) comes back delayed 30/60/100 ms at -20 dB with a little noise; the caller's audio
// reaches the canceller with network jitter. ERLE, the guard's verdicts, double talk.
#include "audio/echo_canceller.h"

#include <gtest/gtest.h>
#include <malloc.h>

#include <time.h>

#include <cstdio>
#include <random>

#include "unit/audio/test_signals.h"

namespace voxa::audio {
using namespace test;

namespace {

constexpr size_t kF = kFrameSamples;

const Samples& nearSpeech() {
    static const Samples s = [] {
        cst_voice* voice = register_cmu_us_slt(nullptr);
        cst_wave* w = flite_text_to_wave("Excuse me, I have a question about my card, please.", voice);
        Samples out(w->samples, w->samples + w->num_samples);
        delete_wave(w);
        return out;
    }();
    return s;
}

struct Line {
    Samples played;   // what the assistant played (reference)
    Samples mic;      // what the caller's line carried: echo + noise (+ caller speech)
    Samples nearOnly; // the caller's own speech alone
};

// The echo path of a phone line: delay, -20 dB, a weaker reflection 5 ms later, noise.
Line line(int delayMs, size_t nearAtSample = 0, double gainDb = -20) {
    fliteSpeech();  // flite_init
    Line l;
    const Samples& far = fliteSpeech();
    l.played.assign(kRate / 2, 0);  // the call starts quiet
    l.played.insert(l.played.end(), far.begin(), far.end());
    l.played.insert(l.played.end(), far.begin(), far.end());
    l.played.resize(l.played.size() / kF * kF);
    const size_t n = l.played.size();
    const double g = std::pow(10.0, gainDb / 20);
    const size_t d = static_cast<size_t>(delayMs) * kRate / 1000, d2 = d + 80;
    Samples noise = whiteNoise(n, 10, 11);
    l.mic.resize(n);
    l.nearOnly.assign(n, 0);
    if (nearAtSample)
        for (size_t i = 0; i < nearSpeech().size() && nearAtSample + i < n; ++i)
            l.nearOnly[nearAtSample + i] = nearSpeech()[i];
    for (size_t i = 0; i < n; ++i) {
        double e = (i >= d ? l.played[i - d] * g : 0) + (i >= d2 ? l.played[i - d2] * g * 0.3 : 0);
        l.mic[i] = static_cast<int16_t>(std::clamp(e + noise[i] + l.nearOnly[i], -32768.0, 32767.0));
    }
    return l;
}

struct Processed {
    Samples out;                    // the cleaned caller audio
    std::vector<EchoCanceller::Result> results;  // per 20 ms frame
};

// Plays frame k at tick k; the caller's frames arrive late by 0-3 frames (jitter), then in a
// burst, as over a network.
Processed process(EchoCanceller& aec, const Line& l, uint32_t seed = 5) {
    const size_t frames = l.played.size() / kF;
    std::mt19937 gen(seed);
    Processed r;
    r.out = l.mic;
    r.results.resize(frames);
    size_t next = 0;  // next caller frame to arrive
    for (size_t k = 0; k < frames; ++k) {
        aec.playFar(std::span<const int16_t>(l.played.data() + k * kF, kF));
        size_t lateBy = gen() % 4;
        size_t upTo = k + 1 > lateBy ? k + 1 - lateBy : 0;
        if (k + 1 == frames) upTo = frames;
        for (; next < upTo; ++next)
            r.results[next] = aec.processNear(std::span<int16_t>(r.out.data() + next * kF, kF));
    }
    return r;
}

double frameDb(std::span<const int16_t> s) { return 10 * std::log10(energy(s) / double(s.size()) + 1); }

}  // namespace

class EchoLine : public ::testing::TestWithParam<int> {};

TEST_P(EchoLine, CancelsTheEchoAndTheGuardCallsItEcho) {
    const int delayMs = GetParam();
    const Line l = line(delayMs);
    EchoCanceller aec({.metrics = true});
    const Processed r = process(aec, l);
    const size_t frames = l.played.size() / kF;
    const size_t settled = 2 * kRate / kF;  // convergence: the first 2 s are not scored
    double in = 0, out = 0;
    int loud = 0, judgedEcho = 0, leftAudible = 0;
    for (size_t k = settled; k < frames; ++k) {
        auto mic = std::span<const int16_t>(l.mic.data() + k * kF, kF);
        auto cleaned = std::span<const int16_t>(r.out.data() + k * kF, kF);
        in += energy(mic);
        out += energy(cleaned);
        if (rms(mic) < 100) continue;  // quieter than the voice detector listens to
        ++loud;
        judgedEcho += r.results[k].echo;
        leftAudible += rms(cleaned) >= 100;
    }
    const double erle = 10 * std::log10(in / out);
    auto m = aec.metrics();
    ASSERT_TRUE(m);
    std::printf("[echo] delay %d ms: reduction %.1f dB after 2 s (webrtc ERLE %d dB, ERL %d dB, delay %d ms); "
                "guard: %d/%d audible echo frames judged echo; %d left audible; lag %d ms\n",
                delayMs, erle, m->erleDb, m->erlDb, m->delayMs, judgedEcho, loud, leftAudible,
                r.results.back().lagMs);
    EXPECT_GE(erle, 25.0) << "echo energy reduction after convergence";
    ASSERT_GT(loud, 200);
    EXPECT_GE(judgedEcho, loud * 95 / 100) << "frames of echo the guard let through as voice";
    EXPECT_LE(leftAudible, loud / 100) << "frames still above the voice detector's floor";
    EXPECT_NEAR(r.results.back().lagMs, delayMs, 30);
}

INSTANTIATE_TEST_SUITE_P(Delays, EchoLine, ::testing::Values(30, 60, 100));

TEST(EchoCanceller, DoubleTalkKeepsTheCallerAndCallsItVoice) {
    // The caller talks over the assistant's echo 4 s in (the filter has converged).
    const size_t at = 4 * kRate + kRate / 2;
    const Line l = line(60, at);
    EchoCanceller aec;
    const Processed r = process(aec, l);
    const size_t first = at / kF, last = (at + nearSpeech().size()) / kF;
    int talking = 0, voice = 0;
    double nearE = 0, outE = 0;
    for (size_t k = first; k < last; ++k) {
        auto caller = std::span<const int16_t>(l.nearOnly.data() + k * kF, kF);
        if (rms(caller) < 1000) continue;  // the caller's louder frames: clearly speech
        ++talking;
        voice += !r.results[k].echo;
        nearE += energy(caller);
        outE += energy(std::span<const int16_t>(r.out.data() + k * kF, kF));
    }
    const double kept = 10 * std::log10(outE / nearE);
    std::printf("[echo] double talk: %d/%d frames of the caller judged voice; caller kept at %.1f dB\n",
                voice, talking, kept);
    ASSERT_GT(talking, 50);
    EXPECT_GE(voice, talking * 95 / 100);
    EXPECT_GE(kept, -8.0) << "the canceller ate the caller's speech";
    // And after the caller stops, the echo is echo again.
    int after = 0, echo = 0;
    for (size_t k = last + 50; k < l.played.size() / kF; ++k)
        if (rms(std::span<const int16_t>(l.mic.data() + k * kF, kF)) >= 100) ++after, echo += r.results[k].echo;
    EXPECT_GE(echo, after * 9 / 10);
}

TEST(EchoCanceller, CallerAloneIsNeverEcho) {
    // Nothing played (zeros): the caller's speech passes untouched and is voice.
    const Samples& s = nearSpeech();
    EchoCanceller aec;
    Samples out(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(s.size() / kF * kF));
    const Samples quiet(kF, 0);
    int echo = 0;
    for (size_t k = 0; k < out.size() / kF; ++k) {
        aec.playFar(quiet);
        echo += aec.processNear(std::span<int16_t>(out.data() + k * kF, kF)).echo;
    }
    EXPECT_EQ(echo, 0);
    EXPECT_NEAR(frameDb(out), frameDb(std::span<const int16_t>(s.data(), out.size())), 1.0);
}

TEST(EchoCanceller, CallerOverTheAssistantOnALineWithoutEchoIsNeverEcho) {
    // No echo path at all (a headset): the caller talks over the assistant again and again.
    // Two speech envelopes match at some lag now and then; that must not make a path.
    Line l = line(60);
    const Samples hiss = whiteNoise(l.played.size(), 10, 8);
    int talking = 0, echo = 0;
    for (size_t at : {size_t(kRate), size_t(4 * kRate), size_t(7 * kRate), size_t(10 * kRate)}) {
        l.mic = hiss;
        l.nearOnly.assign(l.played.size(), 0);
        for (size_t i = 0; i < nearSpeech().size() && at + i < l.mic.size(); ++i)
            l.mic[at + i] = l.nearOnly[at + i] = nearSpeech()[i];
        EchoCanceller aec;
        const Processed r = process(aec, l);
        for (size_t k = 0; k < r.results.size(); ++k)
            if (rms(std::span<const int16_t>(l.nearOnly.data() + k * kF, kF)) >= 300) ++talking, echo += r.results[k].echo;
    }
    std::printf("[echo] no echo on the line: %d/%d caller frames judged echo\n", echo, talking);
    ASSERT_GT(talking, 200);
    EXPECT_EQ(echo, 0);
}

TEST(EchoCanceller, CostPerFrameAndMemory) {
    const Line l = line(60);
    Samples out = l.mic;
    struct mallinfo2 before = mallinfo2();
    auto aec = std::make_unique<EchoCanceller>();
    aec->playFar(std::span<const int16_t>(l.played.data(), kF));  // the APM is made at the first
    aec->processNear(std::span<int16_t>(out.data(), kF));          // sound on the line (below)
    const double lazyBytes = double(mallinfo2().uordblks) - double(before.uordblks);
    Samples loud = whiteNoise(kF, 1000, 4);
    aec->playFar(std::span<const int16_t>(l.played.data(), kF));
    aec->processNear(loud);
    struct mallinfo2 after = mallinfo2();
    const double bytes = double(after.uordblks) - double(before.uordblks);
    const size_t frames = l.played.size() / kF;
    // CPU time of this thread (the machine is shared: wall time would count the others).
    auto cpuUs = [] {
        timespec t;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
        return double(t.tv_sec) * 1e6 + double(t.tv_nsec) / 1e3;
    };
    double t0 = cpuUs();
    for (size_t k = 0; k < frames; ++k) {
        aec->playFar(std::span<const int16_t>(l.played.data() + k * kF, kF));
        aec->processNear(std::span<int16_t>(out.data() + k * kF, kF));
    }
    const double us = (cpuUs() - t0) / double(frames);
    // Without: the copy EchoStage makes of an idle frame.
    Samples copy;
    t0 = cpuUs();
    for (size_t k = 0; k < frames; ++k)
        copy.assign(l.mic.begin() + long(k * kF), l.mic.begin() + long((k + 1) * kF));
    const double idle = (cpuUs() - t0) / double(frames);
    // A line without echo (the caller quiet, line noise at -70 dBFS) while the assistant talks.
    const Samples hiss = whiteNoise(l.played.size(), 10, 3);
    out = hiss;
    aec = std::make_unique<EchoCanceller>();  // a call of its own: no echo path learnt
    t0 = cpuUs();
    for (size_t k = 0; k < frames; ++k) {
        aec->playFar(std::span<const int16_t>(l.played.data() + k * kF, kF));
        aec->processNear(std::span<int16_t>(out.data() + k * kF, kF));
    }
    const double quiet = (cpuUs() - t0) / double(frames);
    std::printf("[echo] CPU per 20 ms frame: %.1f us with the canceller on a line with echo, %.1f us on a "
                "quiet line, %.2f us without (idle copy); %.0f KB per instance (%.1f KB before the line "
                "first carries sound)\n", us, quiet, idle, bytes / 1024, lazyBytes / 1024);
    EXPECT_LT(bytes, 1024.0 * 1024);
    EXPECT_LT(lazyBytes, 64.0 * 1024);
}

TEST(EchoCanceller, PauseKeepsTheFilter) {
    const Line l = line(60);
    EchoCanceller aec;
    Processed first = process(aec, l);
    aec.pause();
    // Some quiet time passes unprocessed; then the assistant talks again over the same line.
    Processed again = process(aec, l, 9);
    double in = 0, out = 0;
    for (size_t k = kRate / 2 / kF; k < kRate / 2 / kF + 50; ++k) {  // its first second
        in += energy(std::span<const int16_t>(l.mic.data() + k * kF, kF));
        out += energy(std::span<const int16_t>(again.out.data() + k * kF, kF));
    }
    const double reduction = 10 * std::log10(in / out);
    std::printf("[echo] after a pause: %.1f dB in the first second\n", reduction);
    EXPECT_GE(reduction, 20.0);
}

}  // namespace voxa::audio
