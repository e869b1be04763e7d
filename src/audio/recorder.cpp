#include "audio/recorder.h"

#include <sndfile.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace voxa::audio {
namespace {

constexpr int64_t kChunkShift = 14;
constexpr int64_t kChunkSamples = int64_t{1} << kChunkShift;  // ~1 s at 16 kHz, 32 KiB
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

// A sparse array of fixed-size chunks: growth never moves recorded audio (no huge realloc),
// and chunks nobody wrote to stay unallocated and read as silence.
struct CallRecorder::Track {
    std::vector<std::unique_ptr<int16_t[]>> chunks;
    int64_t end = 0;

    void write(int64_t at, std::span<const int16_t> pcm) {
        const int64_t last = at + static_cast<int64_t>(pcm.size());
        const auto needChunks = static_cast<size_t>((last + kChunkSamples - 1) >> kChunkShift);
        if (chunks.size() < needChunks) chunks.resize(needChunks);
        size_t done = 0;
        while (done < pcm.size()) {
            const int64_t pos = at + static_cast<int64_t>(done);
            auto& chunk = chunks[static_cast<size_t>(pos >> kChunkShift)];
            if (!chunk) chunk = std::make_unique<int16_t[]>(kChunkSamples);  // zeroed
            const int64_t offset = pos & kChunkMask;
            const size_t n =
                std::min(pcm.size() - done, static_cast<size_t>(kChunkSamples - offset));
            std::memcpy(chunk.get() + offset, pcm.data() + done, n * sizeof(int16_t));
            done += n;
        }
        end = std::max(end, last);
    }

    void read(int64_t from, std::span<int16_t> out) const {
        size_t done = 0;
        if (from < 0) {  // before the call started: silence
            done = std::min(out.size(), static_cast<size_t>(-from));
            std::fill_n(out.begin(), done, int16_t{0});
        }
        while (done < out.size()) {
            const int64_t pos = from + static_cast<int64_t>(done);
            const int64_t offset = pos & kChunkMask;
            const size_t n =
                std::min(out.size() - done, static_cast<size_t>(kChunkSamples - offset));
            const auto index = static_cast<size_t>(pos >> kChunkShift);
            if (index < chunks.size() && chunks[index])
                std::memcpy(out.data() + done, chunks[index].get() + offset, n * sizeof(int16_t));
            else
                std::fill_n(out.begin() + static_cast<ptrdiff_t>(done), n, int16_t{0});
            done += n;
        }
    }

