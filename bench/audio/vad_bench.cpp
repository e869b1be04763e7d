// Cost of the voice activity detectors per 20 ms frame at 16 kHz (make bench): the WebRTC VAD
// and Silero VAD v5 (when scripts/engines.sh installed it), on a second of synthetic voiced
// sound (harmonics of 150 Hz with a syllable envelope) so that neither skips work.
//
//   build/bench/vad_bench [--benchmark_filter=Silero]
#include <benchmark/benchmark.h>

#include <cmath>
#include <numbers>
#include <string>

#include "audio/silero.h"

namespace {

using namespace voxa::audio;

const Samples& voiced() {
    static const Samples pcm = [] {
        Samples s(kRate);
        for (size_t i = 0; i < s.size(); ++i) {
            const double t = static_cast<double>(i) / kRate;
            double v = 0;
            for (int h = 1; h <= 10; ++h) v += std::sin(2 * std::numbers::pi * 150 * h * t) / h;
            s[i] = static_cast<int16_t>(4000 * v * (0.6 + 0.4 * std::sin(2 * std::numbers::pi * 4 * t)));
        }
        return s;
    }();
    return pcm;
}

template <typename Detector>
void run(benchmark::State& state, Detector& vad) {
    const Samples& pcm = voiced();
    const size_t frames = pcm.size() / kFrameSamples;
    size_t i = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(vad.isSpeech(std::span(pcm).subspan(i * kFrameSamples, kFrameSamples)));
        i = (i + 1) % frames;
    }
    state.SetLabel("per 20 ms frame");
}

void WebRtcVadFrame(benchmark::State& state) {
    WebRtcVad vad;
    run(state, vad);
}
BENCHMARK(WebRtcVadFrame);

void SileroVadFrame(benchmark::State& state) {
    std::string why;
    auto model = SileroModel::load({}, why);
    if (!model) {
        state.SkipWithError(("Silero VAD unavailable (" + why + "): run scripts/engines.sh").c_str());
        return;
    }
    SileroVad vad(model);
    run(state, vad);
}
BENCHMARK(SileroVadFrame);

}  // namespace

BENCHMARK_MAIN();
