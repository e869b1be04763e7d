// Deterministic test signals and measurements shared by the audio tests.
//
//   auto tone = sine(1000, 8000, 8000);                 // 1 s of 1 kHz at 8 kHz
//   double p = goertzelPower(tone, 1000, 8000);          // energy at one frequency
//   const auto& speech = fliteSpeech();                  // real synthesized speech, 16 kHz
#pragma once
#include <flite/flite.h>
#include <unistd.h>

#include <algorithm>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <numbers>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "audio/audio.h"

extern "C" cst_voice* register_cmu_us_slt(const char* voxdir);  // no header ships for voices

namespace voxa::audio::test {

inline Samples sine(double freq, int rate, size_t n, double amplitude = 10000.0,
                    double phase = 0.0) {
    Samples s(n);
    for (size_t i = 0; i < n; ++i)
        s[i] = static_cast<int16_t>(
            std::lround(amplitude * std::sin(2 * std::numbers::pi * freq * i / rate + phase)));
    return s;
}

/// Roughly Gaussian white noise with the given RMS (sum of 4 uniforms; mt19937 is portable).
inline Samples whiteNoise(size_t n, double rms, uint32_t seed = 7) {
    std::mt19937 gen(seed);
    Samples s(n);
    for (auto& v : s) {
        double u = 0;
        for (int k = 0; k < 4; ++k) u += static_cast<double>(gen()) / 4294967295.0 - 0.5;
        // Each uniform has variance 1/12, so the sum has variance 1/3.
        v = static_cast<int16_t>(std::clamp(u * std::sqrt(3.0) * rms, -32768.0, 32767.0));
    }
    return s;
}

inline double energy(std::span<const int16_t> s) {
    double e = 0;
    for (int16_t v : s) e += static_cast<double>(v) * v;
    return e;
}

inline double rms(std::span<const int16_t> s) {
    return s.empty() ? 0.0 : std::sqrt(energy(s) / static_cast<double>(s.size()));
}

/// Energy at one frequency, scaled so that for a pure tone it approaches energy(s).
inline double goertzelPower(std::span<const int16_t> s, double freq, int rate) {
    const double w = 2 * std::numbers::pi * freq / rate;
    const double coeff = 2 * std::cos(w);
    double s1 = 0, s2 = 0;
    for (int16_t v : s) {
        const double s0 = v + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    const double power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    return 2 * power / static_cast<double>(s.size());
}

/// Frequency estimate from positive-going zero crossings.
inline double zeroCrossingHz(std::span<const int16_t> s, int rate) {
    int first = -1, last = -1, count = 0;
    for (size_t i = 1; i < s.size(); ++i) {
        if (s[i - 1] < 0 && s[i] >= 0) {
            if (first < 0) first = static_cast<int>(i);
            last = static_cast<int>(i);
            ++count;
        }
    }
    if (count < 2) return 0.0;
    return (count - 1) * static_cast<double>(rate) / (last - first);
}

/// Real speech from the flite C library (cmu_us_slt voice, 16 kHz), several sentences.
/// Synthesized once per test binary (~0.3 s).
inline const Samples& fliteSpeech() {
    static const Samples speech = [] {
        flite_init();
        cst_voice* voice = register_cmu_us_slt(nullptr);
        cst_wave* w = flite_text_to_wave(
            "Thank you for calling Voxa. How can I help you today? I would like to book a "
            "table for four people tomorrow evening at seven thirty, near the river.",
            voice);
        Samples out(w->samples, w->samples + w->num_samples);
        if (w->sample_rate != kRate) out.clear();  // the test asserts on the rate instead
        delete_wave(w);
        return out;
    }();
    return speech;
}

/// A fresh directory under the system temp dir, removed with its contents on destruction.
class TempDir {
public:
    TempDir() {
        std::random_device rd;
        path_ = std::filesystem::temp_directory_path() /
                ("voxa-audio-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
        std::filesystem::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    std::string file(const std::string& name) const { return (path_ / name).string(); }

private:
    std::filesystem::path path_;
};

/// Mean wall time of `fn` in microseconds over `iterations` calls.
template <typename Fn>
double microsPerCall(int iterations, Fn&& fn) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < iterations; ++i) fn(i);
    const auto t1 = std::chrono::steady_clock::now();
    return std::chrono::duration<double, std::micro>(t1 - t0).count() / iterations;
}

}  // namespace voxa::audio::test