    size_t bytes() const {
        size_t b = chunks.capacity() * sizeof(chunks[0]);
        for (const auto& c : chunks)
            if (c) b += kChunkSamples * sizeof(int16_t);
        return b;
    }
};

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

void CallRecorder::add(Track& t, int64_t at, std::span<const int16_t> pcm) {
    const int64_t n = static_cast<int64_t>(pcm.size());
    if (at >= maxSamples_) {  // also keeps at + n from overflowing
        dropped_ += n;
        return;
    }
    // Clip to [0, maxSamples_); whatever falls outside is counted, not stored.
    const int64_t begin = std::clamp<int64_t>(at, 0, maxSamples_);
    const int64_t end = std::clamp<int64_t>(at + n, 0, maxSamples_);
    if (end <= begin) {
        dropped_ += n;
        return;
    }
    dropped_ += n - (end - begin);
    t.write(begin, pcm.subspan(static_cast<size_t>(begin - at), static_cast<size_t>(end - begin)));
}

void CallRecorder::addCustomer(int64_t atSample, std::span<const int16_t> pcm) {
    add(*customer_, atSample, pcm);
}
void CallRecorder::addAssistant(int64_t atSample, std::span<const int16_t> pcm) {
    add(*assistant_, atSample, pcm);
}

int64_t CallRecorder::customerEnd() const { return customer_->end; }
int64_t CallRecorder::assistantEnd() const { return assistant_->end; }
int64_t CallRecorder::lengthSamples() const { return std::max(customer_->end, assistant_->end); }
double CallRecorder::durationSeconds() const {
    return static_cast<double>(lengthSamples()) / rate_;
}

void CallRecorder::readCustomer(int64_t from, std::span<int16_t> out) const {
    customer_->read(from, out);
}
void CallRecorder::readAssistant(int64_t from, std::span<int16_t> out) const {
    assistant_->read(from, out);
}

size_t CallRecorder::memoryBytes() const { return customer_->bytes() + assistant_->bytes(); }

void CallRecorder::writeStereoWav(const std::string& path) const {
    WavWriter wav(path, rate_, 2);
    std::vector<int16_t> left(kChunkSamples), right(kChunkSamples), frames(2 * kChunkSamples);
    const int64_t total = lengthSamples();
    for (int64_t pos = 0; pos < total; pos += kChunkSamples) {
        const auto n = static_cast<size_t>(std::min(kChunkSamples, total - pos));
        customer_->read(pos, std::span(left).first(n));
        assistant_->read(pos, std::span(right).first(n));
        for (size_t i = 0; i < n; ++i) {
            frames[2 * i] = left[i];
            frames[2 * i + 1] = right[i];
        }
        wav.write(frames.data(), static_cast<sf_count_t>(n));
    }
    wav.close();
}

void CallRecorder::writeMonoWav(const std::string& path) const {
    WavWriter wav(path, rate_, 1);
    std::vector<int16_t> a(kChunkSamples), b(kChunkSamples);
    const int64_t total = lengthSamples();
    for (int64_t pos = 0; pos < total; pos += kChunkSamples) {
        const auto n = static_cast<size_t>(std::min(kChunkSamples, total - pos));
        customer_->read(pos, std::span(a).first(n));
        assistant_->read(pos, std::span(b).first(n));
        for (size_t i = 0; i < n; ++i)
            a[i] = static_cast<int16_t>(std::clamp(int{a[i]} + int{b[i]}, -32768, 32767));
        wav.write(a.data(), static_cast<sf_count_t>(n));
    }
    wav.close();
}

std::vector<int16_t> CallRecorder::takeStereo(int64_t upTo) {
    upTo = std::min(upTo, maxSamples_);
    if (upTo <= taken_) return {};
    const auto n = static_cast<size_t>(upTo - taken_);
    std::vector<int16_t> left(n), right(n), out(2 * n);
    customer_->read(taken_, left);
    assistant_->read(taken_, right);
    for (size_t i = 0; i < n; ++i) {
        out[2 * i] = left[i];
        out[2 * i + 1] = right[i];
    }
    taken_ = upTo;
    return out;
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
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

void writeAll(int fd, const void* data, size_t n, const std::string& path) {
    auto* p = static_cast<const char*>(data);
    while (n > 0) {
        ssize_t w = ::write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) throw std::runtime_error("recorder: cannot write " + path + ": " + std::strerror(errno));
        p += w;
        n -= static_cast<size_t>(w);
    }
}

}  // namespace

void beginStreamedWav(const std::string& path, int rate, int channels) {
    unsigned char h[kWavHeader] = {};
    std::memcpy(h, "RIFF", 4);
    put32(h + 4, 36);  // sizes say "empty" until finishStreamedWav()
    std::memcpy(h + 8, "WAVEfmt ", 8);
    put32(h + 16, 16);
    put16(h + 20, 1);  // PCM
    put16(h + 22, static_cast<uint16_t>(channels));
    put32(h + 24, static_cast<uint32_t>(rate));
    put32(h + 28, static_cast<uint32_t>(rate * channels * 2));
    put16(h + 32, static_cast<uint16_t>(channels * 2));
    put16(h + 34, 16);
    std::memcpy(h + 36, "data", 4);
    put32(h + 40, 0);
    Fd f{::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)};
    if (f.fd < 0) throw std::runtime_error("recorder: cannot create " + path + ": " + std::strerror(errno));
    writeAll(f.fd, h, sizeof h, path);
}

void appendStreamedWav(const std::string& path, std::span<const int16_t> interleaved) {
    if (interleaved.empty()) return;
    Fd f{::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC)};
    if (f.fd < 0) throw std::runtime_error("recorder: cannot open " + path + ": " + std::strerror(errno));
    writeAll(f.fd, interleaved.data(), interleaved.size_bytes(), path);
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
