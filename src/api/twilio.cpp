// Twilio's webhooks for numbers imported with `{"provider": "twilio"}`:
//
// POST /twilio/inbound_call: the voice webhook (set it as the number's "A call comes in" URL,
// as on Vapi).
//   Twilio -> POST /twilio/inbound_call  (form: CallSid, From, To, ...; X-Twilio-Signature)
//   <- TwiML <Connect><Stream url="wss://<public>/<callId>/twilio"> with the call's token
//   Twilio -> WebSocket Media Stream (transport/twilio/)
//
// Which assistant answers: the number's assistantId / squadId, else an `assistant-request`
// to the number's server URL (then the org's), answered within 7.5 s with {assistantId},
// {assistant}, {squadId}, {squad} (+ assistantOverrides), {destination} (forward the call)
// or {error}. A call refused there (an error answer, a failing server, no or an invalid
// assistant) keeps its record: it is answered with a stream like any call, and a stand-in
// session says why in Voxa's own voice, then ends with Vapi's endedReason
// (assistant-request-returned-error, assistant-request-failed, ...).
//
// POST /twilio/status/<callId>: Twilio's status callbacks of an outbound call (StatusCallback
// of placeOutbound): CallStatus ringing, in-progress, busy, no-answer, failed, canceled,
// completed (CallManager::twilioStatus).
//
// Both check X-Twilio-Signature against the public URL with the number's twilioAuthToken
// (the voice webhook only when the number has one; a status callback always).
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
// Twilio's webhook forms are a few hundred bytes to a few KB.
constexpr size_t kMaxFormBytes = 64 * 1024;
constexpr const char* kApology = "Sorry, we cannot take your call right now.";

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

// The form of a Twilio webhook (bounded).
std::map<std::string, std::string> formOf(const RequestContext& rc) {
    if (rc.req.body.size() > kMaxFormBytes) throw ApiError::tooLarge();
    return parseForm(rc.req.body);
}

// Twilio's X-Twilio-Signature: base64(HMAC-SHA1(authToken, url + sorted(name + value))).
bool signatureOk(const std::string& authToken, const std::string& fullUrl,
                 const std::map<std::string, std::string>& form, std::string_view signature) {
    std::string data = fullUrl;
    for (auto& [k, v] : form) data += k + v;  // std::map iterates sorted by name
    return constantTimeEquals(base64Encode(hmac("SHA1", authToken, data)), signature);
}

// 403 unless the request is signed with `authToken` over the URL Twilio was given (the
// public URL, path and query as requested).
void verifySignature(const RequestContext& rc, const std::string& authToken,
                     const std::map<std::string, std::string>& form, std::string_view what) {
    std::string base = rc.ctx.settings.publicUrl;
    while (!base.empty() && base.back() == '/') base.pop_back();
    std::string full = base + rc.req.target;
    if (!authToken.empty() && signatureOk(authToken, full, form, rc.req.header("x-twilio-signature"))) return;
    spdlog::warn(R"({{"msg":"twilio signature mismatch","webhook":"{}","url":{}}})", what,
                 json::serialize(json::value(full)));
    throw ApiError(403, "Invalid Twilio signature");
}

// At most call::kMaxRefusalChars bytes of `text`, cut before a UTF-8 continuation byte.
std::string bounded(std::string text) {
    if (text.size() <= call::kMaxRefusalChars) return text;
    size_t n = call::kMaxRefusalChars;
    while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
    text.resize(n);
    return text;
}

call::Refusal refused(std::string endedReason, std::string text, std::string message) {
    return call::Refusal{.text = bounded(std::move(text)), .endedReason = std::move(endedReason),
                         .message = bounded(std::move(message))};
}

// What runs a refused call: Voxa's embedded providers, saying the refusal (CallSetup::refusal).
json::object refusalAssistant() {
    return json::object{{"name", "Voxa"},
                        {"transcriber", json::object{{"provider", "local"}}},
                        {"voice", json::object{{"provider", "local"}}},
                        {"model", json::object{{"provider", "local"}}}};
}

