#include "audio/vad.h"

#include <gtest/gtest.h>

#include <cstdio>

#include "audio/resampler.h"
#include "unit/audio/test_signals.h"

namespace voxa::audio {
using namespace test;

namespace {

struct Score {
    int frames = 0;
    int speech = 0;
    double rate() const { return frames ? static_cast<double>(speech) / frames : 0.0; }
};

// Runs the detector over whole frames of `pcm`; `pick` chooses which frames are scored.
template <typename Pick>
Score run(VoiceDetector& vad, std::span<const int16_t> pcm, size_t frame, Pick pick) {
    Score s;
    for (size_t pos = 0; pos + frame <= pcm.size(); pos += frame) {
        const auto f = pcm.subspan(pos, frame);
        const bool speech = vad.isSpeech(f);  // every frame goes in: the VAD adapts
        if (!pick(f)) continue;
        ++s.frames;
        s.speech += speech;
    }
    return s;
}

Score run(VoiceDetector& vad, std::span<const int16_t> pcm, size_t frame = kFrameSamples) {
    return run(vad, pcm, frame, [](auto) { return true; });
}

// Speech with 1 s of digital silence either side, like a turn in a call.
Samples paddedSpeech(int rate) {
    const Samples& speech = fliteSpeech();
    Samples body = rate == kRate ? speech : Resampler::convert(speech, kRate, rate);
    Samples out(static_cast<size_t>(rate), 0);
    out.insert(out.end(), body.begin(), body.end());
    out.resize(out.size() + static_cast<size_t>(rate), 0);
    return out;
}

// Ground truth for "speech frame": frame RMS within 30 dB of the loudest frame.
double loudestFrameRms(std::span<const int16_t> pcm, size_t frame) {
    double best = 0;
    for (size_t pos = 0; pos + frame <= pcm.size(); pos += frame)
        best = std::max(best, rms(pcm.subspan(pos, frame)));
    return best;
}

}  // namespace

TEST(WebRtcVad, FliteSpeechIsSixteenKilohertzAndSeconds) {
    const Samples& speech = fliteSpeech();
    ASSERT_GT(speech.size(), static_cast<size_t>(3 * kRate));
}

TEST(WebRtcVad, DigitalSilenceIsNeverSpeech) {
    for (int mode = 0; mode <= 3; ++mode) {
        WebRtcVad vad(mode);
        const Samples silence(static_cast<size_t>(5 * kRate), 0);
        EXPECT_EQ(run(vad, silence).speech, 0) << "mode " << mode;
    }
}

TEST(WebRtcVad, SpeechFramesAreMostlySpeech) {
    const Samples pcm = paddedSpeech(kRate);
    const double threshold = loudestFrameRms(pcm, kFrameSamples) * std::pow(10.0, -30.0 / 20);
    for (int mode = 0; mode <= 3; ++mode) {
        WebRtcVad vad(mode);
        const Score voiced = run(vad, pcm, kFrameSamples,
                                 [&](auto f) { return rms(f) >= threshold; });
        vad.reset();
        const Score quiet = run(vad, pcm, kFrameSamples, [&](auto f) { return rms(f) == 0.0; });
        std::printf("[ vad      ] mode %d: speech %d/%d = %.1f%%, padding %d/%d\n", mode,
                    voiced.speech, voiced.frames, 100 * voiced.rate(), quiet.speech, quiet.frames);
        EXPECT_GT(voiced.frames, 100);
        EXPECT_GE(voiced.rate(), 0.85) << "mode " << mode;
        EXPECT_EQ(quiet.speech, 0) << "mode " << mode;
    }
}

TEST(WebRtcVad, LowLevelWhiteNoiseIsMostlyNotSpeech) {
    // -50 dBFS and -40 dBFS: a quiet line. Mode 2 (default) should almost never fire.
    for (double level : {100.0, 330.0}) {
        WebRtcVad vad;
        const Samples noise = whiteNoise(static_cast<size_t>(10 * kRate), level, 11);
        const Score s = run(vad, noise);
        std::printf("[ vad      ] white noise rms %.0f (%.0f dBFS), mode 2: %d/%d = %.1f%%\n",
                    level, 20 * std::log10(level / 32768), s.speech, s.frames, 100 * s.rate());
        EXPECT_LE(s.rate(), 0.10) << level;
    }
}

TEST(WebRtcVad, ReportsFalseAlarmsOnLouderNoise) {
    // Informational table (the VAD is energy+GMM based, so loud broadband noise does fire);
    // only the ordering "higher mode, fewer false alarms" is asserted.
    for (double dbfs : {-50.0, -40.0, -30.0, -20.0}) {
        const Samples noise =
            whiteNoise(static_cast<size_t>(10 * kRate), 32768 * std::pow(10.0, dbfs / 20), 13);
        double rates[4];
        for (int mode = 0; mode <= 3; ++mode) {
            WebRtcVad vad(mode);
            rates[mode] = run(vad, noise).rate();
        }
        std::printf("[ vad      ] white noise %.0f dBFS: false alarms mode 0..3 = "
                    "%.1f / %.1f / %.1f / %.1f %%\n",
                    dbfs, 100 * rates[0], 100 * rates[1], 100 * rates[2], 100 * rates[3]);
        EXPECT_LE(rates[3], rates[0] + 0.02) << dbfs;
    }
}

TEST(WebRtcVad, SpeechInModerateNoiseIsStillFound) {
    // 20 dB SNR over the speech frames: recall should barely move.
    Samples pcm = paddedSpeech(kRate);
    const double threshold = loudestFrameRms(pcm, kFrameSamples) * std::pow(10.0, -30.0 / 20);
    const Samples clean = pcm;
    const double speechRms = rms(fliteSpeech());
    const Samples noise = whiteNoise(pcm.size(), speechRms / 10, 5);
    for (size_t i = 0; i < pcm.size(); ++i)
        pcm[i] = static_cast<int16_t>(std::clamp(pcm[i] + noise[i], -32768, 32767));
    WebRtcVad vad;
    int voiced = 0, hits = 0;
    for (size_t pos = 0; pos + kFrameSamples <= pcm.size(); pos += kFrameSamples) {
        const bool speech = vad.isSpeech(std::span(pcm).subspan(pos, kFrameSamples));
        if (rms(std::span(clean).subspan(pos, kFrameSamples)) >= threshold) {
            ++voiced;
            hits += speech;
        }
    }
    std::printf("[ vad      ] speech at 20 dB SNR, mode 2: %d/%d = %.1f%%\n", hits, voiced,
                100.0 * hits / voiced);
    EXPECT_GE(static_cast<double>(hits) / voiced, 0.85);
}

TEST(WebRtcVad, AcceptsTenTwentyThirtyMsAtEveryRate) {
    for (int rate : {8000, 16000, 32000, 48000}) {
        const Samples pcm = paddedSpeech(rate);
        for (int ms : {10, 20, 30}) {
            WebRtcVad vad(2, rate);
            const size_t frame = static_cast<size_t>(rate / 1000 * ms);
            EXPECT_TRUE(WebRtcVad::validFrame(rate, frame));
            const Score s = run(vad, pcm, frame);
            // About half the padded signal is speech; a broken rate path gives ~0 or ~1.
            EXPECT_GT(s.rate(), 0.3) << rate << " Hz " << ms << " ms";
            EXPECT_LT(s.rate(), 0.85) << rate << " Hz " << ms << " ms";
        }
    }
}

TEST(WebRtcVad, RejectsBadFramesAndSettings) {
    WebRtcVad vad;
    const Samples odd(321, 0);
    EXPECT_THROW(vad.isSpeech(odd), std::invalid_argument);
    EXPECT_THROW(vad.isSpeech(std::span<const int16_t>()), std::invalid_argument);
    EXPECT_THROW(WebRtcVad(4), std::invalid_argument);
    EXPECT_THROW(WebRtcVad(2, 44100), std::invalid_argument);
    EXPECT_THROW(vad.setMode(-1), std::invalid_argument);
    vad.setMode(3);
    EXPECT_EQ(vad.mode(), 3);
    vad.reset();  // keeps the mode
    EXPECT_EQ(vad.mode(), 3);
}

TEST(WebRtcVad, UsableThroughTheInterface) {
    std::unique_ptr<VoiceDetector> vad = std::make_unique<WebRtcVad>();
    Frame f;
    EXPECT_FALSE(vad->isSpeech(f.view()));
    WebRtcVad moved = std::move(*static_cast<WebRtcVad*>(vad.get()));
    EXPECT_FALSE(moved.isSpeech(f.view()));
}

TEST(WebRtcVad, MeasuresCostPerFrame) {
    const Samples pcm = paddedSpeech(kRate);
    WebRtcVad vad;
    const size_t frames = pcm.size() / kFrameSamples;
    int speech = 0;
    const double us = microsPerCall(static_cast<int>(frames) * 5, [&](int i) {
        const size_t pos = static_cast<size_t>(i) % frames * kFrameSamples;
        speech += vad.isSpeech(std::span(pcm).subspan(pos, kFrameSamples));
    });
    std::printf("[ cost     ] WebRtcVad mode 2: %.2f us per 20 ms frame at 16 kHz\n", us);
    EXPECT_GT(speech, 0);
    EXPECT_LT(us, 1000.0);
}

}  // namespace voxa::audio
