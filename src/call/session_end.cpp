// The end of a call: its recordings, its final record, the post-call analysis, the
// end-of-call-report and the call's lease (call/lease.h); and the recordings streamed to
// their files while the call runs, so that memory stays flat and a crash keeps them.
#include <boost/asio/post.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <cmath>
#include <filesystem>

#include "call/analysis.h"
#include "call/lease.h"
#include "call/pricing.h"
#include "call/session.h"
#include "common/offload.h"
#include "common/time.h"

namespace voxa::call {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {
double round3(double v) { return std::round(v * 1000) / 1000; }

// A batch is what was settled this long ago (both sides are written near "now"; a write to
// older frames still reaches the files, as a late write), about once a second.
constexpr auto kSpillEvery = std::chrono::seconds(1);
constexpr auto kSettled = std::chrono::milliseconds(500);
// A disk this far behind (the call's previous batch still unwritten) costs audio, not
// memory: the oldest is dropped and the files keep silence in its place.
constexpr int64_t kMaxBehindSamples = 10 * audio::kRate;
}  // namespace

// Lives as long as the session or a job on the recordings pool that writes its files. The
// pool has one thread: the jobs of a call run in the order they were posted.
struct CallSession::RecordingStream {
    audio::RecordingFiles files;
    std::atomic<bool> created{false};   // the files exist: the record may link them
    std::atomic<bool> failed{false};    // a write failed: stop (what was written stays valid)
    std::atomic<bool> busy{false};      // a batch is queued or being written
    bool warnedBehind = false;          // (the call's loop only)