// The phone number as server messages show it: no provider secrets.
json::object presentable(json::object phone) {
    for (auto* k : {"twilioAuthToken", "twilioApiSecret", "vonageApiSecret", "telnyxApiKey", "authPassword"})
        phone.erase(k);
    return phone;
}

Awaitable inboundCall(RequestContext& rc) {
    auto form = formOf(rc);
    std::string to = form["To"], from = form["From"], callSid = form["CallSid"];
    if (to.empty()) throw ApiError::badRequest("To is required (a Twilio voice webhook)");
    auto& store = rc.ctx.store;
    auto rows = co_await offload(rc.ctx.dbPool, [&] { return store.findByAttr("phone-number", 1, to); });
    if (rows.empty()) {
        spdlog::warn(R"({{"msg":"twilio inbound call to an unknown number","to":"{}"}})", to);
        co_return sayAndHangUp("This number is not configured.");  // no org: no record to keep
    }
    auto& row = rows.front();
    json::object phone = parseObject(row.body);
    std::string orgId = row.orgId;
    if (auto token = str(phone, "twilioAuthToken"); !token.empty()) verifySignature(rc, token, form, "inbound_call");
    if (!rc.ctx.calls) throw ApiError::internal("calls are not enabled on this server");
    auto& calls = *rc.ctx.calls;

    call::CallManager::Inbound in{.callId = newId(), .phoneNumber = presentable(phone), .from = from,
                                  .provider = "twilio", .providerCallId = callSid,
                                  .accountSid = str(phone, "twilioAccountSid"),
                                  .authToken = str(phone, "twilioAuthToken")};
    json::object body;
    for (auto* k : {"assistantId", "squadId", "workflowId"})
        if (auto v = str(phone, k); !v.empty()) body[k] = v;
    bool asked = body.empty();  // assistant-request chooses
    if (asked) {
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
        if (target.empty()) {
            in.refusal = refused("call-start-error-neither-assistant-nor-server-set", "This number has no assistant.",
                                 "The phone number has no assistantId or squadId, and neither it nor the org has a server URL.");
        } else {
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
                std::string why = reply.ok() ? "the answer is not a JSON object" : reply.error;
                spdlog::warn(R"({{"msg":"assistant-request failed","callId":"{}","error":{}}})", in.callId,
                             json::serialize(json::value(why)));
                if (auto* fb = phone.if_contains("fallbackDestination"); fb && fb->is_object())
                    if (auto r = forward(fb->as_object())) co_return *r;
                in.refusal = refused("assistant-request-failed", kApology, "assistant-request failed: " + why);
            } else if (auto* e = answer->if_contains("error")) {
                bool speakable = e->is_string() && std::string_view(e->as_string()).find_first_not_of(" \t\r\n") != std::string_view::npos;
                in.refusal = speakable ? refused("assistant-request-returned-error", std::string(e->as_string()),
                                                 "assistant-request returned an error: " + std::string(e->as_string()))
                                       : refused("assistant-request-returned-unspeakable-error", kApology,
                                                 "assistant-request returned an error that is not a non-empty string.");
            } else {
                if (auto* d = answer->if_contains("destination"); d && d->is_object())
                    if (auto r = forward(d->as_object())) co_return *r;
                for (auto* k : {"assistantId", "assistant", "squadId", "squad", "assistantOverrides"})
                    if (auto* v = answer->if_contains(k)) body[k] = *v;
                if (body.empty() || (body.size() == 1 && body.contains("assistantOverrides"))) {
                    spdlog::warn(R"({{"msg":"assistant-request answer has no assistant","callId":"{}"}})", in.callId);
                    in.refusal = refused("assistant-request-returned-no-assistant", kApology,
                                         "The assistant-request answer has no assistantId, assistant, squadId or squad.");
                } else if (auto* a = body.if_contains("assistant"); a && a->is_object()) {
                    auto errors = Schemas::instance().validate("CreateAssistantDTO", a->as_object());
                    if (!errors.empty()) {
                        spdlog::warn(R"({{"msg":"assistant-request returned an invalid assistant","callId":"{}","error":{}}})",
                                     in.callId, json::serialize(json::value(errors.front())));
                        in.refusal = refused("assistant-request-returned-invalid-assistant", kApology,
                                             "The assistant-request answer's assistant is invalid: " + errors.front());
                    }
                }
            }
        }
    }
    if (in.refusal) body = json::object{{"assistant", refusalAssistant()}};
    std::string token;
    std::optional<call::CallError> failed;
    try {
        token = (co_await calls.createInbound(orgId, body, in)).token;
    } catch (const call::CallError& e) {
        failed = e;
    }
    if (failed && !failed->concurrencyBlocked && failed->status != 503 && !in.refusal) {
        // The chosen assistant or squad cannot run the call (an unknown id, a provider this
        // server lacks, ...): the call is refused, with a record, like the cases above.
        std::string why = failed->messages.front();
        std::string reason = "assistant-request-returned-invalid-assistant";
        if (!asked && why.starts_with("Couldn't Get")) reason = "assistant-not-found";
        else if (!asked) reason = "assistant-not-valid";
        in.refusal = refused(std::move(reason), kApology, why);
        failed.reset();
        body = json::object{{"assistant", refusalAssistant()}};
        try {
            token = (co_await calls.createInbound(orgId, body, in)).token;
        } catch (const call::CallError& e) {
            failed = e;
        }
    }
    if (failed) {
        spdlog::warn(R"({{"msg":"inbound call refused","to":"{}","error":{}}})", to,
                     json::serialize(json::value(failed->messages.front())));
        // Over the org's concurrencyLimit the caller hears busy, as on Vapi.
        if (failed->concurrencyBlocked) co_return twiml("<Reject reason=\"busy\"/>");
        // No call could be created (the server is stopping, the embedded voice is missing, the
        // database failed): nothing of ours can speak, so Twilio says it.
        co_return sayAndHangUp(in.refusal ? in.refusal->text : kApology);
    }
    co_return twimlDocument(call::twilio::streamTwiml(calls.wsBaseUrl() + "/" + in.callId + "/twilio", token));
}

