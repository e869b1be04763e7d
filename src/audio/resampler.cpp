#include "audio/resampler.h"

#include <speex/speex_resampler.h>

#include <algorithm>
#include <stdexcept>
#include <string>

namespace voxa::audio {

struct Resampler::Impl {
    SpeexResamplerState* state = nullptr;

    Impl(int inRate, int outRate, int quality) {
        int err = RESAMPLER_ERR_SUCCESS;
        state = speex_resampler_init(1, static_cast<spx_uint32_t>(inRate),
                                     static_cast<spx_uint32_t>(outRate), quality, &err);
        if (!state || err != RESAMPLER_ERR_SUCCESS)
            throw std::runtime_error(std::string("speex resampler: ") +
                                     speex_resampler_strerror(err));
    }
    ~Impl() { speex_resampler_destroy(state); }
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;
};

namespace {

void checkRate(int rate) {
    if (rate < 1000 || rate > 384000)
        throw std::invalid_argument("resampler: unsupported rate " + std::to_string(rate));
}

// Runs the filter over `in`, appending everything it produces. The output room is the ideal
// length plus slack; speex stops early if it runs out of room, so loop until input is used.
void run(SpeexResamplerState* st, int inRate, int outRate, std::span<const int16_t> in,
         Samples& out) {
    size_t used = out.size();
    const int16_t* src = in.data();
    size_t remaining = in.size();
    while (remaining > 0) {
        const size_t room = static_cast<size_t>(uint64_t{remaining} * outRate / inRate) + 16;
        out.resize(used + room);
        // speex takes 32-bit lengths; stay well inside them for huge offline buffers.
        auto inLen = static_cast<spx_uint32_t>(std::min<size_t>(remaining, 1u << 24));
        auto outLen = static_cast<spx_uint32_t>(std::min<size_t>(room, 1u << 30));
        speex_resampler_process_int(st, 0, src, &inLen, out.data() + used, &outLen);
        src += inLen;
        remaining -= inLen;
        used += outLen;
        if (inLen == 0 && outLen == 0) break;  // cannot happen with room > 0; never spin
    }
    out.resize(used);  // shrinking keeps capacity: steady-state calls do not allocate
}

}  // namespace

Resampler::Resampler(int inRate, int outRate, int quality) : inRate_(inRate), outRate_(outRate) {
    checkRate(inRate);
    checkRate(outRate);
    if (quality < 0 || quality > 10)
        throw std::invalid_argument("resampler: quality must be 0..10");
    if (inRate != outRate) impl_ = std::make_unique<Impl>(inRate, outRate, quality);
}

Resampler::~Resampler() = default;
Resampler::Resampler(Resampler&&) noexcept = default;
Resampler& Resampler::operator=(Resampler&&) noexcept = default;

void Resampler::process(std::span<const int16_t> in, Samples& out) {
    if (!impl_) {
        out.insert(out.end(), in.begin(), in.end());
        return;
    }
    run(impl_->state, inRate_, outRate_, in, out);
}

void Resampler::reset() {
    if (impl_) speex_resampler_reset_mem(impl_->state);
}

int Resampler::latencySamples() const {
    return impl_ ? speex_resampler_get_output_latency(impl_->state) : 0;
}

Samples Resampler::convert(std::span<const int16_t> in, int inRate, int outRate, int quality) {
    Resampler r(inRate, outRate, quality);
    if (r.passthrough()) return Samples(in.begin(), in.end());
    const auto target = static_cast<size_t>(
        (uint64_t{in.size()} * outRate + static_cast<uint64_t>(inRate) / 2) / inRate);
    Samples out;
    out.reserve(target + 64);
    // Skipping the filter's leading zeros aligns output with input; zeros fed at the end
    // push the last real samples out of the filter.
    speex_resampler_skip_zeros(r.impl_->state);
    run(r.impl_->state, inRate, outRate, in, out);
    const Samples tail(static_cast<size_t>(speex_resampler_get_input_latency(r.impl_->state)) + 1,
                       0);
    for (int i = 0; i < 4 && out.size() < target; ++i)
        run(r.impl_->state, inRate, outRate, tail, out);
    out.resize(target, 0);
    return out;
}

}  // namespace voxa::audio
