#include "call/lease.h"

#include <boost/json.hpp>

#include <cmath>

#include "common/ids.h"
#include "common/json_fields.h"
#include "common/time.h"

namespace voxa::call {

namespace json = boost::json;
using json_fields::str;

namespace {

const char* const kDefaultServerMessages[] = {
    "conversation-update", "end-of-call-report", "function-call",  "hang",
    "speech-update",       "status-update",      "tool-calls",     "transfer-destination-request",
    "handoff-destination-request", "user-interrupted", "assistant.started"};

}  // namespace

std::span<const char* const> defaultServerMessages() { return kDefaultServerMessages; }

webhooks::Target serverTarget(const json::object& assistant, const json::object& phoneNumber,
                              const ServerContext& ctx) {
    auto t = webhooks::targetFrom(assistant.if_contains("server"), ctx.credentials,
                                  str(assistant, "serverUrl"), str(assistant, "serverUrlSecret"));
    if (t.empty())
        t = webhooks::targetFrom(phoneNumber.if_contains("server"), ctx.credentials,
                                 str(phoneNumber, "serverUrl"), str(phoneNumber, "serverUrlSecret"));
    if (t.empty())
        t = webhooks::targetFrom(ctx.org.if_contains("server"), ctx.credentials,
                                 str(ctx.org, "serverUrl"), str(ctx.org, "serverUrlSecret"));
    return t;
}

bool wantsServerMessage(const json::object& assistant, const std::string& type) {
    if (auto* sm = assistant.if_contains("serverMessages"); sm && sm->is_array()) {
        for (auto& m : sm->as_array())
            if (m.is_string() && m.as_string() == type) return true;
        return false;
    }
    for (auto* m : kDefaultServerMessages)
        if (type == m) return true;
    return false;
}

store::Resource leaseResource(const std::string& callId, const std::string& orgId,
                              const std::string& nodeId, const json::object& assistant,
                              const json::object& phoneNumber, const ServerContext& server) {
    auto target = serverTarget(assistant, phoneNumber, server);
    bool report = !target.empty() && wantsServerMessage(assistant, "end-of-call-report");
    json::object body{{"nodeId", nodeId},
                      {"report", report},
                      {"target", report ? json::value(target.toJson()) : json::value(nullptr)},
                      {"assistant", report ? json::value(assistant) : json::value(json::object{})},
                      {"phoneNumber", phoneNumber}};
    store::Resource r{.id = callId, .orgId = orgId, .kind = kLeaseKind, .body = json::serialize(body),
                      .a1 = nodeId};
    return r;
}

std::string endOfCallReportId(const std::string& callId) {
    return nameId("end-of-call-report:" + callId);
}

void addRecordingUrls(json::object& artifact, const std::string& base, const std::string& callId) {
    std::string stereo = base + "/call/" + callId + "/stereo-recording";
    std::string mono = base + "/call/" + callId + "/mono-recording";
    artifact["recordingUrl"] = mono;
    artifact["stereoRecordingUrl"] = stereo;
    artifact["recording"] = json::object{{"stereoUrl", stereo}, {"mono", json::object{{"combinedUrl", mono}}}};
}

json::object endOfCallReportFields(const json::object& r, double duration) {
    json::object art;
    if (auto* a = r.if_contains("artifact"); a && a->is_object()) art = a->as_object();
    json::object report{{"endedReason", r.contains("endedReason") ? r.at("endedReason") : json::value("")},
                        {"artifact", art},
                        {"analysis", r.contains("analysis") ? r.at("analysis") : json::value(json::object{})},
                        {"durationMs", static_cast<int64_t>(duration * 1000)},
                        {"durationSeconds", round3(duration)},
                        {"durationMinutes", round3(duration / 60)},
                        // legacy top-level fields many integrations still read
                        {"transcript", art.contains("transcript") ? art.at("transcript") : json::value("")},
                        {"messages", art.contains("messages") ? art.at("messages") : json::value(json::array{})}};
    for (auto* k : {"cost", "costs", "costBreakdown", "endedAt", "startedAt"})
        if (auto* v = r.if_contains(k)) report[k] = *v;
    if (auto* an = r.if_contains("analysis"); an && an->is_object())
        if (auto* s = an->as_object().if_contains("summary")) report["summary"] = *s;
    if (auto* u = art.if_contains("recordingUrl")) report["recordingUrl"] = *u;
    if (auto* u = art.if_contains("stereoRecordingUrl")) report["stereoRecordingUrl"] = *u;
    return report;
}

}  // namespace voxa::call
