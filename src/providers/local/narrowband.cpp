#include "providers/local/narrowband.h"

#include <sphinxbase/cmd_ln.h>

#include <algorithm>
#include <cmath>
#include <sstream>

namespace voxa::providers::local {

namespace {

constexpr int kBlockFrames = 32;  // frames per fe_process_frames call

double mel(double hz) { return 2595.0 * std::log10(1.0 + hz / 700.0); }
double melInv(double m) { return 700.0 * (std::pow(10.0, m / 2595.0) - 1.0); }

/// A fresh front-end config with the decoder's values, asking for log-mel spectra.
cmd_ln_t* frontEndConfig(ps_decoder_t* ps) {
    cmd_ln_t* src = ps_get_config(ps);
    const arg_t* defs = fe_get_args();
    cmd_ln_t* cfg = cmd_ln_init(nullptr, defs, FALSE, nullptr);
    if (!cfg) return nullptr;
    for (const arg_t* a = defs; a->name; ++a) {
        if (!cmd_ln_exists_r(src, a->name) || !cmd_ln_access_r(src, a->name)) continue;
        switch (a->type & ~1) {  // the low bit marks a required argument
            case ARG_INTEGER:
            case ARG_BOOLEAN: cmd_ln_set_int_r(cfg, a->name, cmd_ln_int_r(src, a->name)); break;
            case ARG_FLOATING: cmd_ln_set_float_r(cfg, a->name, cmd_ln_float_r(src, a->name)); break;
            case ARG_STRING:
                if (const char* s = cmd_ln_str_r(src, a->name)) cmd_ln_set_str_r(cfg, a->name, s);
                break;
            default: break;
        }
    }
    cmd_ln_set_int_r(cfg, "-logspec", 1);
    cmd_ln_set_int_r(cfg, "-smoothspec", 0);
    cmd_ln_set_int_r(cfg, "-lifter", 0);  // fe would lifter the log spectrum itself
    return cfg;
}

}  // namespace

bool parseNarrowbandFill(std::string_view s, NarrowbandFill& out) {
    if (s == "none") out = NarrowbandFill::None;
    else if (s == "floor") out = NarrowbandFill::Floor;
    else if (s == "relative") out = NarrowbandFill::Relative;
    else return false;
    return true;
}

const char* toString(NarrowbandFill f) {
    switch (f) {
        case NarrowbandFill::None: return "none";
        case NarrowbandFill::Floor: return "floor";
        case NarrowbandFill::Relative: return "relative";
    }
    return "?";
}

NarrowbandFrontEnd::NarrowbandFrontEnd(ps_decoder_t* ps, NarrowbandFill fill, NarrowbandTuning t)
    : ps_(ps), fill_(fill), tuning_(t) {
    cmd_ln_t* src = ps_get_config(ps);
    nfilt_ = int(cmd_ln_int_r(src, "-nfilt"));
    ncep_ = int(cmd_ln_int_r(src, "-ncep"));
    double lowerf = cmd_ln_float_r(src, "-lowerf"), upperf = cmd_ln_float_r(src, "-upperf");
    int lifterVal = int(cmd_ln_int_r(src, "-lifter"));
    const char* transform = cmd_ln_str_r(src, "-transform");
    if (nfilt_ <= 0 || ncep_ <= 0 || ncep_ > nfilt_ || !transform || std::string(transform) != "dct") return;
    cmd_ln_t* cfg = frontEndConfig(ps);
    if (!cfg) return;
    // sphinxbase 5prealpha's fe_init_auto_r retains the config (its header says it claims
    // it); drop ours so fe_free releases the last reference.
    fe_ = fe_init_auto_r(cfg);
    cmd_ln_free_r(cfg);
    if (!fe_) return;
    if (fe_get_output_size(fe_) != nfilt_) {
        fe_free(fe_);
        fe_ = nullptr;
        return;
    }

    // sphinxbase's DCT-II ("dct" transform): c0 = sqrt(1/N) sum, ci = sqrt(2/N) sum cos(...).
    cos_.resize(size_t(ncep_ * nfilt_));
    for (int i = 0; i < ncep_; ++i)
        for (int j = 0; j < nfilt_; ++j)
            cos_[size_t(i * nfilt_ + j)] =
                i == 0 ? float(std::sqrt(1.0 / nfilt_))
                       : float(std::sqrt(2.0 / nfilt_) * std::cos(M_PI * i * (j + 0.5) / nfilt_));
    lifter_.assign(size_t(ncep_), 1.0f);
    if (lifterVal > 0)
        for (int i = 0; i < ncep_; ++i)
            lifter_[size_t(i)] = float(1.0 + lifterVal / 2.0 * std::sin(M_PI * i / lifterVal));

    // Bands whose filter reaches above the cut-off hold no narrowband energy.
    double m0 = mel(lowerf), step = (mel(upperf) - m0) / (nfilt_ + 1);
    firstMissing_ = nfilt_;
    for (int b = 0; b < nfilt_; ++b)
        if (melInv(m0 + (b + 2) * step) > tuning_.cutoffHz) {
            firstMissing_ = b;
            break;
        }

    // The model's mean log-mel spectrum: its initial cepstral mean (liftered cepstra of the
    // training data) taken back through the inverse DCT. Smooth (13 coefficients), which is
    // what the refilled bands should follow.
    std::vector<double> mean(size_t(ncep_), 0.0);
    if (const char* init = cmd_ln_str_r(src, "-cmninit")) {
        std::stringstream ss(init);
        std::string tok;
        for (int i = 0; i < ncep_ && std::getline(ss, tok, ','); ++i) mean[size_t(i)] = std::atof(tok.c_str());
    }
    shape_.assign(size_t(nfilt_), 0.0f);
    for (int j = 0; j < nfilt_; ++j) {
        double v = 0;
        for (int i = 0; i < ncep_; ++i) v += mean[size_t(i)] / lifter_[size_t(i)] * cos_[size_t(i * nfilt_ + j)];
        shape_[size_t(j)] = float(v);  // the basis is orthonormal: its transpose inverts it
    }

    specBuf_.resize(size_t(kBlockFrames * nfilt_));
    cepBuf_.resize(size_t(kBlockFrames * ncep_));
    for (int f = 0; f < kBlockFrames; ++f) {
        specRows_.push_back(specBuf_.data() + f * nfilt_);
        cepRows_.push_back(cepBuf_.data() + f * ncep_);
    }
    fe_start_stream(fe_);
}

NarrowbandFrontEnd::~NarrowbandFrontEnd() {
    if (fe_) fe_free(fe_);
}

void NarrowbandFrontEnd::cepstra(const float* spec, mfcc_t* out) const {
    for (int i = 0; i < ncep_; ++i) {
        double v = 0;
        const float* basis = cos_.data() + i * nfilt_;
        for (int j = 0; j < nfilt_; ++j) v += double(spec[j]) * basis[j];
        out[i] = mfcc_t(v * lifter_[size_t(i)]);
    }
}

void NarrowbandFrontEnd::fill(float* spec) const {
    auto addPower = [](float a, double b) {  // log(exp(a) + exp(b))
        double hi = std::max(double(a), b), lo = std::min(double(a), b);
        return float(hi + std::log1p(std::exp(lo - hi)));
    };
    switch (fill_) {
        case NarrowbandFill::None: return;
        case NarrowbandFill::Floor:
            for (int b = firstMissing_; b < nfilt_; ++b) spec[b] = addPower(spec[b], tuning_.floorLog);
            return;
        case NarrowbandFill::Relative: {
            // This frame's level against the model's shape over the top in-band bands.
            int from = std::max(0, firstMissing_ - 4);
            double level = 0;
            for (int b = from; b < firstMissing_; ++b) level += spec[b] - shape_[size_t(b)];
            level /= std::max(1, firstMissing_ - from);
            for (int b = firstMissing_; b < nfilt_; ++b)
                spec[b] = addPower(spec[b], shape_[size_t(b)] + level + tuning_.offsetLog);
            return;
        }
    }
}

void NarrowbandFrontEnd::emit(int nframes) {
    for (int f = 0; f < nframes; ++f) {
        fill(specRows_[size_t(f)]);
        cepstra(specRows_[size_t(f)], cepRows_[size_t(f)]);
    }
    // Two frames per call, as 20 ms of audio gives (see kSearchPieceFrames in narrowband.h).
    for (int f = 0; f < nframes; f += kSearchPieceFrames)
        ps_process_cep(ps_, cepRows_.data() + f, std::min(kSearchPieceFrames, nframes - f), FALSE, FALSE);
}

void NarrowbandFrontEnd::startUtt() {
    if (fe_) fe_start_utt(fe_);
}

int NarrowbandFrontEnd::process(std::span<const int16_t> pcm) {
    if (!fe_) return 0;
    const int16* p = pcm.data();
    size_t n = pcm.size();
    int total = 0;
    while (n > 0) {
        int32 nframes = kBlockFrames;
        size_t before = n;
        if (fe_process_frames(fe_, &p, &n, specRows_.data(), &nframes, nullptr) < 0) break;
        emit(nframes);
        total += nframes;
        if (nframes == 0 && n == before) break;  // all of it buffered in fe
    }
    return total;
}

void NarrowbandFrontEnd::endUtt() {
    if (!fe_) return;
    int32 n = 0;
    fe_end_utt(fe_, specRows_[0], &n);
    emit(n);
}

}  // namespace voxa::providers::local
