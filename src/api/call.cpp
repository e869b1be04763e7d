// /call: create (POST, 201), list with Vapi's filters, get, PATCH {name}, DELETE, the
// recordings, and the live-call control URL (POST /<callId>/<secret>/control).
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <filesystem>

#include "api/errors.h"
#include "api/resources.h"
#include "api/secrets.h"
#include "auth/auth.h"
#include "call/session.h"
#include "common/offload.h"
#include "common/ids.h"
#include "common/time.h"

namespace voxa::api {

namespace json = boost::json;

namespace {

call::CallManager& calls(RequestContext& rc) {
    if (!rc.ctx.calls) throw ApiError::internal("calls are not enabled on this server");
    return *rc.ctx.calls;
}

Awaitable createCall(RequestContext& rc) {
    json::object body = rc.jsonBody();
    dropNulls(body);
    validateOrThrow("CreateCallDTO", body);
    guardCredentialRefs(rc.principal, nullptr, body);  // inline assistants, squads, overrides
    try {
        auto call = co_await calls(rc).create(rc.orgId(), std::move(body));
        co_return jsonResponse(201, call);
    } catch (const call::CallError& e) {
        ApiError err(e.status, e.messages.front());
        for (auto& kv : e.extra) err.withField(kv.key(), kv.value());
        throw err;
    }
}

// POST /call/web, the browser's way in (a public key may use it, from any origin): Vapi's
// CreateWebCallDTO, plus Voxa's `transport` to pick the audio format of the WebSocket the
// browser joins. Nothing else: no phoneNumberId or customer, so a key that every embedding
// website shows cannot dial out. The answer is the call with `webCallUrl`, what
// @vapi-ai/web joins: here the call's WebSocket URL, whose one-time token (192 bits) is the
// only thing that grants it; it works once and only until the join timeout ends the call.
Awaitable createWebCall(RequestContext& rc) {
    static constexpr std::string_view kAllowed[] = {
        "assistantId", "assistant", "assistantOverrides", "assistantVersion", "squadId", "squad",
        "squadOverrides", "workflowId", "workflow", "workflowOverrides",
        "roomDeleteOnUserLeaveEnabled", "transport"};
    json::object body = rc.jsonBody();
    dropNulls(body);
    std::vector<std::string> errors;
    for (auto& kv : body) {
        std::string_view k(kv.key().data(), kv.key().size());
        if (std::find(std::begin(kAllowed), std::end(kAllowed), k) == std::end(kAllowed))
            errors.push_back("property " + std::string(k) + " should not exist");
    }
    if (auto* r = body.if_contains("roomDeleteOnUserLeaveEnabled"); r && !r->is_bool())
        errors.push_back("roomDeleteOnUserLeaveEnabled must be a boolean value");
    if (!errors.empty()) throw ApiError::badRequest(std::move(errors));
    body.erase("roomDeleteOnUserLeaveEnabled");  // a Daily room's setting: a socket has no room
    validateOrThrow("CreateCallDTO", body);
    guardCredentialRefs(rc.principal, nullptr, body);
    try {
        auto call = co_await calls(rc).createWeb(rc.orgId(), std::move(body));
        if (auto* t = call.if_contains("transport"); t && t->is_object())
            if (auto* u = t->as_object().if_contains("websocketCallUrl")) call["webCallUrl"] = *u;
        co_return jsonResponse(201, call);
    } catch (const call::CallError& e) {
        ApiError err(e.status, e.messages.front());
        for (auto& kv : e.extra) err.withField(kv.key(), kv.value());
        throw err;
    }
}

// What the session answered to a control message.
struct ControlAnswer {
    bool ended = false;                // the call ended before the message reached it
    std::optional<std::string> error;  // the message was refused, with this text
};

// Hands a control message to the session on its own event loop and waits for the answer.
// A call that ended may stay registered for a moment while its record is saved: `ended`.
// A coroutine with by-value parameters and the initiation in a named local: g++ 12 destroys
// temporaries with captures inside a co_await expression twice (cpp-stack.md, pitfall 3).
asio::awaitable<ControlAnswer> sendToSession(std::shared_ptr<call::CallSession> s, json::object msg) {
    auto init = [s, msg](auto handler) mutable {
        auto back = asio::get_associated_executor(handler);
        asio::post(s->executor(), [s, msg, h = std::move(handler), back]() mutable {
            ControlAnswer r;
            if (s->ended()) r.ended = true;
            else r.error = s->onClientMessage(msg);
            asio::post(back, [h = std::move(h), r]() mutable { std::move(h)(nullptr, r); });
        });
    };
    auto r = co_await asio::async_initiate<decltype(asio::use_awaitable),
                                           void(std::exception_ptr, ControlAnswer)>(
        std::move(init), asio::use_awaitable);
    co_return r;
}

// monitor.controlUrl, POST /<callId>/<secret>/control. A wrong or missing secret answers
// exactly as a call that does not exist (404), so call ids cannot be probed.
Awaitable control(RequestContext& rc) {
    const auto notFound = [] { return ApiError::notFound("Call not found or not in progress"); };
    std::string id(rc.param("id"));
    if (!isUuid(id)) throw notFound();
    auto m = calls(rc).monitor(id, rc.param("secret"));
    auto session = m ? calls(rc).live(id) : nullptr;
    if (!session) throw notFound();
    // monitorPlan.controlAuthenticationEnabled: then a private key of the call's org as well.
    if (m->controlAuth) {
        auto token = auth::bearerToken(rc.req.header("authorization"));
        if (token.empty()) throw ApiError::unauthorized("Unauthorized");
        auto& auth = rc.ctx.auth;
        std::string secret(token);
        auto p = co_await offload(rc.ctx.dbPool, [&] { return auth.lookup(secret); });
        if (!p || !p->isPrivate() || p->orgId != m->orgId) throw ApiError::unauthorized("Invalid Key. Hot tip, you may be using the private key instead of the public key, or vice versa.");
    }
    json::object body = rc.jsonBody();
    auto answer = co_await sendToSession(session, std::move(body));
    if (answer.ended) throw ApiError::notFound("Call not found or not in progress");
    if (answer.error) throw ApiError::badRequest(*answer.error);
    co_return net::HttpResponse::json(200, R"({"success":true})");
}

Awaitable controlWithoutSecret(RequestContext&) {
    throw ApiError::notFound("Call not found or not in progress");
    co_return net::HttpResponse{};
}

Awaitable recording(RequestContext& rc, const char* kind) {
    auto row = co_await loadOr404(rc, "call", "Call", rc.param("id"));
    std::string path = calls(rc).recordingPath(row.orgId, row.id, kind);
    bool exists = co_await offload(rc.ctx.dbPool, [&] { return std::filesystem::exists(path); });
    if (!exists) throw ApiError::notFound("Recording not found");
    net::HttpResponse res;
    res.contentType = "audio/wav";
    res.filePath = path;
    res.headers.push_back({"Content-Disposition", "inline; filename=\"" + row.id + "-" + kind + ".wav\""});
    co_return res;
}

}  // namespace

void registerCalls(Router& router) {
    router.add("POST", "/call", createCall);
    router.add("POST", "/call/web", createWebCall, Access::Public);
    registerCrud(router, {.kind = "call",
                          .path = "/call",
                          .label = "Call",
                          .createSchema = "CreateCallDTO",
                          .updateSchema = "UpdateCallDTO",
                          .listFilter = [](RequestContext& rc, store::ListQuery& q) {
                              if (auto v = rc.query("assistantId"); v && !v->empty()) q.a1 = *v;
                              if (auto v = rc.query("phoneNumberId"); v && !v->empty()) q.a2 = *v;
                              if (auto v = rc.query("id"); v && !v->empty()) q.idAny.push_back(*v);
                          },
                          .listParams = {"id", "assistantId", "phoneNumberId"},
                          .onDelete = [](const json::object& o, RequestContext& rc) {
                              // Deleting a live call hangs it up first.
                              std::string id(o.at("id").as_string());
                              if (auto s = calls(rc).live(id))
                                  asio::post(s->executor(), [s] { s->end("call-deleted"); });
                          },
                          .genericCreate = false});
    router.add("GET", "/call/:id/stereo-recording",
               [](RequestContext& rc) { return recording(rc, "stereo"); });
    router.add("GET", "/call/:id/mono-recording",
               [](RequestContext& rc) { return recording(rc, "mono"); });
    router.add("POST", "/:id/:secret/control", control, Access::None);
    // The URL without its secret: the same 404 as a wrong secret or an unknown call.
    router.add("POST", "/:id/control", controlWithoutSecret, Access::None);
}

}  // namespace voxa::api