// Twilio's status callback of a call (POST /twilio/status/<callId>).
Awaitable statusCallback(RequestContext& rc) {
    auto form = formOf(rc);
    std::string callId(rc.param("callId"));
    if (!isUuid(callId)) throw ApiError::notFound("Couldn't Get Call. Call Not Found");
    auto& store = rc.ctx.store;
    auto row = co_await offload(rc.ctx.dbPool, [&] { return store.getResourceAnyOrg("call", callId); });
    json::object record = row ? parseObject(row->body) : json::object{};
    if (!row || str(record, "phoneCallProvider") != "twilio")
        throw ApiError::notFound("Couldn't Get Call. Call Not Found");
    // The number's token signs it; without one (or the number), nothing can be verified.
    std::string phoneId = str(record, "phoneNumberId"), orgId = row->orgId;
    auto phoneRow = co_await offload(rc.ctx.dbPool, [&] { return store.getResource("phone-number", orgId, phoneId); });
    std::string authToken = phoneRow ? str(parseObject(phoneRow->body), "twilioAuthToken") : "";
    verifySignature(rc, authToken, form, "status");
    std::string status = form["CallStatus"], callSid = form["CallSid"];
    if (auto known = str(record, "phoneCallProviderId"); !known.empty() && !callSid.empty() && known != callSid) {
        spdlog::warn(R"({{"msg":"twilio status callback for another CallSid","callId":"{}","callSid":"{}"}})",
                     callId, callSid);
        co_return net::HttpResponse::text(200, "", "text/plain");
    }
    if (rc.ctx.calls) co_await rc.ctx.calls->twilioStatus(callId, status, callSid);
    co_return net::HttpResponse::text(200, "", "text/plain");
}

}  // namespace

void registerTwilio(Router& router) {
    router.add("POST", "/twilio/inbound_call", inboundCall, Access::None);
    router.add("POST", "/twilio/status/:callId", statusCallback, Access::None);
}

}  // namespace voxa::api
