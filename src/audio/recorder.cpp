#include "audio/recorder.h"

#include <sndfile.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <utility>
#include <stdexcept>

namespace voxa::audio {
namespace {

constexpr int64_t kChunkShift = 12;
constexpr int64_t kChunkSamples = int64_t{1} << kChunkShift;  // 256 ms at 16 kHz, 8 KiB
constexpr int64_t kChunkMask = kChunkSamples - 1;

// Owns an SNDFILE* opened for writing; closing flushes the header with the final length.
class WavWriter {
public:
    WavWriter(const std::string& path, int rate, int channels) {
        SF_INFO info{};
        info.samplerate = rate;
        info.channels = channels;
        info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
        file_ = sf_open(path.c_str(), SFM_WRITE, &info);
        if (!file_)
            throw std::runtime_error("recorder: cannot write " + path + ": " +
                                     sf_strerror(nullptr));
    }
    ~WavWriter() {
        if (file_) sf_close(file_);
    }
    WavWriter(const WavWriter&) = delete;
    WavWriter& operator=(const WavWriter&) = delete;

    void write(const int16_t* data, sf_count_t frames) {
        if (sf_writef_short(file_, data, frames) != frames)
            throw std::runtime_error(std::string("recorder: write failed: ") + sf_strerror(file_));
    }
    void close() {
        const int rc = sf_close(file_);
        file_ = nullptr;
        if (rc != 0) throw std::runtime_error("recorder: close failed");
    }

private:
    SNDFILE* file_ = nullptr;
};

}  // namespace

// A window of fixed-size chunks over the track's timeline: chunk `first + i` is chunks[i].
// Growth never moves recorded audio, chunks nobody wrote to stay unallocated and read as
// silence, and release() frees what was taken.
struct CallRecorder::Track {
    std::deque<std::unique_ptr<int16_t[]>> chunks;
    int64_t first = 0;  // chunk index of chunks[0]
    int64_t end = 0;

    // `at` is at or after the window's start (CallRecorder::add routes earlier writes).
    void write(int64_t at, std::span<const int16_t> pcm) {
        size_t done = 0;
        while (done < pcm.size()) {
            const int64_t pos = at + static_cast<int64_t>(done);
            const auto i = static_cast<size_t>((pos >> kChunkShift) - first);
            if (chunks.size() <= i) chunks.resize(i + 1);
            auto& chunk = chunks[i];
            if (!chunk) chunk = std::make_unique<int16_t[]>(kChunkSamples);  // zeroed
            const int64_t offset = pos & kChunkMask;
            const size_t n =
                std::min(pcm.size() - done, static_cast<size_t>(kChunkSamples - offset));
            std::memcpy(chunk.get() + offset, pcm.data() + done, n * sizeof(int16_t));
            done += n;
        }
        end = std::max(end, at + static_cast<int64_t>(pcm.size()));
    }

    void read(int64_t from, std::span<int16_t> out) const {
        size_t done = 0;
        while (done < out.size()) {
            const int64_t pos = from + static_cast<int64_t>(done);
            const int64_t offset = pos & kChunkMask;
            const size_t n =
                std::min(out.size() - done, static_cast<size_t>(kChunkSamples - offset));
            const int64_t i = (pos >> kChunkShift) - first;
            if (pos >= 0 && i >= 0 && i < static_cast<int64_t>(chunks.size()) && chunks[static_cast<size_t>(i)])
                std::memcpy(out.data() + done, chunks[static_cast<size_t>(i)].get() + offset,
                            n * sizeof(int16_t));
            else
                std::fill_n(out.begin() + static_cast<ptrdiff_t>(done), n, int16_t{0});
            done += n;
        }
    }

    // Frees the chunks wholly before `upTo`.
    void release(int64_t upTo) {
        const int64_t keepFrom = upTo >> kChunkShift;
        while (first < keepFrom && !chunks.empty()) {
            chunks.pop_front();
            ++first;
        }
        first = std::max(first, keepFrom);
    }

