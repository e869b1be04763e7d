#include "audio/pacer.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

namespace voxa::audio {

Pacer::Pacer(int initialMs)
    : ring_(std::bit_ceil(static_cast<size_t>(
          std::max<int64_t>(msToSamples(std::max(initialMs, 0)), kFrameSamples)))) {}

void Pacer::grow(size_t need) {
    // Unwrap into a larger power-of-two buffer; only happens while the queue is growing.
    std::vector<int16_t> bigger(std::bit_ceil(need));
    const size_t first = std::min(size_, ring_.size() - head_);
    std::memcpy(bigger.data(), ring_.data() + head_, first * sizeof(int16_t));
    std::memcpy(bigger.data() + first, ring_.data(), (size_ - first) * sizeof(int16_t));
    ring_ = std::move(bigger);
    head_ = 0;
}

void Pacer::push(std::span<const int16_t> pcm) {
    if (pcm.empty()) return;
    open_ = true;
    if (size_ + pcm.size() > ring_.size()) grow(size_ + pcm.size());
    const size_t mask = ring_.size() - 1;
    const size_t tail = (head_ + size_) & mask;
    const size_t first = std::min(pcm.size(), ring_.size() - tail);
    std::memcpy(ring_.data() + tail, pcm.data(), first * sizeof(int16_t));
    std::memcpy(ring_.data(), pcm.data() + first, (pcm.size() - first) * sizeof(int16_t));
    size_ += pcm.size();
}

void Pacer::flush() {
    // Frames are cut from head_, so the partial frame is whatever exceeds a multiple of 320.
    const size_t partial = size_ % kFrameSamples;
    if (partial != 0) {
        static constexpr std::array<int16_t, kFrameSamples> kSilence{};
        push(std::span(kSilence).first(kFrameSamples - partial));
    }
    open_ = false;
}

bool Pacer::next(Frame& out) {
    if (size_ < static_cast<size_t>(kFrameSamples)) {
        if (open_) ++underruns_;
        return false;
    }
    const size_t first = std::min<size_t>(kFrameSamples, ring_.size() - head_);
    std::memcpy(out.samples.data(), ring_.data() + head_, first * sizeof(int16_t));
    std::memcpy(out.samples.data() + first, ring_.data(),
                (kFrameSamples - first) * sizeof(int16_t));
    head_ = (head_ + kFrameSamples) & (ring_.size() - 1);
    size_ -= kFrameSamples;
    ++framesOut_;
    return true;
}

void Pacer::clear() {
    head_ = 0;
    size_ = 0;
    open_ = false;
}

JitterStats::JitterStats(std::chrono::microseconds period) : period_(period) {}

void JitterStats::tick(Clock::time_point actual) {
    ++ticks_;
    if (!anchored_) {
        anchored_ = true;
        anchor_ = actual;
        sinceAnchor_ = 0;
    }
    const auto ideal = anchor_ + period_ * sinceAnchor_;
    ++sinceAnchor_;
    const int64_t offsetUs =
        std::chrono::duration_cast<std::chrono::microseconds>(actual - ideal).count();
    lastOffsetUs_ = offsetUs;
    const int64_t jitterUs = offsetUs < 0 ? -offsetUs : offsetUs;
    maxUs_ = std::max(maxUs_, jitterUs);
    const auto bucket = static_cast<size_t>(jitterUs / kBucketUs);
    ++histogram_[std::min(bucket, kBuckets)];
}

double JitterStats::percentileMs(double p) const {
    if (ticks_ == 0) return 0.0;
    // The smallest bucket whose cumulative count reaches the rank; report its upper edge.
    const auto rank = static_cast<uint64_t>(std::ceil(std::clamp(p, 0.0, 100.0) / 100.0 *
                                                      static_cast<double>(ticks_)));
    uint64_t seen = 0;
    for (size_t i = 0; i <= kBuckets; ++i) {
        seen += histogram_[i];
        if (seen >= std::max<uint64_t>(rank, 1)) {
            if (i == kBuckets) return maxMs();
            return std::min(static_cast<double>((i + 1) * kBucketUs) / 1000.0, maxMs());
        }
    }
    return maxMs();
}

}  // namespace voxa::audio
