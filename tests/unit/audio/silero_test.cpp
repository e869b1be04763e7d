// Silero VAD v5 through the hand-declared ONNX Runtime API, against the WebRTC VAD, on flite
// speech mixed with sox noise at 10 dB SNR. Needs the files scripts/engines.sh installs
// (make test runs it); without them these tests skip and say so.
#include "audio/silero.h"

#include <gtest/gtest.h>

#include <time.h>

#include <cstdio>
#include <filesystem>

#include "unit/audio/test_signals.h"

namespace voxa::audio {
using namespace test;

namespace {

bool enginesInstalled() {
    const SileroFiles f = defaultSileroFiles();
    return std::filesystem::exists(f.onnxruntime) && std::filesystem::exists(f.model);
}

#define REQUIRE_ENGINES()                                                                    \
    if (!enginesInstalled())                                                                 \
    GTEST_SKIP() << "ONNX Runtime / Silero model not installed under engines/node_modules: " \
                    "run scripts/engines.sh (make test does)"

std::shared_ptr<const SileroModel> model() {
    std::string why;
    auto m = SileroModel::load({}, why);
    EXPECT_TRUE(m) << why;
    return m;
}

// n samples of sox's coloured noise ("whitenoise", "pinknoise", "brownnoise") scaled to `rms`.
// -R: the same noise on every run.
Samples soxNoise(const char* kind, double seconds, double rms) {
    std::string cmd = "sox -R -n -r 16000 -c 1 -b 16 -e signed-integer -t raw - synth " +
                      std::to_string(seconds) + " " + kind + " 2>/dev/null";
    Samples out;
    if (FILE* p = ::popen(cmd.c_str(), "r")) {
        int16_t buf[4096];
        size_t n;
        while ((n = std::fread(buf, sizeof buf[0], std::size(buf), p)) > 0)
            out.insert(out.end(), buf, buf + n);
        ::pclose(p);
    }
    const double have = rms > 0 && !out.empty() ? test::rms(out) : 0;
    for (auto& v : out)
        v = static_cast<int16_t>(std::clamp(std::lround(v * (have > 0 ? rms / have : 0.0)),
                                            -32768L, 32767L));
    return out;
}

// A scene: 6 s of noise alone, then flite speech in the same noise at `snrDb`, then 1 s of
// noise. Frames are scored against the clean signal: speech = within 30 dB of its loudest
// frame; non-speech = noise alone, more than 300 ms from any speech (hangover is not judged).
struct Scene {
    Samples mixed;
    std::vector<int> truth;  // per 20 ms frame: 1 speech, 0 non-speech, -1 not scored
};

Scene scene(const char* noiseKind, double snrDb) {
    const Samples& speech = fliteSpeech();
    const size_t lead = 6 * kRate, tail = 1 * kRate;
    Samples clean(lead, 0);
    clean.insert(clean.end(), speech.begin(), speech.end());
    clean.resize(clean.size() + tail, 0);

    double loudest = 0, voicedEnergy = 0;
    int voicedFrames = 0;
    const size_t frames = clean.size() / kFrameSamples;
    for (size_t i = 0; i < frames; ++i)
        loudest = std::max(loudest, rms(std::span(clean).subspan(i * kFrameSamples, kFrameSamples)));
    const double speechFloor = loudest * std::pow(10.0, -30.0 / 20);
    Scene s;
    s.truth.assign(frames, -1);
    for (size_t i = 0; i < frames; ++i) {
        const double r = rms(std::span(clean).subspan(i * kFrameSamples, kFrameSamples));
        if (r >= speechFloor) {
            s.truth[i] = 1;
            voicedEnergy += r * r;
            ++voicedFrames;
        }
    }
    const int margin = 300 / kFrameMs;
    for (size_t i = 0; i < frames; ++i) {
        if (s.truth[i] == 1) continue;
        bool nearSpeech = false;
        for (int d = -margin; d <= margin && !nearSpeech; ++d) {
            const auto j = static_cast<std::ptrdiff_t>(i) + d;
            nearSpeech = j >= 0 && j < static_cast<std::ptrdiff_t>(frames) && s.truth[j] == 1;
        }
        const bool silent = rms(std::span(clean).subspan(i * kFrameSamples, kFrameSamples)) == 0;
        if (silent && !nearSpeech) s.truth[i] = 0;
    }
    const double speechRms = std::sqrt(voicedEnergy / std::max(1, voicedFrames));
    const Samples noise = soxNoise(noiseKind, static_cast<double>(clean.size()) / kRate + 1,
                                   speechRms * std::pow(10.0, -snrDb / 20));
    s.mixed = clean;
    for (size_t i = 0; i < s.mixed.size() && i < noise.size(); ++i)
        s.mixed[i] = static_cast<int16_t>(std::clamp(s.mixed[i] + noise[i], -32768, 32767));
    return s;
}

struct Rates {
    int speech = 0, hits = 0, quiet = 0, alarms = 0;
    double recall() const { return speech ? double(hits) / speech : 0; }
    double falseAlarms() const { return quiet ? double(alarms) / quiet : 0; }
    Rates& operator+=(const Rates& o) {
        speech += o.speech, hits += o.hits, quiet += o.quiet, alarms += o.alarms;
        return *this;
    }
};

Rates score(VoiceDetector& vad, const Scene& s) {
    Rates r;
    for (size_t i = 0; i < s.truth.size(); ++i) {
        const bool said = vad.isSpeech(std::span(s.mixed).subspan(i * kFrameSamples, kFrameSamples));
        if (s.truth[i] == 1) ++r.speech, r.hits += said;
        if (s.truth[i] == 0) ++r.quiet, r.alarms += said;
    }
    return r;
}

}  // namespace

TEST(SileroVad, LoadsThePinnedRuntimeOnce) {
    REQUIRE_ENGINES();
    auto m = model();
    ASSERT_TRUE(m);
    EXPECT_TRUE(m->runtimeVersion().starts_with("1.24.")) << m->runtimeVersion();
    std::string why;
    EXPECT_EQ(SileroModel::load({}, why), m);  // one session per process
}

TEST(SileroVad, RefusesMissingAndForeignFiles) {
    std::string why;
    EXPECT_FALSE(SileroModel::load({.onnxruntime = "/nonexistent/libonnxruntime.so.1",
                                    .model = "/nonexistent/silero_vad.onnx"},
                                   why));
    EXPECT_NE(why.find("not found"), std::string::npos) << why;
    // A shared library that is not ONNX Runtime is refused before anything is called in it.
    for (const char* libm : {"/lib/x86_64-linux-gnu/libm.so.6", "/usr/lib/x86_64-linux-gnu/libm.so.6"}) {
        if (!std::filesystem::exists(libm)) continue;
        why.clear();
        EXPECT_FALSE(SileroModel::load({.onnxruntime = libm, .model = "/proc/self/exe"}, why));
        EXPECT_NE(why.find("OrtGetApiBase"), std::string::npos) << why;
        break;
    }
    if (!enginesInstalled()) return;
    // The runtime with something that is not the model.
    why.clear();
    EXPECT_FALSE(SileroModel::load({.onnxruntime = defaultSileroFiles().onnxruntime,
                                    .model = "/proc/self/exe"}, why)) ;
    EXPECT_FALSE(why.empty());
}

TEST(SileroVad, SilenceIsNotSpeechAndSpeechIs) {
    REQUIRE_ENGINES();
    SileroVad vad(model());
    const Samples silence(static_cast<size_t>(2 * kRate), 0);
    int said = 0;
    for (size_t pos = 0; pos + kFrameSamples <= silence.size(); pos += kFrameSamples)
        said += vad.isSpeech(std::span(silence).subspan(pos, kFrameSamples));
    EXPECT_EQ(said, 0);
    EXPECT_LT(vad.probability(), 0.1f);
    // 2 s = 100 frames of 320 samples = 62.5 windows of 512.
    EXPECT_EQ(vad.windows(), 62);

    const Samples& speech = fliteSpeech();
    said = 0;
    float peak = 0;
    for (size_t pos = 0; pos + kFrameSamples <= speech.size(); pos += kFrameSamples) {
        said += vad.isSpeech(std::span(speech).subspan(pos, kFrameSamples));
        peak = std::max(peak, vad.probability());
    }
    EXPECT_GT(peak, 0.9f);
    EXPECT_GT(said, static_cast<int>(speech.size() / kFrameSamples / 2));
    vad.reset();
    EXPECT_EQ(vad.probability(), 0.0f);
}

TEST(SileroVad, FactoryGivesWebRtcUntilLoadedThenSilero) {
    // Nothing loaded in this process yet (ctest runs each test alone): the WebRTC VAD.
    auto before = makeVoiceDetector();
    EXPECT_NE(dynamic_cast<WebRtcVad*>(before.get()), nullptr);
    // Files missing: still the WebRTC VAD (and one log line).
    loadVoiceDetector({.engine = "silero",
                       .files = {.onnxruntime = "/nonexistent/libonnxruntime.so.1", .model = ""}});
    EXPECT_NE(dynamic_cast<WebRtcVad*>(makeVoiceDetector().get()), nullptr);
    loadVoiceDetector({.engine = "webrtc", .files = {}});
    EXPECT_NE(dynamic_cast<WebRtcVad*>(makeVoiceDetector().get()), nullptr);
    REQUIRE_ENGINES();
    loadVoiceDetector({});
    auto after = makeVoiceDetector();
    EXPECT_NE(dynamic_cast<SileroVad*>(after.get()), nullptr);
    EXPECT_EQ(loadedSileroModel(), model());
}

// The number: false alarms on noise against speech recall, at 10 dB SNR.
TEST(SileroVad, FarFewerFalseAlarmsThanWebRtcInNoise) {
    REQUIRE_ENGINES();
    auto m = model();
    ASSERT_TRUE(m);
    Rates silero, webrtc;
    for (const char* kind : {"whitenoise", "pinknoise", "brownnoise"}) {
        const Scene s = scene(kind, 10);
        ASSERT_GT(s.mixed.size(), static_cast<size_t>(8 * kRate)) << "sox made no " << kind;
        SileroVad sv(m);
        WebRtcVad wv;
        const Rates a = score(sv, s), b = score(wv, s);
        std::printf("[ vad      ] %-10s 10 dB SNR: Silero recall %5.1f%% false alarms %5.1f%% | "
                    "WebRTC mode 2 recall %5.1f%% false alarms %5.1f%% (%d speech, %d noise frames)\n",
                    kind, 100 * a.recall(), 100 * a.falseAlarms(), 100 * b.recall(),
                    100 * b.falseAlarms(), a.speech, a.quiet);
        silero += a;
        webrtc += b;
    }
    std::printf("[ vad      ] all three: Silero recall %.1f%% false alarms %.1f%% | WebRTC recall "
                "%.1f%% false alarms %.1f%%\n",
                100 * silero.recall(), 100 * silero.falseAlarms(), 100 * webrtc.recall(),
                100 * webrtc.falseAlarms());
    EXPECT_GE(silero.recall(), 0.80);
    EXPECT_LE(silero.falseAlarms(), 0.05);
    EXPECT_LE(silero.falseAlarms() * 4, webrtc.falseAlarms());
}

TEST(SileroVad, MeasuresCostPerFrame) {
    REQUIRE_ENGINES();
    const Samples& speech = fliteSpeech();
    const size_t frames = speech.size() / kFrameSamples;
    SileroVad silero(model());
    WebRtcVad webrtc;
    int said = 0;
    auto at = [&](int i) { return std::span(speech).subspan(static_cast<size_t>(i) % frames * kFrameSamples, kFrameSamples); };
    const int n = static_cast<int>(frames) * 3;
    // The process's CPU time as well as wall time (ORT runs no thread of its own here): on a
    // busy machine the wall time also counts the time other processes had the core.
    auto cpuMicros = [] {
        timespec ts{};
        ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
    };
    (void)microsPerCall(50, [&](int i) { said += silero.isSpeech(at(i)); });  // warm up
    double cpu0 = cpuMicros();
    const double us = microsPerCall(n, [&](int i) { said += silero.isSpeech(at(i)); });
    const double cpu = (cpuMicros() - cpu0) / n;
    cpu0 = cpuMicros();
    const double usWebRtc = microsPerCall(n, [&](int i) { said += webrtc.isSpeech(at(i)); });
    const double cpuWebRtc = (cpuMicros() - cpu0) / n;
    std::printf("[ cost     ] per 20 ms frame at 16 kHz (wall / CPU): Silero v5 %.1f / %.1f us "
                "(%.1f us CPU per 512-sample inference), WebRTC mode 2 %.2f / %.2f us\n",
                us, cpu, cpu * 512 / kFrameSamples, usWebRtc, cpuWebRtc);
    EXPECT_GT(said, 0);
    EXPECT_LT(us, 2000.0);
}

}  // namespace voxa::audio