    size_t bytes() const {
        size_t b = chunks.size() * sizeof(chunks[0]);
        for (const auto& c : chunks)
            if (c) b += kChunkSamples * sizeof(int16_t);
        return b;
    }
};

size_t RecordingBatch::bytes() const {
    size_t b = frames.size() * sizeof(int16_t);
    for (const auto& l : late) b += l.pcm.size() * sizeof(int16_t);
    return b;
}

CallRecorder::CallRecorder(int sampleRate, double maxSeconds)
    : rate_(sampleRate),
      maxSamples_(static_cast<int64_t>(std::max(maxSeconds, 0.0) * sampleRate)),
      customer_(std::make_unique<Track>()),
      assistant_(std::make_unique<Track>()) {
    if (sampleRate <= 0) throw std::invalid_argument("recorder: bad sample rate");
}

CallRecorder::~CallRecorder() = default;
CallRecorder::CallRecorder(CallRecorder&&) noexcept = default;
CallRecorder& CallRecorder::operator=(CallRecorder&&) noexcept = default;

void CallRecorder::add(Track& t, int channel, int64_t at, std::span<const int16_t> pcm) {
    const int64_t n = static_cast<int64_t>(pcm.size());
    if (at >= maxSamples_) {  // also keeps at + n from overflowing
        dropped_ += n;
        return;
    }
    // Clip to [0, maxSamples_); whatever falls outside is counted, not stored.
    int64_t begin = std::clamp<int64_t>(at, 0, maxSamples_);
    const int64_t end = std::clamp<int64_t>(at + n, 0, maxSamples_);
    if (end <= begin) {
        dropped_ += n;
        return;
    }
    dropped_ += n - (end - begin);
    pcm = pcm.subspan(static_cast<size_t>(begin - at), static_cast<size_t>(end - begin));
    if (begin < taken_) {  // over frames a batch carried already: patched in the files
        const int64_t lateEnd = std::min(end, taken_);
        auto part = pcm.first(static_cast<size_t>(lateEnd - begin));
        if (lateSamples_ + lateEnd - begin > kMaxLateSamples) {
            dropped_ += lateEnd - begin;
        } else {
            late_.push_back({.at = begin, .channel = channel, .pcm = {part.begin(), part.end()}});
            lateSamples_ += lateEnd - begin;
        }
        t.end = std::max(t.end, lateEnd);
        pcm = pcm.subspan(part.size());
        begin = lateEnd;
        if (pcm.empty()) return;
    }
    t.write(begin, pcm);
}

void CallRecorder::addCustomer(int64_t atSample, std::span<const int16_t> pcm) {
    add(*customer_, 0, atSample, pcm);
}
void CallRecorder::addAssistant(int64_t atSample, std::span<const int16_t> pcm) {
    add(*assistant_, 1, atSample, pcm);
}

int64_t CallRecorder::customerEnd() const { return customer_->end; }
int64_t CallRecorder::assistantEnd() const { return assistant_->end; }
int64_t CallRecorder::lengthSamples() const { return std::max(customer_->end, assistant_->end); }
double CallRecorder::durationSeconds() const {
    return static_cast<double>(lengthSamples()) / rate_;
}

size_t CallRecorder::memoryBytes() const {
    size_t b = customer_->bytes() + assistant_->bytes() + late_.capacity() * sizeof(late_[0]);
    for (const auto& l : late_) b += l.pcm.capacity() * sizeof(int16_t);
    return b;
}

RecordingBatch CallRecorder::take(int64_t upTo) {
    RecordingBatch b;
    b.from = taken_;
    upTo = std::min(upTo, lengthSamples());  // never beyond what was written: the files end there
    if (upTo > taken_) {
        const auto n = static_cast<size_t>(upTo - taken_);
        std::vector<int16_t> left(n), right(n);
        customer_->read(taken_, left);
        assistant_->read(taken_, right);
        b.frames.resize(2 * n);
        for (size_t i = 0; i < n; ++i) {
            b.frames[2 * i] = left[i];
            b.frames[2 * i + 1] = right[i];
        }
        taken_ = upTo;
        customer_->release(taken_);
        assistant_->release(taken_);
    }
    b.late = std::exchange(late_, {});
    lateSamples_ = 0;
    return b;
}

// ---- WAV files written while they grow -------------------------------------------------

namespace {

constexpr size_t kWavHeader = 44;

void put32(unsigned char* p, uint32_t v) {
    for (int i = 0; i < 4; ++i) p[i] = static_cast<unsigned char>(v >> (8 * i));
}
void put16(unsigned char* p, uint16_t v) {
    p[0] = static_cast<unsigned char>(v);
    p[1] = static_cast<unsigned char>(v >> 8);
}

// Closes the descriptor on every way out.
struct Fd {
    int fd;
    explicit Fd(int f) : fd(f) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

// The 44-byte header libsndfile writes for 16-bit PCM WAV (same bytes), for `frames` frames.
void wavHeader(unsigned char (&h)[kWavHeader], int rate, int channels, int64_t frames) {
    const auto data = static_cast<uint32_t>(frames * channels * 2);
    std::memcpy(h, "RIFF", 4);
    put32(h + 4, 36 + data);
    std::memcpy(h + 8, "WAVEfmt ", 8);
    put32(h + 16, 16);
    put16(h + 20, 1);  // PCM
    put16(h + 22, static_cast<uint16_t>(channels));
    put32(h + 24, static_cast<uint32_t>(rate));
    put32(h + 28, static_cast<uint32_t>(rate * channels * 2));
    put16(h + 32, static_cast<uint16_t>(channels * 2));
    put16(h + 34, 16);
    std::memcpy(h + 36, "data", 4);
    put32(h + 40, data);
}

void pwriteAll(int fd, const void* data, size_t n, off_t at, const std::string& path) {
    auto* p = static_cast<const char*>(data);
    while (n > 0) {
        ssize_t w = ::pwrite(fd, p, n, at);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) throw std::runtime_error("recorder: cannot write " + path + ": " + std::strerror(errno));
        p += w;
        at += w;
        n -= static_cast<size_t>(w);
    }
}

// Reads what the file has of [at, at + n); the rest (beyond its end) stays as it was.
void preadSome(int fd, void* data, size_t n, off_t at, const std::string& path) {
    auto* p = static_cast<char*>(data);
    while (n > 0) {
        ssize_t r = ::pread(fd, p, n, at);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) throw std::runtime_error("recorder: cannot read " + path + ": " + std::strerror(errno));
        if (r == 0) return;
        p += r;
        at += r;
        n -= static_cast<size_t>(r);
    }
}

Fd openRw(const std::string& path, int flags = 0) {
    int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC | flags, 0600);
    if (fd < 0) throw std::runtime_error("recorder: cannot open " + path + ": " + std::strerror(errno));
    return Fd{fd};
}

