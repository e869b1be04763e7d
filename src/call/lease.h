// Call leases: every call whose record is not final yet has a lease naming the node that runs
// it and what its end-of-call-report needs. A call that ends normally drops its lease once
// its record is final and its report is stored in the outbox; a lease left behind means the
// node stopped (crash, kill -9, a shutdown that ran out of time), and that node's next start
// ends the call from it (CallManager::repairAtStart).
//
//   store.insertResource(leaseResource(callId, orgId, nodeId, assistant, phoneNumber, server));
//   for (auto& row : store.findByAttr(kLeaseKind, 1, nodeId)) ...       // at start
//   std::string eventId = endOfCallReportId(callId);                      // the same on every run
//
// A lease is a resource of kind "call-lease" (id = the call's id, a1 = the node id); the API
// serves no route for that kind.
#pragma once
#include <boost/json/object.hpp>

#include <span>
#include <string>

#include "call/call.h"
#include "store/store.h"
#include "webhooks/webhooks.h"

namespace voxa::call {

inline constexpr const char* kLeaseKind = "call-lease";

/// endedReason of calls still live when the server stops (SIGTERM, after the drain).
inline constexpr const char* kWorkerShutdown = "worker-shutdown";
/// endedReason of calls a node left unfinished (it crashed or was killed), set by the repair
/// at its next start.
inline constexpr const char* kWorkerDied = "call.in-progress.error-vapifault-worker-died";

/// Where a call's server messages go: assistant.server (or legacy serverUrl), else the phone
/// number's, else the org's. Empty if none.
webhooks::Target serverTarget(const boost::json::object& assistant,
                              const boost::json::object& phoneNumber, const ServerContext& ctx);
/// Vapi's default serverMessages.
std::span<const char* const> defaultServerMessages();
/// Whether `type` is among the assistant's serverMessages (Vapi's default list if unset).
bool wantsServerMessage(const boost::json::object& assistant, const std::string& type);

/// The lease row of a call run by `nodeId`.
store::Resource leaseResource(const std::string& callId, const std::string& orgId,
                              const std::string& nodeId, const boost::json::object& assistant,
                              const boost::json::object& phoneNumber, const ServerContext& server);

/// The outbox event id of a call's end-of-call-report: derived from the call id, so a report
/// stored before a crash is recognized by the repair and never made twice.
std::string endOfCallReportId(const std::string& callId);

/// Adds a recorded call's recording URLs under `base` to its artifact (recordingUrl,
/// stereoRecordingUrl, recording.{stereoUrl, mono.combinedUrl}).
void addRecordingUrls(boost::json::object& artifact, const std::string& base, const std::string& callId);

/// The end-of-call-report's fields from an ended call's record (endedReason, artifact,
/// analysis, costs, times, durations and the legacy top-level transcript/recording fields).
boost::json::object endOfCallReportFields(const boost::json::object& record, double durationSeconds);

}  // namespace voxa::call
