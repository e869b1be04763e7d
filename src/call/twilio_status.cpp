// Twilio's status callbacks for the calls of this node (POST /twilio/status/<callId>, asked
// for by placeOutbound): what the customer's phone did before our Media Stream connected.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "call/call.h"
#include "call/pending.h"
#include "call/session.h"
#include "common/json_fields.h"
#include "common/offload.h"
#include "common/time.h"

namespace voxa::call {

namespace asio = boost::asio;
namespace json = boost::json;
using json_fields::str;

namespace {

// Twilio's final CallStatus of a call that never reached our stream -> Vapi's endedReason.
const char* endedReasonOf(std::string_view status) {
    if (status == "busy") return "customer-busy";
    if (status == "no-answer") return "customer-did-not-answer";
    if (status == "failed") return "twilio-failed-to-connect-call";
    // Canceled through Twilio's API or console while queued or ringing (Voxa's own cancel
    // comes after the call has ended here, so it finds nothing to end).
    if (status == "canceled") return "manually-canceled";
    // Answered, then over before the stream connected (the callee hung up at once, or the
    // stream could not be opened).
    if (status == "completed") return "call.in-progress.twilio-completed-call";
    return nullptr;
}

}  // namespace

asio::awaitable<void> CallManager::twilioStatus(std::string callId, std::string status, std::string callSid) {
    if (status == "ringing" || status == "in-progress") {
        std::string org;
        unsigned bound = 0;
        {
            std::lock_guard lock(gPendingMu);
            auto it = pending().find(callId);
            if (it == pending().end() || it->second.taken) co_return;  // over, or joining
            auto& p = it->second;
            if (status == "ringing") {
                if (p.ringing || p.answered) co_return;
                p.ringing = true;
            } else {
                if (p.answered) co_return;
                p.answered = true;
                bound = ++p.bound;
            }
            org = p.orgId;
        }
        if (status == "in-progress") {
            // Answered: the stream has joinTimeoutSeconds from now, like any call's.
            spdlog::info(R"({{"msg":"twilio call answered","callId":"{}"}})", callId);
            asio::co_spawn(co_await asio::this_coro::executor,
                           expireUnjoined(callId, settings_.joinTimeoutSeconds, bound), asio::detached);
            co_return;
        }
        auto row = co_await offload(dbPool_, [&] { return store_.getResource("call", org, callId); });
        if (!row) co_return;
        boost::system::error_code ec;
        auto record = json::parse(row->body, ec);
        if (ec || !record.is_object() || str(record.as_object(), "status") != "queued") co_return;
        auto& r = record.as_object();
        r["status"] = "ringing";
        if (str(r, "phoneCallProviderId").empty() && !callSid.empty()) r["phoneCallProviderId"] = callSid;
        r["updatedAt"] = isoNow();
        co_await saveRecord(org, callId, std::move(r));
        co_return;
    }
    const char* reason = endedReasonOf(status);
    if (!reason) co_return;  // queued, initiated: nothing to do
    Pending p;
    bool waiting = false;
    {
        std::lock_guard lock(gPendingMu);
        if (auto it = pending().find(callId); it != pending().end() && !it->second.taken) {
            p = std::move(it->second);
            pending().erase(it);
            waiting = true;
        }
    }
    if (waiting) {
        // The same end as a join timeout's: record, status-update and end-of-call-report,
        // lease and concurrency slot let go. Twilio has ended the line itself.
        spdlog::info(R"({{"msg":"twilio ended a call before its stream joined","callId":"{}","status":"{}"}})",
                     callId, status);
        co_await endPending(callId, p.orgId, std::move(p.setup), reason);
        co_return;
    }
    // A live call whose stream has not said stop (yet): the line is gone.
    if (auto s = live(callId); s && status == "completed")
        asio::post(s->executor(), [s] { s->end("customer-ended-call"); });
}

}  // namespace voxa::call
