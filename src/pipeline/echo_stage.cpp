#include "pipeline/echo_stage.h"

#include <algorithm>
#include <cstdlib>

#include "audio/echo_canceller.h"

namespace voxa::pipeline {

namespace {
constexpr size_t kFrame = audio::kFrameSamples;
constexpr int kAudible = 32;  // a played sample beyond this (-60 dBFS) is audible

bool audible(std::span<const int16_t> pcm) {
    return std::any_of(pcm.begin(), pcm.end(), [](int16_t v) { return std::abs(v) > kAudible; });
}
}  // namespace

EchoStage::EchoStage(Shared& s) : s_(s) {}
EchoStage::~EchoStage() = default;

bool EchoStage::active() const {
    return aec_ && lastAudibleMs_ >= 0 && s_.state.nowMs - lastAudibleMs_ <= kTailMs;
}

void EchoStage::onPlayed(std::span<const int16_t> pcm, bool silence) {
    static const audio::Samples kQuiet(kFrame, 0);
    if (!silence && audible(pcm)) {
        lastAudibleMs_ = s_.state.nowMs;
        if (!aec_) aec_ = std::make_unique<audio::EchoCanceller>();
    }
    if (!active()) {
        if (running_) aec_->pause();
        running_ = false;
        return;
    }
    running_ = true;  // pairing (re)starts with this frame
    aec_->playFar(silence || pcm.empty() ? std::span<const int16_t>(kQuiet) : pcm);
}

void EchoStage::process(Frame f) {
    if (f.kind != FrameKind::InputAudio) return push(std::move(f));
    if (running_ && !active()) {
        aec_->pause();
        running_ = false;
    }
    if (!running_ && carry_.empty() && f.pcm.size() == kFrame) {
        s_.state.inputEcho = false;
        return push(std::move(f));
    }
    // Exact 20 ms frames, so the verdict below is about the frame VadStage analyzes.
    carry_.insert(carry_.end(), f.pcm.begin(), f.pcm.end());
    size_t off = 0;
    for (; carry_.size() - off >= kFrame; off += kFrame) {
        Frame piece;
        piece.kind = FrameKind::InputAudio;
        piece.pcm.assign(carry_.begin() + static_cast<std::ptrdiff_t>(off),
                         carry_.begin() + static_cast<std::ptrdiff_t>(off + kFrame));
        s_.state.inputEcho = running_ && aec_->processNear(piece.pcm).echo;
        push(std::move(piece));
    }
    carry_.erase(carry_.begin(), carry_.begin() + static_cast<std::ptrdiff_t>(off));
    s_.state.inputEcho = false;
}

}  // namespace voxa::pipeline
