// Narrowband compensation for the embedded recognizer: phone audio (8 kHz, upsampled to the
// pipeline's 16 kHz) made fit for pocketsphinx's wideband en-us model.
//
//   NarrowbandFrontEnd nb(ps, NarrowbandFill::Relative);  // once per decoder lease
//   nb.startUtt();
//   nb.process(pcm16k);            // feature extraction + fill; ps_process_cep on the decoder
//   nb.endUtt();                   // flushes the last frame; then ps_end_utt as usual
//
// Why: the model's 25 mel filters reach 6.8 kHz. Upsampled 8 kHz audio has nothing above
// ~3.9 kHz, so the top seven filters see (almost) zero power, log() of which is a huge negative
// number that the cepstra (a cosine transform over all 25 bands) spread over every
// coefficient: ~90 % word errors. This front end computes the model's own log-mel spectrum
// (sphinxbase's fe with the decoder's parameters, as log spectra), fills the empty bands,
// and only then takes the model's cepstra (DCT-II, lifter) and hands them to the decoder
// (ps_process_cep): the cepstral mean, deltas and the search are pocketsphinx's own.
//
// Fills (NarrowbandFill), measured in bench/stt (bench/RESULTS.md):
//   Floor     a constant power added to the empty bands: the feature-domain twin of mixing
//             high-passed white noise into the waveform (the first, crude fix).
//   Relative  each frame's empty bands get the power its own upper in-band bands have, shaped
//             by the model's average spectrum (its cmninit, back in the log-mel domain) and
//             a fixed offset: the filled bands rise and fall with the speech as they would in
//             wideband audio, instead of sitting at a level that only suits loud frames.
#pragma once
#include <pocketsphinx.h>
#include <sphinxbase/fe.h>

#include <span>
#include <string>
#include <vector>

namespace voxa::providers::local {

enum class NarrowbandFill { None, Floor, Relative };

/// "none" | "floor" | "relative" (the setting's values); false for anything else.
bool parseNarrowbandFill(std::string_view s, NarrowbandFill& out);
const char* toString(NarrowbandFill f);

struct NarrowbandTuning {
    double cutoffHz = 3800;   // bands whose upper edge lies above this are refilled
    double floorLog = 6.0;    // Floor: natural log of the power added (fe's units)
    double offsetLog = -1.0;  // Relative: log offset on top of the model's spectral shape
};

/// Frames handed to pocketsphinx per call. Its search runs -pl_window (5) frames behind the
/// acoustic model's ring of 12 frames; without fwdflat (the "fast" profile) that ring does
/// not grow, and a longer call refills it over frames the search still needs ("Frame N
/// outside queue", then an assertion that aborts the process). 20 ms of audio is 2 frames.
inline constexpr int kSearchPieceFrames = 2;
inline constexpr size_t kSearchPieceSamples = 320;

class NarrowbandFrontEnd {
public:
    /// Reads the decoder's front-end parameters (sample rate, filters, noise removal, VAD).
    NarrowbandFrontEnd(ps_decoder_t* ps, NarrowbandFill fill, NarrowbandTuning t = {});
    ~NarrowbandFrontEnd();
    NarrowbandFrontEnd(const NarrowbandFrontEnd&) = delete;
    NarrowbandFrontEnd& operator=(const NarrowbandFrontEnd&) = delete;

    bool ok() const { return fe_ != nullptr; }
    void startUtt();
    /// 16 kHz PCM of the current utterance; decodes what it completes. Returns frames searched.
    int process(std::span<const int16_t> pcm);
    /// The utterance's last partial frame.
    void endUtt();

    /// The cepstra of one frame of log-mel spectrum, exactly as the decoder's own front end
    /// computes them (tests compare the two).
    void cepstra(const float* logspec, mfcc_t* out) const;
    /// Applies the fill to one frame of log-mel spectrum in place.
    void fill(float* logspec) const;
    int bands() const { return nfilt_; }
    int firstMissingBand() const { return firstMissing_; }

private:
    void emit(int nframes);

    ps_decoder_t* ps_;
    fe_t* fe_ = nullptr;
    NarrowbandFill fill_;
    NarrowbandTuning tuning_;
    int nfilt_ = 0, ncep_ = 0, firstMissing_ = 0;
    std::vector<float> cos_;       // ncep x nfilt DCT-II basis
    std::vector<float> lifter_;    // ncep
    std::vector<float> shape_;     // nfilt: the model's mean log-mel spectrum (from cmninit)
    std::vector<mfcc_t> specBuf_, cepBuf_;
    std::vector<mfcc_t*> specRows_, cepRows_;
};

}  // namespace voxa::providers::local