int16_t mix(int16_t a, int16_t b) { return static_cast<int16_t>(std::clamp(int{a} + int{b}, -32768, 32767)); }

}  // namespace

RecordingFiles::RecordingFiles(std::string stereoPath, std::string monoPath, int rate)
    : stereo_(std::move(stereoPath)), mono_(std::move(monoPath)), rate_(rate) {}

void RecordingFiles::create() {
    unsigned char h[kWavHeader];
    for (int channels : {2, 1}) {
        const std::string& path = channels == 2 ? stereo_ : mono_;
        Fd f = openRw(path, O_CREAT | O_TRUNC);
        wavHeader(h, rate_, channels, 0);
        pwriteAll(f.fd, h, sizeof h, 0, path);
    }
    frames_ = 0;
}

void RecordingFiles::write(const RecordingBatch& b) {
    if (b.empty()) return;
    Fd s = openRw(stereo_), m = openRw(mono_);
    std::vector<int16_t> mono;
    const auto monoOf = [&mono](std::span<const int16_t> frames) {
        mono.resize(frames.size() / 2);
        for (size_t i = 0; i < mono.size(); ++i) mono[i] = mix(frames[2 * i], frames[2 * i + 1]);
    };
    if (!b.frames.empty()) {
        pwriteAll(s.fd, b.frames.data(), b.frames.size() * 2, static_cast<off_t>(kWavHeader + b.from * 4), stereo_);
        monoOf(b.frames);
        pwriteAll(m.fd, mono.data(), mono.size() * 2, static_cast<off_t>(kWavHeader + b.from * 2), mono_);
        frames_ = std::max(frames_, b.from + b.frameCount());
    }
    // Late writes: read the stereo frames back, replace one side, write both files again.
    std::vector<int16_t> frames;
    for (const auto& l : b.late) {
        const size_t n = l.pcm.size();
        frames.assign(2 * n, 0);
        preadSome(s.fd, frames.data(), frames.size() * 2, static_cast<off_t>(kWavHeader + l.at * 4), stereo_);
        for (size_t i = 0; i < n; ++i) frames[2 * i + static_cast<size_t>(l.channel)] = l.pcm[i];
        pwriteAll(s.fd, frames.data(), frames.size() * 2, static_cast<off_t>(kWavHeader + l.at * 4), stereo_);
        monoOf(frames);
        pwriteAll(m.fd, mono.data(), mono.size() * 2, static_cast<off_t>(kWavHeader + l.at * 2), mono_);
        frames_ = std::max(frames_, l.at + static_cast<int64_t>(n));
    }
    // The sizes last: a header never counts data that is not there.
    unsigned char h[kWavHeader];
    wavHeader(h, rate_, 2, frames_);
    pwriteAll(s.fd, h, sizeof h, 0, stereo_);
    wavHeader(h, rate_, 1, frames_);
    pwriteAll(m.fd, h, sizeof h, 0, mono_);
}

