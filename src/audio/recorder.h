// Call recording on one timeline: both sides are written where they happened, counted in
// samples from call start, then saved as WAV (stereo = customer left, assistant right).
//
//   voxa::audio::CallRecorder rec;                       // pipeline rate
//   rec.addCustomer(receivedSamples, inboundFrame);      // as audio arrives
//   rec.addAssistant(sentSamples, frame.view());         // as each paced frame is sent
//   rec.writeStereoWav(dir + "/recording.wav");          // at hang-up (blocking file I/O)
//
// A crash must not lose the whole recording: while the call runs, settled audio is also
// appended to the stereo file (blocking file I/O, off the event loop), whose header says
// "length unknown" until the call ends or a repair fixes it up:
//   beginStreamedWav(path, rate, 2);                      // at call start
//   appendStreamedWav(path, rec.takeStereo(upToSample));  // every second or so
//   finishStreamedWav(path);  stereoToMonoWav(path, mono); // after a crash (repair at start)
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "audio/audio.h"

namespace voxa::audio {

class CallRecorder {
public:
    /// maxSeconds bounds memory against a runaway timestamp: samples beyond it are dropped
    /// (and counted). Memory is ~2 bytes/sample/channel for audio actually written, stored in
    /// 16384-sample chunks; silent gaps cost nothing. 10 min stereo at 16 kHz ~ 38 MB.
    explicit CallRecorder(int sampleRate = kRate, double maxSeconds = 4 * 3600.0);
    ~CallRecorder();
    CallRecorder(CallRecorder&&) noexcept;
    CallRecorder& operator=(CallRecorder&&) noexcept;

    /// Writes `pcm` at `atSample` on that side's track. Gaps stay silent. A write over
    /// samples already on the same track OVERWRITES them (a resent or corrected chunk must
    /// not double in level); the two tracks only mix in writeMonoWav(). Samples before 0 are
    /// dropped.
    void addCustomer(int64_t atSample, std::span<const int16_t> pcm);
    void addAssistant(int64_t atSample, std::span<const int16_t> pcm);

    /// One past the last sample written on each track, and on either.
    int64_t customerEnd() const;
    int64_t assistantEnd() const;
    int64_t lengthSamples() const;
    double durationSeconds() const;
    int sampleRate() const { return rate_; }

    /// Copies [from, from + out.size()) of a track into `out` (silence where nothing was written).
    void readCustomer(int64_t from, std::span<int16_t> out) const;
    void readAssistant(int64_t from, std::span<int16_t> out) const;

    /// 16-bit PCM WAV of lengthSamples() frames. Stereo: customer LEFT, assistant RIGHT (Vapi's
    /// convention). Mono: the two sides summed with clipping. Throw std::runtime_error on I/O
    /// errors. Both stream chunk by chunk: no copy of the whole call in memory.
    void writeStereoWav(const std::string& path) const;
    void writeMonoWav(const std::string& path) const;

    /// Both tracks interleaved (customer, assistant) from where the last call stopped up to
    /// `upTo` (exclusive), for appending to a streamed stereo WAV. Empty when nothing is new.
    std::vector<int16_t> takeStereo(int64_t upTo);
    int64_t takenSamples() const { return taken_; }

    size_t memoryBytes() const;
    int64_t droppedSamples() const { return dropped_; }

private:
    struct Track;
    void add(Track& t, int64_t at, std::span<const int16_t> pcm);

    int rate_;
    int64_t maxSamples_;
    int64_t dropped_ = 0;
    int64_t taken_ = 0;  // takeStereo() handed out [0, taken_)
    std::unique_ptr<Track> customer_;
    std::unique_ptr<Track> assistant_;
};

/// A 16-bit PCM WAV written while it grows: a 44-byte header whose sizes are filled in only
/// by finishStreamedWav(). Each call opens, writes and closes the file (blocking I/O).
/// All throw std::runtime_error on I/O errors.
void beginStreamedWav(const std::string& path, int rate, int channels);
void appendStreamedWav(const std::string& path, std::span<const int16_t> interleaved);
/// Fixes the header's sizes from the file's length (a partial last frame is cut off), so a
/// file left by a crash plays. Returns the frames it holds; false if there is no such file.
bool finishStreamedWav(const std::string& path, int64_t* frames = nullptr);
/// The mono mix (clipped sum) of a stereo 16-bit WAV, streamed chunk by chunk.
void stereoToMonoWav(const std::string& stereoPath, const std::string& monoPath);

}  // namespace voxa::audio