    explicit RecordingStream(audio::RecordingFiles f) : files(std::move(f)) {}
};

void CallSession::beginStreamedRecording() {
    stream_ = std::make_shared<RecordingStream>(
        audio::RecordingFiles(mgr_.recordingPath(orgId_, id_, "stereo"),
                              mgr_.recordingPath(orgId_, id_, "mono"), audio::kRate));
    nextSpill_ = start_ + kSpillEvery;
    asio::post(mgr_.recordingsPool(), [stream = stream_, id = id_] {
        try {
            std::filesystem::create_directories(std::filesystem::path(stream->files.stereoPath()).parent_path());
            stream->files.create();
            stream->created = true;
        } catch (const std::exception& e) {
            stream->failed = true;
            spdlog::error("call {}: cannot write the recording: {}", id, e.what());
        }
    });
}

void CallSession::spillRecording() {
    // On the call's clock tick: what is settled is handed to the pool (one batch per call in
    // flight at most), so the recorder holds a second or two of audio whatever the length.
    auto now = std::chrono::steady_clock::now();
    if (!stream_ || now < nextSpill_) return;
    nextSpill_ = now + kSpillEvery;
    auto settledMs = std::chrono::duration_cast<std::chrono::milliseconds>(now - start_ - kSettled).count();
    const int64_t settled = settledMs * audio::kRate / 1000;
    if (stream_->failed) {  // nowhere to write: keep no audio either
        recorder_.take(settled);
        return;
    }
    if (stream_->busy) {
        if (settled - recorder_.takenSamples() <= kMaxBehindSamples) return;  // next time
        auto lost = recorder_.take(settled - kMaxBehindSamples / 2);
        if (!std::exchange(stream_->warnedBehind, true))
            spdlog::warn(R"({{"msg":"recording behind the disk: audio dropped","callId":"{}","seconds":{:.1f}}})",
                         id_, static_cast<double>(lost.frameCount()) / audio::kRate);
        return;
    }
    auto batch = recorder_.take(settled);
    if (batch.empty()) return;
    stream_->busy = true;
    asio::post(mgr_.recordingsPool(), [stream = stream_, batch = std::move(batch), id = id_] {
        if (!stream->failed) {
            try {
                stream->files.write(batch);
            } catch (const std::exception& e) {
                stream->failed = true;
                spdlog::error("call {}: cannot write the recording: {}", id, e.what());
            }
        }
        stream->busy = false;
    });
}

asio::awaitable<bool> CallSession::finishRecording() {
    // The rest of the audio, after the batches already queued (same pool, in order); the
    // files' headers are final once it is written. True if the files exist.
    auto stream = stream_;
    auto batch = recorder_.takeAll();
    try {
        // Captures by reference only (cpp-stack.md, g++ 12 pitfall 3).
        co_await offload(mgr_.recordingsPool(), [&] {
            if (stream->created && !stream->failed) stream->files.write(batch);
            return true;
        });
    } catch (const std::exception& e) {
        stream->failed = true;
        spdlog::error("call {}: cannot write the recording: {}", id_, e.what());
    }
    co_return stream->created.load();
}

asio::awaitable<json::object> CallSession::analyze(std::string reason) {
    AnalysisInput in{.assistant = assistant_,
                     .messages = messages_,
                     .transcript = transcriptText(messages_),
                     .endedReason = reason};
    json::object out = co_await analyzeCall(std::move(in), providerContext());
    co_return out;
}

asio::awaitable<void> CallSession::finish(std::string reason) {
    auto self = shared_from_this();  // alive until the record is written
    int64_t endedMs = epochMs();
    double duration = started_ ? secondsFromStart() : 0;

    json::object artifact;
    artifact["messages"] = messages_;
    artifact["messagesOpenAIFormatted"] = pipeline_ ? json::value(pipeline_->conversation()) : json::value(json::array{});
    artifact["transcript"] = transcriptText(messages_);
    // The recordings' last audio is written off the event loop (file I/O); the record links
    // them if their files exist.
    bool recorded = false;
    if (recording_ && started_ && stream_) recorded = co_await finishRecording();
    if (recorded) addRecordingUrls(artifact, mgr_.baseUrl(), id_);
    // performanceMetrics
    json::array turns;
    TurnLatency sum;
    for (auto& t : latencies_) {
        turns.push_back(json::object{{"transcriberLatency", round3(t.transcriberMs)},
                                     {"endpointingLatency", round3(t.endpointingMs)},
                                     {"modelLatency", round3(t.modelMs)},
                                     {"voiceLatency", round3(t.voiceMs)},
                                     {"turnLatency", round3(t.turnMs)}});
        sum.transcriberMs += t.transcriberMs;
        sum.endpointingMs += t.endpointingMs;
        sum.modelMs += t.modelMs;
        sum.voiceMs += t.voiceMs;
        sum.turnMs += t.turnMs;
    }
    double n = latencies_.empty() ? 1 : double(latencies_.size());
    artifact["performanceMetrics"] = json::object{
        {"turnLatencies", turns},
        {"transcriberLatencyAverage", round3(sum.transcriberMs / n)},
        {"endpointingLatencyAverage", round3(sum.endpointingMs / n)},
        {"modelLatencyAverage", round3(sum.modelMs / n)},
        {"voiceLatencyAverage", round3(sum.voiceMs / n)},
        {"turnLatencyAverage", round3(sum.turnMs / n)},
        {"numUserInterrupted", interruptions_},
        {"numAssistantInterrupted", 0},
        {"outboundJitterP99Ms", round3(jitter_.p99Ms())},
        {"outboundFrames", outputFrames_}};

    Usage u{.minutes = duration / 60.0,
            .promptTokens = usage_.promptTokens,
            .completionTokens = usage_.completionTokens,
            .ttsCharacters = static_cast<int64_t>(ttsCharacters_),
            .cachedPromptTokens = usage_.cachedPromptTokens,
            .cacheWriteTokens = usage_.cacheWriteTokens};
    auto cost = priceCall(assistant_, u);

    json::object& r = record_;
    r["status"] = "ended";
    r["endedReason"] = reason;
    if (!endedMessage_.empty()) r["endedMessage"] = endedMessage_;
    if (started_) r["startedAt"] = isoFromMs(startEpochMs_);
    r["endedAt"] = isoFromMs(endedMs);
    r["updatedAt"] = isoFromMs(endedMs);
    r["messages"] = messages_;
    r["artifact"] = std::move(artifact);
    r["cost"] = cost.total;
    r["costBreakdown"] = cost.breakdown;
    r["costs"] = cost.items;
    r["analysis"] = json::object{};

    co_await mgr_.saveRecord(orgId_, id_, record_);
    pipeline_.reset();
    mgr_.finished(id_);
    slot_.reset();  // the record says ended: the org may start another call

    // Post-call analysis goes into the record before the end-of-call-report is sent.
    json::object analysis = co_await analyze(reason);
    if (!analysis.empty()) {
        r["analysis"] = analysis;
        co_await mgr_.saveRecord(orgId_, id_, record_);
    }
    auto* outbox = mgr_.settings().outbox;
    if (outbox && !server_.empty() && serverMessages_.count("end-of-call-report")) {
        // The id is the call's: a repair after a crash recognizes a report stored already.
        outbox->enqueue(orgId_, id_, "end-of-call-report", server_,
                        serverBody("end-of-call-report", endOfCallReportFields(r, duration), false),
                        endOfCallReportId(id_));
        co_await outbox->flush();
    }
    // The record is final and the report stored: nothing is left for a repair to do.
    co_await mgr_.dropLease(orgId_, id_);
    spdlog::info(R"({{"msg":"call ended","callId":"{}","endedReason":"{}","seconds":{:.1f}}})", id_,
                 reason, duration);
    mgr_.sessionClosed();
}

}  // namespace voxa::call
