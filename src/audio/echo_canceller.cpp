#include "audio/echo_canceller.h"

// The library's headers are not warning-clean (an unused parameter).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include <webrtc/modules/audio_processing/include/audio_processing.h>
#include <webrtc/modules/interface/module_common_types.h>
#pragma GCC diagnostic pop

#include <algorithm>
#include <array>
#include <cmath>
#include <deque>
#include <stdexcept>

#include "audio/echo_guard.h"

namespace voxa::audio {

namespace {
constexpr size_t kChunk = kRate / 100;  // 10 ms: what the APM takes
using Chunk = std::array<int16_t, kChunk>;
constexpr size_t kMaxQueued = 100;       // 1 s of unpaired reference at most
constexpr int kDepthWindow = 100;        // caller chunks (1 s) over which the depth is watched
constexpr size_t kSlack = 4;             // 40 ms: jitter the pairing absorbs without trimming
constexpr double kQuietEnergy = 30.0 * 30.0;  // caller chunks below RMS 30 (-60 dBFS) skip the APM

double energy(std::span<const int16_t> s) {
    double e = 0;
    for (int16_t v : s) e += double(v) * v;
    return s.empty() ? 0 : e / double(s.size());
}
double toDb(double e) { return 10 * std::log10(e + 1); }
}  // namespace

struct EchoCanceller::Impl {
    std::unique_ptr<webrtc::AudioProcessing> apm;
    webrtc::AudioFrame far, near;
    std::deque<Chunk> queued;   // played, not yet paired with caller audio
    Chunk pending{};            // a played chunk's first part (playFar with a partial chunk)
    size_t pendingSize = 0;
    size_t minDepth = SIZE_MAX; // least reference queued when a caller chunk came, this window
    int windowChunks = 0;
    EchoGuard guard;
    bool metrics = false;

