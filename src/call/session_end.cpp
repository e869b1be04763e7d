// The end of a call: its recordings, its final record, the post-call analysis, the
// end-of-call-report and the call's lease (call/lease.h); and the stereo recording streamed
// to its file while the call runs, so that a crash keeps it.
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
}  // namespace

void CallSession::beginStreamedRecording() {
    streamFailed_ = std::make_shared<std::atomic<bool>>(false);
    nextSpill_ = start_ + std::chrono::seconds(2);
    asio::post(mgr_.recordingsPool(), [path = mgr_.recordingPath(orgId_, id_, "stereo"),
                                       failed = streamFailed_, id = id_] {
        try {
            std::filesystem::create_directories(std::filesystem::path(path).parent_path());
            audio::beginStreamedWav(path, audio::kRate, 2);
        } catch (const std::exception& e) {
            *failed = true;
            spdlog::error("call {}: cannot stream the recording: {}", id, e.what());
        }
    });
}

void CallSession::spillRecording() {
    // About once a second (on the call's clock tick): what is a second old is settled (both
    // sides are written near "now"), copied here and appended off the loop. The recordings
    // pool has one thread, so appends keep their order and precede the final write.
    auto now = std::chrono::steady_clock::now();
    if (!streamFailed_ || *streamFailed_ || now < nextSpill_) return;
    nextSpill_ = now + std::chrono::seconds(1);
    auto settledMs = std::chrono::duration_cast<std::chrono::milliseconds>(now - start_).count() - 1000;
    auto pcm = recorder_.takeStereo(settledMs * audio::kRate / 1000);
    if (pcm.empty()) return;
    asio::post(mgr_.recordingsPool(), [path = mgr_.recordingPath(orgId_, id_, "stereo"),
                                       pcm = std::move(pcm), failed = streamFailed_, id = id_] {
        if (*failed) return;
        try {
            audio::appendStreamedWav(path, pcm);
        } catch (const std::exception& e) {
            *failed = true;
            spdlog::error("call {}: cannot stream the recording: {}", id, e.what());
        }
    });
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
    if (recording_ && started_) addRecordingUrls(artifact, mgr_.baseUrl(), id_);
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

    // Recordings are written off the event loop (file I/O), then the record. The whole
    // stereo file replaces the one streamed during the call (same pool, after its appends).
    if (recording_ && started_) {
        auto stereoPath = mgr_.recordingPath(orgId_, id_, "stereo");
        auto monoPath = mgr_.recordingPath(orgId_, id_, "mono");
        auto& rec = recorder_;
        try {
            co_await offload(mgr_.recordingsPool(), [&] {
                std::filesystem::create_directories(std::filesystem::path(stereoPath).parent_path());
                rec.writeStereoWav(stereoPath);
                rec.writeMonoWav(monoPath);
                return true;
            });
        } catch (const std::exception& e) {
            spdlog::error("call {}: cannot write recordings: {}", id_, e.what());
        }
    }
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
