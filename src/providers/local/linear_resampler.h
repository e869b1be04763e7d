// Tiny streaming linear-interpolation resampler, private to the local engines.
//
//   LinearResampler rs(22050, audio::kRate);
//   rs.process(chunk, out);   // appends to out; keeps state across chunks
//
// Fallback: src/audio/resampler.h (speexdsp) did not exist when this was written. Swap it in
// once it lands; linear interpolation is adequate for TTS output (no content near Nyquist
// matters for intelligibility) but aliases more than a windowed-sinc filter.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

namespace voxa::providers::local {

class LinearResampler {
public:
    LinearResampler(int inRate, int outRate) : inRate_(inRate), outRate_(outRate) {}

    bool passthrough() const { return inRate_ == outRate_; }

    void process(std::span<const int16_t> in, std::vector<int16_t>& out) {
        if (passthrough()) {
            out.insert(out.end(), in.begin(), in.end());
            return;
        }
        // pos_ is the next output position in input-sample units, relative to the first
        // sample of `in`; index -1 is the last sample of the previous chunk (prev_).
        const double step = double(inRate_) / outRate_;
        const auto n = static_cast<int64_t>(in.size());
        auto at = [&](int64_t i) -> double { return i < 0 ? prev_ : in[size_t(i)]; };
        while (pos_ + 1 < double(n)) {
            int64_t i = pos_ < 0 ? -1 : static_cast<int64_t>(pos_);
            double frac = pos_ - double(i);
            double v = at(i) + (at(i + 1) - at(i)) * frac;
            out.push_back(static_cast<int16_t>(v < -32768 ? -32768 : v > 32767 ? 32767 : v));
            pos_ += step;
        }
        if (n > 0) {
            prev_ = in[size_t(n - 1)];
            pos_ -= double(n);
        }
    }

    void reset() {
        pos_ = 0;
        prev_ = 0;
    }

private:
    int inRate_;
    int outRate_;
    double pos_ = 0;
    double prev_ = 0;
};

}  // namespace voxa::providers::local