    void frame(webrtc::AudioFrame& f, const int16_t* pcm) {
        f.UpdateFrame(0, 0, pcm, kChunk, kRate, webrtc::AudioFrame::kNormalSpeech,
                      webrtc::AudioFrame::kVadUnknown, 1);
    }
};

EchoCanceller::EchoCanceller(Options o) : impl_(std::make_unique<Impl>()) { impl_->metrics = o.metrics; }

// The APM (~350 KB) is made when the caller's line first carries sound while the assistant
// plays: a call on a quiet line (no echo, the caller listening) never pays for it.
static std::unique_ptr<webrtc::AudioProcessing> makeApm(bool metrics) {
    webrtc::Config cfg;
    cfg.Set<webrtc::ExtendedFilter>(new webrtc::ExtendedFilter(true));
    cfg.Set<webrtc::DelayAgnostic>(new webrtc::DelayAgnostic(true));
    std::unique_ptr<webrtc::AudioProcessing> apm(webrtc::AudioProcessing::Create(cfg));
    if (!apm) throw std::runtime_error("echo canceller: AudioProcessing::Create failed");
    using AP = webrtc::AudioProcessing;
    if (apm->Initialize(kRate, kRate, kRate, AP::kMono, AP::kMono, AP::kMono) != AP::kNoError)
        throw std::runtime_error("echo canceller: Initialize failed");
    auto* ec = apm->echo_cancellation();
    ec->enable_drift_compensation(false);
    // Low: the least non-linear suppression. Moderate and high also took 3-8 dB more of a
    // caller talking over the echo (double talk), and the linear filter already leaves the
    // echo of a phone line ~35 dB down; what it misses the guard judges.
    ec->set_suppression_level(webrtc::EchoCancellation::kLowSuppression);
    ec->enable_metrics(metrics);
    ec->enable_delay_logging(metrics);
    if (ec->Enable(true) != AP::kNoError) throw std::runtime_error("echo canceller: Enable failed");
    return apm;
}

EchoCanceller::~EchoCanceller() = default;

void EchoCanceller::playFar(std::span<const int16_t> pcm) {
    auto& im = *impl_;
    while (!pcm.empty()) {
        size_t n = std::min(pcm.size(), kChunk - im.pendingSize);
        std::copy_n(pcm.begin(), n, im.pending.begin() + static_cast<std::ptrdiff_t>(im.pendingSize));
        im.pendingSize += n;
        pcm = pcm.subspan(n);
        if (im.pendingSize < kChunk) break;
        im.queued.push_back(im.pending);
        im.pendingSize = 0;
        // The caller's audio stopped coming while the assistant talks: keep the latest.
        if (im.queued.size() > kMaxQueued) im.queued.pop_front();
    }
}

EchoCanceller::Result EchoCanceller::processNear(std::span<int16_t> pcm) {
    auto& im = *impl_;
    static const Chunk kSilence{};
    if (pcm.size() < kChunk) throw std::invalid_argument("echo canceller: less than 10 ms of audio");
    double inSum = 0, outSum = 0;
    size_t chunks = 0;
    for (size_t off = 0; off + kChunk <= pcm.size(); off += kChunk, ++chunks) {
        // Pairing: the oldest played chunk not yet paired (silence if the caller is ahead).
        im.minDepth = std::min(im.minDepth, im.queued.size());
        const Chunk& ref = im.queued.empty() ? kSilence : im.queued.front();
        const double refE = energy(ref);
        auto chunk = pcm.subspan(off, kChunk);
        const double inE = energy(chunk);
        double outE = inE;
        if (inE >= kQuietEnergy || im.guard.pathKnown()) {
            if (!im.apm) im.apm = makeApm(im.metrics);
            im.frame(im.far, ref.data());
            im.apm->ProcessReverseStream(&im.far);
            im.frame(im.near, chunk.data());
            im.apm->set_stream_delay_ms(0);  // delay-agnostic: the AEC finds the delay itself
            im.apm->ProcessStream(&im.near);
            std::copy_n(im.near.data_, kChunk, chunk.begin());
            outE = energy(chunk);
        }
        // Until the guard has found an echo path, a quiet chunk carries no echo worth
        // removing (nor a voice): both sides skip it together, so the pairing holds and a
        // line without echo costs next to nothing. Once there is echo every chunk goes
        // through: skipped chunks break the filter's history (ERLE fell from 37 to 17-23 dB).
        if (!im.queued.empty()) im.queued.pop_front();
        im.guard.add(refE, inE, outE);
        inSum += inE;
        outSum += outE;

        // Reference that stays queued for a whole second (the caller paused, then came back)
        // would pair the caller with the past: drop it down to a little jitter allowance.
        if (++im.windowChunks >= kDepthWindow) {
            if (im.minDepth != SIZE_MAX && im.minDepth > kSlack)
                im.queued.erase(im.queued.begin(),
                                im.queued.begin() + static_cast<std::ptrdiff_t>(im.minDepth - 2));
            im.windowChunks = 0;
            im.minDepth = SIZE_MAX;
        }
    }
    auto v = im.guard.judge();
    return Result{.echo = v.echo,
                  .inDb = toDb(inSum / double(chunks)),
                  .outDb = toDb(outSum / double(chunks)),
                  .correlation = v.correlation,
                  .lagMs = v.lagMs,
                  .gainDb = v.gainDb};
}

void EchoCanceller::pause() {
    auto& im = *impl_;
    im.queued.clear();
    im.pendingSize = 0;
    im.minDepth = SIZE_MAX;
    im.windowChunks = 0;
    im.guard.clearHistory();
}

std::optional<EchoCanceller::Metrics> EchoCanceller::metrics() const {
    if (!impl_->metrics || !impl_->apm) return std::nullopt;
    auto* ec = impl_->apm->echo_cancellation();
    webrtc::EchoCancellation::Metrics m;
    Metrics out;
    if (ec->GetMetrics(&m) == webrtc::AudioProcessing::kNoError) {
        out.erleDb = m.echo_return_loss_enhancement.average;
        out.erlDb = m.echo_return_loss.average;
    }
    int median = 0, stddev = 0;
    float poor = 0;
    if (ec->GetDelayMetrics(&median, &stddev, &poor) == webrtc::AudioProcessing::kNoError) out.delayMs = median;
    return out;
}

}  // namespace voxa::audio
