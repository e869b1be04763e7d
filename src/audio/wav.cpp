#include "audio/wav.h"

#include <sndfile.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <stdexcept>

#include "audio/resampler.h"

namespace voxa::audio {
namespace {

struct Closer {
    void operator()(SNDFILE* f) const { sf_close(f); }
};
using File = std::unique_ptr<SNDFILE, Closer>;

// libsndfile virtual I/O over a byte buffer: reads from `data`, writes grow `data`.
struct MemoryIo {
    std::string data;
    sf_count_t pos = 0;

    static MemoryIo& self(void* p) { return *static_cast<MemoryIo*>(p); }
    static sf_count_t length(void* p) { return static_cast<sf_count_t>(self(p).data.size()); }
    static sf_count_t seek(sf_count_t offset, int whence, void* p) {
        auto& m = self(p);
        const sf_count_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? m.pos : length(p);
        m.pos = std::max<sf_count_t>(0, base + offset);
        return m.pos;
    }
    static sf_count_t read(void* dst, sf_count_t count, void* p) {
        auto& m = self(p);
        const sf_count_t n = std::clamp<sf_count_t>(length(p) - m.pos, 0, count);
        std::memcpy(dst, m.data.data() + m.pos, static_cast<size_t>(n));
        m.pos += n;
        return n;
    }
    static sf_count_t write(const void* src, sf_count_t count, void* p) {
        auto& m = self(p);
        const auto end = static_cast<size_t>(m.pos + count);
        if (m.data.size() < end) m.data.resize(end);
        std::memcpy(m.data.data() + m.pos, src, static_cast<size_t>(count));
        m.pos += count;
        return count;
    }
    static sf_count_t tell(void* p) { return self(p).pos; }

    static SF_VIRTUAL_IO callbacks() { return {length, seek, read, write, tell}; }
};

Samples readAll(SNDFILE* f, const SF_INFO& info, int rate, const std::string& what) {
    if (info.channels < 1 || info.samplerate <= 0)
        throw std::runtime_error("wav: " + what + ": bad header");
    std::vector<int16_t> interleaved(static_cast<size_t>(info.frames) * info.channels);
    const sf_count_t got = sf_readf_short(f, interleaved.data(), info.frames);
    if (got < 0) throw std::runtime_error("wav: " + what + ": read failed");
    Samples mono(static_cast<size_t>(got));
    if (info.channels == 1) {
        std::copy_n(interleaved.begin(), got, mono.begin());
    } else {
        for (sf_count_t i = 0; i < got; ++i) {
            int sum = 0;
            for (int c = 0; c < info.channels; ++c) sum += interleaved[i * info.channels + c];
            mono[static_cast<size_t>(i)] = static_cast<int16_t>(sum / info.channels);
        }
    }
    return info.samplerate == rate ? mono : Resampler::convert(mono, info.samplerate, rate);
}

void writeTo(SNDFILE* f, std::span<const int16_t> pcm, const std::string& what) {
    if (sf_write_short(f, pcm.data(), static_cast<sf_count_t>(pcm.size())) !=
        static_cast<sf_count_t>(pcm.size()))
        throw std::runtime_error("wav: " + what + ": write failed: " + sf_strerror(f));
}

SF_INFO monoInfo(int rate) {
    SF_INFO info{};
    info.samplerate = rate;
    info.channels = 1;
    info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
    return info;
}

}  // namespace

Samples readWav(const std::string& path, int rate) {
    SF_INFO info{};
    File f(sf_open(path.c_str(), SFM_READ, &info));
    if (!f) throw std::runtime_error("wav: cannot read " + path + ": " + sf_strerror(nullptr));
    return readAll(f.get(), info, rate, path);
}

Samples decodeWav(std::string_view bytes, int rate) {
    MemoryIo io{std::string(bytes)};
    auto cb = MemoryIo::callbacks();
    SF_INFO info{};
    File f(sf_open_virtual(&cb, SFM_READ, &info, &io));
    if (!f) throw std::runtime_error(std::string("wav: cannot decode: ") + sf_strerror(nullptr));
    return readAll(f.get(), info, rate, "buffer");
}

void writeWav(const std::string& path, std::span<const int16_t> pcm, int rate) {
    SF_INFO info = monoInfo(rate);
    File f(sf_open(path.c_str(), SFM_WRITE, &info));
    if (!f) throw std::runtime_error("wav: cannot write " + path + ": " + sf_strerror(nullptr));
    writeTo(f.get(), pcm, path);
    if (sf_close(f.release()) != 0) throw std::runtime_error("wav: cannot close " + path);
}

std::string encodeWav(std::span<const int16_t> pcm, int rate) {
    MemoryIo io;
    auto cb = MemoryIo::callbacks();
    SF_INFO info = monoInfo(rate);
    File f(sf_open_virtual(&cb, SFM_WRITE, &info, &io));
    if (!f) throw std::runtime_error(std::string("wav: cannot encode: ") + sf_strerror(nullptr));
    writeTo(f.get(), pcm, "buffer");
    f.reset();  // closing writes the final header sizes
    return std::move(io.data);
}

}  // namespace voxa::audio
