#include "audio/realtime_gate.h"

#include <algorithm>

namespace voxa::audio {

RealtimeGate::RealtimeGate(Options o)
    : rate_(std::max(1, o.rate)),
      capacity_(std::max(0.0, o.burstSeconds) * rate_),
      tokens_(capacity_) {}

size_t RealtimeGate::admit(Clock::time_point now, size_t samples) {
    if (started_ && now > last_) {
        double secs = std::chrono::duration<double>(now - last_).count();
        tokens_ = std::min(capacity_, tokens_ + secs * rate_);
    }
    if (!started_ || now > last_) last_ = now;
    started_ = true;
    size_t n = std::min(samples, static_cast<size_t>(std::max(0.0, tokens_)));
    tokens_ -= static_cast<double>(n);
    dropped_ += static_cast<int64_t>(samples - n);
    return n;
}

}  // namespace voxa::audio
