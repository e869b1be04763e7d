// The repair at start: calls this node left unfinished (it crashed, was killed, or a
// shutdown ran out of time) are ended from their leases (call/lease.h).
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <filesystem>

#include "audio/audio.h"
#include "audio/recorder.h"
#include "call/call.h"
#include "call/lease.h"
#include "call/pricing.h"
#include "common/json_fields.h"
#include "common/time.h"

namespace voxa::call {

namespace json = boost::json;
using json_fields::str;

namespace {

constexpr int64_t kReportExpireMs = 24LL * 3600 * 1000;  // as the outbox's default expiry

json::object parseObject(const std::string& text) {
    boost::system::error_code ec;
    auto v = json::parse(text, ec);
    return !ec && v.is_object() ? v.as_object() : json::object{};
}

}  // namespace

CallManager::RepairStats CallManager::repairAtStart() {
    RepairStats stats;
    auto leases = store_.findByAttr(kLeaseKind, 1, settings_.nodeId);
    for (auto& lease : leases) {
        ++stats.calls;
        const std::string& id = lease.id;
        const std::string& org = lease.orgId;
        try {
            auto row = store_.getResource("call", org, id);
            if (!row) {  // deleted meanwhile
                store_.deleteResource(kLeaseKind, org, id);
                continue;
            }
            json::object leaseBody = parseObject(lease.body);
            json::object record = parseObject(row->body);
            json::object assistant;
            if (auto* a = leaseBody.if_contains("assistant"); a && a->is_object()) assistant = a->as_object();
            if (assistant.empty())
                if (auto* a = record.if_contains("assistant"); a && a->is_object()) assistant = a->as_object();

            auto startedMs = parseIsoMs(str(record, "startedAt"));
            double duration = 0;
            if (str(record, "status") != "ended") {
                // What was recorded is kept: the streamed files get their real length in their
                // headers (data written after the last header update counts, a cut frame does
                // not), and the mono mix is made again from the stereo file unless it holds
                // the same frames.
                auto stereo = recordingPath(org, id, "stereo");
                auto mono = recordingPath(org, id, "mono");
                int64_t frames = 0;
                bool recorded = false;
                try {
                    recorded = startedMs && audio::finishStreamedWav(stereo, &frames);
                    if (recorded) {
                        int64_t monoFrames = -1;
                        bool monoOk = false;
                        try {
                            monoOk = audio::finishStreamedWav(mono, &monoFrames) && monoFrames == frames;
                        } catch (const std::exception&) {
                            monoOk = false;
                        }
                        if (!monoOk) audio::stereoToMonoWav(stereo, mono);
                        ++stats.recordings;
                    }
                } catch (const std::exception& e) {
                    recorded = false;
                    spdlog::error("call {}: cannot repair its recording: {}", id, e.what());
                }
                // It ended when the node stopped: as far as is known, after what was recorded.
                int64_t endedMs = startedMs ? *startedMs + frames * 1000 / audio::kRate
                                            : parseIsoMs(str(record, "createdAt")).value_or(epochMs());
                duration = startedMs ? static_cast<double>(endedMs - *startedMs) / 1000.0 : 0;
                json::object artifact{{"messages", json::array{}},
                                      {"messagesOpenAIFormatted", json::array{}},
                                      {"transcript", ""}};
                if (recorded) addRecordingUrls(artifact, baseUrl(), id);
                auto cost = priceCall(assistant, {.minutes = duration / 60.0});
                record["status"] = "ended";
                record["endedReason"] = kWorkerDied;
                record["endedAt"] = isoFromMs(endedMs);
                record["updatedAt"] = isoNow();
                record["messages"] = json::array{};
                record["artifact"] = std::move(artifact);
                record["cost"] = cost.total;
                record["costBreakdown"] = cost.breakdown;
                record["costs"] = cost.items;
                record["analysis"] = json::object{};
                store::Resource r = *row;
                r.body = json::serialize(record);
                r.updatedAt = str(record, "updatedAt");
                r.a3 = "ended";
                store_.updateResource(r);
                ++stats.ended;
                spdlog::warn(R"({{"msg":"call left unfinished by this node's last run ended","callId":"{}","endedReason":"{}","recordedSeconds":{:.1f}}})",
                             id, kWorkerDied, static_cast<double>(frames) / audio::kRate);
            } else if (auto endedMs = parseIsoMs(str(record, "endedAt")); startedMs && endedMs) {
                duration = static_cast<double>(*endedMs - *startedMs) / 1000.0;
            }
            // The end-of-call-report, unless one is stored already (same id: made only once).
            auto* target = leaseBody.if_contains("target");
            auto* report = leaseBody.if_contains("report");
            std::string eventId = endOfCallReportId(id);
            if (report && report->is_bool() && report->as_bool() && target && target->is_object() &&
                !store_.getEvent(eventId)) {
                json::object m{{"type", "end-of-call-report"}, {"timestamp", epochMs()}};
                for (auto& kv : endOfCallReportFields(record, duration)) m[kv.key()] = kv.value();
                m["call"] = record;
                m["assistant"] = assistant;
                if (auto* c = record.if_contains("customer")) m["customer"] = *c;
                if (auto* p = leaseBody.if_contains("phoneNumber"); p && p->is_object() && !p->as_object().empty())
                    m["phoneNumber"] = *p;
                int64_t now = epochMs();
                store::OutboxEvent e;
                e.id = eventId;
                e.orgId = org;
                e.orderKey = id;
                e.seq = now * 1000;  // after the call's earlier events (microseconds, as the outbox's)
                e.type = "end-of-call-report";
                e.target = json::serialize(*target);
                e.body = json::serialize(json::object{{"message", std::move(m)}});
                e.nextAttemptMs = now;
                e.expiresMs = now + kReportExpireMs;
                e.createdAt = e.updatedAt = isoFromMs(now);
                store_.insertEvents({e});
                ++stats.reports;
            }
            store_.deleteResource(kLeaseKind, org, id);
        } catch (const std::exception& e) {
            ++stats.failed;  // the lease stays: the next start tries again
            spdlog::error("call {}: cannot repair it: {}", id, e.what());
        }
    }
    if (stats.calls > 0)
        spdlog::info(R"({{"msg":"calls left unfinished by this node's last run repaired","calls":{},"ended":{},"reports":{},"recordings":{},"failed":{}}})",
                     stats.calls, stats.ended, stats.reports, stats.recordings, stats.failed);
    return stats;
}

}  // namespace voxa::call
