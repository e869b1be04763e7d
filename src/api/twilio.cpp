// POST /twilio/inbound_call: Twilio's voice webhook for numbers imported with
// `{"provider": "twilio"}` (set it as the number's "A call comes in" URL, as on Vapi).
//
//   Twilio -> POST /twilio/inbound_call  (form: CallSid, From, To, ...; X-Twilio-Signature)
//   <- TwiML <Connect><Stream url="wss://<public>/<callId>/twilio"> with the call's token
//   Twilio -> WebSocket Media Stream (transport/twilio/)
//
// Which assistant answers: the number's assistantId / squadId, else an `assistant-request`
// to the number's server URL (then the org's), answered within 7.5 s with {assistantId},
// {assistant}, {squadId}, {squad} (+ assistantOverrides), {destination} (forward the call)
// or {error} (said to the caller). When the number has a twilioAuthToken, the request
// signature is checked against the public URL.
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>

#include "api/errors.h"
#include "api/resources.h"
#include "api/schema.h"
#include "call/call.h"
#include "call/twilio.h"
#include "common/crypto.h"
#include "common/ids.h"
#include "common/json_fields.h"
#include "common/offload.h"
#include "common/time.h"
#include "common/url.h"
#include "webhooks/webhooks.h"

namespace voxa::api {

namespace json = boost::json;
using json_fields::str;

using call::twilio::xmlEscape;

namespace {

constexpr double kAssistantRequestSeconds = 7.5;

// A TwiML document (`response` is the whole <Response> element).
net::HttpResponse twimlDocument(const std::string& response) {
    return net::HttpResponse::text(200, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>" + response,
                                   "text/xml; charset=utf-8");
}

net::HttpResponse twiml(const std::string& inner) { return twimlDocument("<Response>" + inner + "</Response>"); }

net::HttpResponse sayAndHangUp(const std::string& text) {
    return twiml("<Say>" + xmlEscape(text) + "</Say><Hangup/>");
}

// {type: number|sip, number|sipUri, message?} -> <Dial>.
std::optional<net::HttpResponse> forward(const json::object& dest) {
    std::string type = str(dest, "type");
    std::string say = str(dest, "message");
    std::string pre = say.empty() ? "" : "<Say>" + xmlEscape(say) + "</Say>";
    if (type == "number" && !str(dest, "number").empty())
        return twiml(pre + "<Dial>" + xmlEscape(str(dest, "number")) + "</Dial>");
    if (type == "sip" && !str(dest, "sipUri").empty())
        return twiml(pre + "<Dial><Sip>" + xmlEscape(str(dest, "sipUri")) + "</Sip></Dial>");
    return std::nullopt;
}

// The form body as name -> value (the first of repeated names).
std::map<std::string, std::string> parseForm(std::string_view body) {
    std::map<std::string, std::string> out;
    for (auto& k : url::queryKeys(body))
        if (!out.count(k))
            if (auto v = url::queryParam(body, k)) out[k] = *v;
    return out;
}

// Twilio's X-Twilio-Signature: base64(HMAC-SHA1(authToken, url + sorted(name + value))).
bool signatureOk(const std::string& authToken, const std::string& fullUrl,
                 const std::map<std::string, std::string>& form, std::string_view signature) {
    std::string data = fullUrl;
    for (auto& [k, v] : form) data += k + v;  // std::map iterates sorted by name
    return constantTimeEquals(base64Encode(hmac("SHA1", authToken, data)), signature);
}

// The phone number as server messages show it: no provider secrets.
json::object presentable(json::object phone) {
    for (auto* k : {"twilioAuthToken", "twilioApiSecret", "vonageApiSecret", "telnyxApiKey", "authPassword"})
        phone.erase(k);
    return phone;
}

Awaitable inboundCall(RequestContext& rc) {
    auto form = parseForm(rc.req.body);
    std::string to = form["To"], from = form["From"], callSid = form["CallSid"];
    if (to.empty()) throw ApiError::badRequest("To is required (a Twilio voice webhook)");
    auto& store = rc.ctx.store;
    auto rows = co_await offload(rc.ctx.dbPool, [&] { return store.findByAttr("phone-number", 1, to); });
    if (rows.empty()) {
        spdlog::warn(R"({{"msg":"twilio inbound call to an unknown number","to":"{}"}})", to);
        co_return sayAndHangUp("This number is not configured.");
    }
    auto& row = rows.front();
    json::object phone = parseObject(row.body);
    std::string orgId = row.orgId;
    if (auto token = str(phone, "twilioAuthToken"); !token.empty()) {
        std::string base = rc.ctx.settings.publicUrl;
        while (!base.empty() && base.back() == '/') base.pop_back();
        std::string full = base + rc.req.target;
        if (!signatureOk(token, full, form, rc.req.header("x-twilio-signature"))) {
            spdlog::warn(R"({{"msg":"twilio signature mismatch","to":"{}","url":"{}"}})", to, full);
            throw ApiError(403, "Invalid Twilio signature");
        }
    }
    if (!rc.ctx.calls) throw ApiError::internal("calls are not enabled on this server");
    auto& calls = *rc.ctx.calls;

    call::CallManager::Inbound in{.callId = newId(), .phoneNumber = presentable(phone), .from = from,
                                  .provider = "twilio", .providerCallId = callSid,
                                  .accountSid = str(phone, "twilioAccountSid"),
                                  .authToken = str(phone, "twilioAuthToken")};
    json::object body;
    for (auto* k : {"assistantId", "squadId", "workflowId"})
        if (auto v = str(phone, k); !v.empty()) body[k] = v;
    if (body.empty()) {
        // assistant-request: the number's server URL, else the org's.
        auto org = co_await offload(rc.ctx.dbPool, [&] { return store.getOrg(orgId); });
        json::object orgBody = org ? parseObject(org->body) : json::object{};
        webhooks::Credentials creds;
        for (auto* owner : {&phone, &orgBody})
            if (auto* s = owner->if_contains("server"); s && s->is_object())
                if (auto id = str(s->as_object(), "credentialId"); !id.empty()) {
                    auto c = co_await offload(rc.ctx.dbPool, [&] { return store.getResource("credential", orgId, id); });
                    if (c) creds[id] = parseObject(c->body);
                }
        auto target = webhooks::targetFrom(phone.if_contains("server"), creds, str(phone, "serverUrl"),
                                           str(phone, "serverUrlSecret"));
        if (target.empty())
            target = webhooks::targetFrom(orgBody.if_contains("server"), creds, str(orgBody, "serverUrl"),
                                          str(orgBody, "serverUrlSecret"));
        if (target.empty()) co_return sayAndHangUp("This number has no assistant.");
        json::object customer{{"number", from}};
        json::object callObj{{"id", in.callId}, {"orgId", orgId}, {"type", "inboundPhoneCall"},
                             {"status", "ringing"}, {"phoneNumberId", row.id}, {"customer", customer},
                             {"phoneCallProvider", "twilio"}, {"phoneCallTransport", "pstn"},
                             {"phoneCallProviderId", callSid}};
        callObj["createdAt"] = callObj["updatedAt"] = isoNow();
        json::object msg{{"type", "assistant-request"}, {"timestamp", epochMs()}, {"call", callObj},
                         {"phoneNumber", in.phoneNumber}, {"customer", customer}};
        std::string payload = json::serialize(json::object{{"message", msg}});
        auto logs = calls.settings().outbox ? calls.settings().outbox->logs() : nullptr;
        webhooks::Reply reply = co_await webhooks::request(target, payload, "assistant-request", orgId,
                                                           in.callId, logs, kAssistantRequestSeconds);
        const json::object* answer = reply.ok() && reply.json.is_object() ? &reply.json.as_object() : nullptr;
        if (!answer) {
            spdlog::warn(R"({{"msg":"assistant-request failed","callId":"{}","error":{}}})", in.callId,
                         json::serialize(json::value(reply.error)));
            if (auto* fb = phone.if_contains("fallbackDestination"); fb && fb->is_object())
                if (auto r = forward(fb->as_object())) co_return *r;
            co_return sayAndHangUp("Sorry, we cannot take your call right now.");
        }
        if (auto* e = answer->if_contains("error"); e && e->is_string())
            co_return sayAndHangUp(std::string(e->as_string()));
        if (auto* d = answer->if_contains("destination"); d && d->is_object())
            if (auto r = forward(d->as_object())) co_return *r;
        for (auto* k : {"assistantId", "assistant", "squadId", "squad", "assistantOverrides"})
            if (auto* v = answer->if_contains(k)) body[k] = *v;
        if (body.empty() || (body.size() == 1 && body.contains("assistantOverrides"))) {
            spdlog::warn(R"({{"msg":"assistant-request answer has no assistant","callId":"{}"}})", in.callId);
            co_return sayAndHangUp("Sorry, we cannot take your call right now.");
        }
        if (auto* a = body.if_contains("assistant"); a && a->is_object()) {
            auto errors = Schemas::instance().validate("CreateAssistantDTO", a->as_object());
            if (!errors.empty()) {
                spdlog::warn(R"({{"msg":"assistant-request returned an invalid assistant","callId":"{}","error":{}}})",
                             in.callId, json::serialize(json::value(errors.front())));
                co_return sayAndHangUp("Sorry, we cannot take your call right now.");
            }
        }
    }
    std::string token;
    try {
        auto created = co_await calls.createInbound(orgId, std::move(body), in);
        token = created.token;
    } catch (const call::CallError& e) {
        spdlog::warn(R"({{"msg":"inbound call refused","to":"{}","error":{}}})", to,
                     json::serialize(json::value(e.messages.front())));
        // Over the org's concurrencyLimit the caller hears busy, as on Vapi.
        if (e.concurrencyBlocked) co_return twiml("<Reject reason=\"busy\"/>");
        co_return sayAndHangUp("Sorry, we cannot take your call right now.");
    }
    co_return twimlDocument(call::twilio::streamTwiml(calls.wsBaseUrl() + "/" + in.callId + "/twilio", token));
}

}  // namespace

void registerTwilio(Router& router) {
    router.add("POST", "/twilio/inbound_call", inboundCall, Access::None);
}

}  // namespace voxa::api
