#include "audio/vad.h"

#include <stdexcept>
#include <string>

// libwebrtc-audio-processing exports the raw VAD but its -dev package ships no header for it.
// Signatures checked against the 0.3 binary (disassembly): Create takes no argument and
// returns the malloc'd state; Process takes (state, rate, samples, length as size_t) and
// returns 1 speech, 0 silence, -1 error.
extern "C" {
WebRtcVadInst* WebRtcVad_Create(void);
void WebRtcVad_Free(WebRtcVadInst* handle);
int WebRtcVad_Init(WebRtcVadInst* handle);
int WebRtcVad_set_mode(WebRtcVadInst* handle, int mode);
int WebRtcVad_Process(WebRtcVadInst* handle, int fs, const int16_t* audio_frame,
                      size_t frame_length);
}

namespace voxa::audio {

void WebRtcVad::Free::operator()(WebRtcVadInst* p) const { WebRtcVad_Free(p); }

WebRtcVad::WebRtcVad(int mode, int sampleRate)
    : inst_(WebRtcVad_Create()), mode_(mode), rate_(sampleRate) {
    if (sampleRate != 8000 && sampleRate != 16000 && sampleRate != 32000 && sampleRate != 48000)
        throw std::invalid_argument("vad: unsupported rate " + std::to_string(sampleRate));
    if (mode < 0 || mode > 3) throw std::invalid_argument("vad: mode must be 0..3");
    if (!inst_) throw std::bad_alloc();
    reset();
}

WebRtcVad::~WebRtcVad() = default;
WebRtcVad::WebRtcVad(WebRtcVad&&) noexcept = default;
WebRtcVad& WebRtcVad::operator=(WebRtcVad&&) noexcept = default;

bool WebRtcVad::validFrame(int rate, size_t samples) {
    const auto perMs = static_cast<size_t>(rate / 1000);
    return samples == perMs * 10 || samples == perMs * 20 || samples == perMs * 30;
}

bool WebRtcVad::isSpeech(std::span<const int16_t> frame) {
    if (!validFrame(rate_, frame.size()))
        throw std::invalid_argument("vad: frame of " + std::to_string(frame.size()) +
                                    " samples is not 10/20/30 ms at " + std::to_string(rate_));
    last_ = WebRtcVad_Process(inst_.get(), rate_, frame.data(), frame.size()) == 1;
    return last_;
}

void WebRtcVad::reset() {
    // Init restores the default mode, so the chosen one is applied again.
    if (WebRtcVad_Init(inst_.get()) != 0 || WebRtcVad_set_mode(inst_.get(), mode_) != 0)
        throw std::runtime_error("vad: init failed");
    last_ = false;
}

void WebRtcVad::setMode(int mode) {
    if (mode < 0 || mode > 3) throw std::invalid_argument("vad: mode must be 0..3");
    if (WebRtcVad_set_mode(inst_.get(), mode) != 0) throw std::runtime_error("vad: set_mode");
    mode_ = mode;
}

}  // namespace voxa::audio
