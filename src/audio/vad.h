// Frame-level voice activity detection. VoiceDetector is the seam; WebRtcVad is always
// there (free, ~2 us per 10 ms, no model files); SileroVad (silero.h) is what calls get when
// its files are installed, through makeVoiceDetector() there.
//
//   std::unique_ptr<voxa::audio::VoiceDetector> vad =
//       std::make_unique<voxa::audio::WebRtcVad>(/*mode=*/2);
//   bool speech = vad->isSpeech(frame.view());      // 10, 20 or 30 ms at the detector's rate
//   vad->reset();                                   // new call / new stream
#pragma once
#include <memory>

#include "audio/audio.h"

struct WebRtcVadInst;  // the C library's opaque state (typedef'd as VadInst there)

namespace voxa::audio {

class VoiceDetector {
public:
    virtual ~VoiceDetector() = default;
    /// True if the frame holds speech. Frames are consecutive pieces of one stream.
    virtual bool isSpeech(std::span<const int16_t> frame) = 0;
    /// Forgets adaptive state (noise floor etc.), as if a new stream started.
    virtual void reset() = 0;
    /// How likely the latest audio is speech, 0..1, for callers that want hysteresis (e.g.
    /// start above 0.5, stop below 0.35). A detector that only decides answers 0 or 1.
    virtual float probability() const = 0;
};

/// Google's GMM VAD from libwebrtc-audio-processing 0.3. It decides per frame, with no
/// hangover: smoothing into utterances (endpointing) belongs to the caller.
class WebRtcVad final : public VoiceDetector {
public:
    static constexpr int kDefaultMode = 2;

    /// mode: aggressiveness 0 (most speech-happy) .. 3 (fewest false alarms).
    /// sampleRate: 8000, 16000, 32000 or 48000. Throws std::invalid_argument otherwise.
    explicit WebRtcVad(int mode = kDefaultMode, int sampleRate = kRate);
    ~WebRtcVad() override;
    WebRtcVad(WebRtcVad&&) noexcept;
    WebRtcVad& operator=(WebRtcVad&&) noexcept;

    /// frame must be 10, 20 or 30 ms at sampleRate(); any other length throws
    /// std::invalid_argument (a caller bug, not a property of the audio).
    bool isSpeech(std::span<const int16_t> frame) override;
    void reset() override;
    float probability() const override { return last_ ? 1.0f : 0.0f; }

    void setMode(int mode);
    int mode() const { return mode_; }
    int sampleRate() const { return rate_; }
    /// Whether `samples` is a frame length the detector accepts at `rate`.
    static bool validFrame(int rate, size_t samples);

private:
    struct Free {
        void operator()(WebRtcVadInst* p) const;
    };
    std::unique_ptr<WebRtcVadInst, Free> inst_;
    int mode_;
    int rate_;
    bool last_ = false;
};

}  // namespace voxa::audio
