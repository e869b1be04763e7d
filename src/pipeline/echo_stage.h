// Echo immunity: the caller's audio, before the voice detector, with the assistant's own
// voice taken out (audio/echo_canceller.h) and each frame judged: is it only that echo?
//
//   transport in -> EchoStage -> VadStage -> SttStage -> ...
//   OutputTap::onOutputFrame(pcm, silence) -> echo.onPlayed(pcm, silence)   // every tick
//   Pipeline::tick() with nothing played  -> echo.onPlayed({}, true)
//
// Frames leave in exact 20 ms pieces with State::inputEcho set for that piece (VadStage's
// one hook: an echo frame is not the caller's voice). The cleaned audio goes on to the
// voice detector and the transcriber; the call's recording keeps what the caller really
// sent (the session records before Pipeline::pushAudio).
//
// The canceller runs only while it can matter: from the first audible frame played until
// kTailMs after the last one (the echo path's delay plus the filter's length). In between it
// is paused, not reset, so the next reply starts with the filter already adapted; an idle
// call costs a copy per frame.
#pragma once
#include <memory>

#include "pipeline/stages.h"

namespace voxa::audio {
class EchoCanceller;
}

namespace voxa::pipeline {

class EchoStage : public Stage {
public:
    static constexpr int64_t kTailMs = 600;

    explicit EchoStage(Shared& s);
    ~EchoStage() override;
    void process(Frame f) override;
    /// What the transport was handed this tick (silence: nothing audible was played).
    void onPlayed(std::span<const int16_t> pcm, bool silence);

private:
    bool active() const;
    Shared& s_;
    std::unique_ptr<audio::EchoCanceller> aec_;  // made at the first audible frame played
    audio::Samples carry_;                       // caller audio short of a 20 ms frame
    int64_t lastAudibleMs_ = -1;                 // call clock of the last audible frame played
    bool running_ = false;                       // the canceller is being fed
};

}  // namespace voxa::pipeline
