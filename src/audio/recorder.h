// Call recording on one timeline, streamed to disk while the call runs: both sides are
// written where they happened, counted in samples from call start, and the recorder keeps
// only the last second or two; older audio goes to two WAV files (stereo = customer left,
// assistant right; mono = their clipped sum) in batches, so a call's memory does not grow
// with its length.
//
//   voxa::audio::CallRecorder rec;                          // on the call's loop
//   rec.addCustomer(receivedSamples, inboundFrame);         // as audio arrives
//   rec.addAssistant(sentSamples, frame.view());            // as each paced frame is sent
//   auto batch = rec.take(settledSample);                   // about once a second
//   RecordingFiles files(stereoPath, monoPath, kRate);      // on ONE worker thread:
//   files.create();  files.write(batch);  ...               // blocking I/O, batches in order
//   files.write(rec.takeAll());                             // at hang-up
//
// Each write leaves both files valid WAVs (their header sizes patched after the data), so a
// process killed mid-call leaves recordings playable up to the last batch written. The
// repair at start (call/repair.cpp) still runs finishStreamedWav() on them: a batch whose
// data went out but not its header, or half a frame, is fixed up from the file's length.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "audio/audio.h"

namespace voxa::audio {

/// Audio the recorder hands to its files: the frames after the previous batch, and writes
/// that came late, to frames an earlier batch already carried (rare: the files are patched).
struct RecordingBatch {
    int64_t from = 0;                 // first frame of `frames`
    std::vector<int16_t> frames;      // interleaved (customer, assistant) pairs
    struct Late {
        int64_t at = 0;               // frame
        int channel = 0;              // 0 customer, 1 assistant
        std::vector<int16_t> pcm;
    };
    std::vector<Late> late;           // in the order they were written (later overwrites)

    int64_t frameCount() const { return static_cast<int64_t>(frames.size() / 2); }
    bool empty() const { return frames.empty() && late.empty(); }
    size_t bytes() const;
};

class CallRecorder {
public:
    /// maxSeconds bounds the timeline against a runaway timestamp: samples beyond it are
    /// dropped (and counted). Memory: the audio not yet taken (in 4096-sample chunks, silent
    /// gaps cost nothing) plus late writes, at most kMaxLateSamples.
    explicit CallRecorder(int sampleRate = kRate, double maxSeconds = 4 * 3600.0);
    ~CallRecorder();
    CallRecorder(CallRecorder&&) noexcept;
    CallRecorder& operator=(CallRecorder&&) noexcept;

    /// Writes `pcm` at `atSample` on that side's track. Gaps stay silent. A write over
    /// samples already on the same track OVERWRITES them (a resent or corrected chunk must
    /// not double in level), also once they were taken (then as a late write in the next
    /// batch); the two tracks only mix in the mono file. Samples before 0 are dropped.
    void addCustomer(int64_t atSample, std::span<const int16_t> pcm);
    void addAssistant(int64_t atSample, std::span<const int16_t> pcm);

    /// One past the last sample written on each track, and on either.
    int64_t customerEnd() const;
    int64_t assistantEnd() const;
    int64_t lengthSamples() const;
    double durationSeconds() const;
    int sampleRate() const { return rate_; }

    /// Frames [takenSamples(), min(upTo, lengthSamples())) and the late writes since the
    /// last take; their memory is freed. take(lengthSamples()) = takeAll() at hang-up.
    RecordingBatch take(int64_t upTo);
    RecordingBatch takeAll() { return take(lengthSamples()); }
    int64_t takenSamples() const { return taken_; }

    /// Bytes of audio held (not yet taken, and late writes).
    size_t memoryBytes() const;
    int64_t droppedSamples() const { return dropped_; }

    /// Late writes kept between two takes; beyond, they are dropped (and counted).
    static constexpr int64_t kMaxLateSamples = 2 * kRate;

private:
    struct Track;
    void add(Track& t, int channel, int64_t at, std::span<const int16_t> pcm);

    int rate_;
    int64_t maxSamples_;
    int64_t dropped_ = 0;
    int64_t taken_ = 0;  // take() handed out [0, taken_)
    std::unique_ptr<Track> customer_;
    std::unique_ptr<Track> assistant_;
    std::vector<RecordingBatch::Late> late_;
    int64_t lateSamples_ = 0;
};

/// A recording's stereo and mono 16-bit PCM WAV files, written while the call runs. Blocking
/// I/O: use one object from one thread at a time, batches in the order take() made them
/// (a batch that was never written leaves silence in its place). Throw std::runtime_error
/// on I/O errors; what was written before stays a valid WAV.
class RecordingFiles {
public:
    RecordingFiles(std::string stereoPath, std::string monoPath, int rate);

    /// Both files, empty (header only); their directory must exist. Truncates old ones.
    void create();
    /// The batch's frames at their place in both files, the late writes over what is there,
    /// then both headers' sizes. One open, write and close per file and batch.
    void write(const RecordingBatch& batch);
    /// Frames both files hold.
    int64_t frames() const { return frames_; }

    const std::string& stereoPath() const { return stereo_; }
    const std::string& monoPath() const { return mono_; }

private:
    std::string stereo_, mono_;
    int rate_;
    int64_t frames_ = 0;
};

/// Fixes a streamed WAV's header sizes from the file's length (a partial last frame is cut
/// off), so a file left by a crash plays. Returns the frames it holds; false if there is no
/// such file. Throws std::runtime_error if it is not a 44-byte-header PCM WAV.
bool finishStreamedWav(const std::string& path, int64_t* frames = nullptr);
/// The mono mix (clipped sum) of a stereo 16-bit WAV, streamed chunk by chunk.
void stereoToMonoWav(const std::string& stereoPath, const std::string& monoPath);

}  // namespace voxa::audio