bool finishStreamedWav(const std::string& path, int64_t* frames) {
    Fd f{::open(path.c_str(), O_RDWR | O_CLOEXEC)};
    if (f.fd < 0) {
        if (errno == ENOENT) return false;
        throw std::runtime_error("recorder: cannot open " + path + ": " + std::strerror(errno));
    }
    unsigned char h[kWavHeader];
    if (::pread(f.fd, h, sizeof h, 0) != static_cast<ssize_t>(sizeof h) || std::memcmp(h, "RIFF", 4) != 0 ||
        std::memcmp(h + 36, "data", 4) != 0)
        throw std::runtime_error("recorder: " + path + " is not a streamed WAV");
    const unsigned block = static_cast<unsigned>(h[32]) | (static_cast<unsigned>(h[33]) << 8);
    struct stat st{};
    if (::fstat(f.fd, &st) != 0 || block == 0)
        throw std::runtime_error("recorder: cannot read " + path);
    uint64_t data = static_cast<uint64_t>(st.st_size) - kWavHeader;
    data -= data % block;                               // a frame cut off by the crash
    data = std::min<uint64_t>(data, 0xFFFFFFFFu - 36 - (0xFFFFFFFFu - 36) % block);  // RIFF's 4 GiB
    if (::ftruncate(f.fd, static_cast<off_t>(kWavHeader + data)) != 0)
        throw std::runtime_error("recorder: cannot truncate " + path + ": " + std::strerror(errno));
    put32(h + 4, static_cast<uint32_t>(36 + data));
    put32(h + 40, static_cast<uint32_t>(data));
    if (::pwrite(f.fd, h, sizeof h, 0) != static_cast<ssize_t>(sizeof h))
        throw std::runtime_error("recorder: cannot write " + path + ": " + std::strerror(errno));
    if (frames) *frames = static_cast<int64_t>(data / block);
    return true;
}

void stereoToMonoWav(const std::string& stereoPath, const std::string& monoPath) {
    SF_INFO in{};
    SNDFILE* src = sf_open(stereoPath.c_str(), SFM_READ, &in);
    if (!src) throw std::runtime_error("recorder: cannot read " + stereoPath + ": " + sf_strerror(nullptr));
    struct Close {
        SNDFILE* f;
        ~Close() { sf_close(f); }
    } closeSrc{src};
    if (in.channels != 2) throw std::runtime_error("recorder: " + stereoPath + " is not stereo");
    WavWriter out(monoPath, in.samplerate, 1);
    std::vector<int16_t> frames(2 * kChunkSamples), mono(kChunkSamples);
    for (;;) {
        sf_count_t n = sf_readf_short(src, frames.data(), kChunkSamples);
        if (n <= 0) break;
        for (sf_count_t i = 0; i < n; ++i)
            mono[static_cast<size_t>(i)] = static_cast<int16_t>(
                std::clamp(int{frames[static_cast<size_t>(2 * i)]} + int{frames[static_cast<size_t>(2 * i + 1)]}, -32768, 32767));
        out.write(mono.data(), n);
    }
    out.close();
}

}  // namespace voxa::audio
