// /auth: people signing in to the dashboard (docs/dashboard.md). Sessions travel in an
// HttpOnly cookie; every answer about a session has the same body (Accounts::sessionJson).
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include <chrono>

#include "api/errors.h"
#include "api/resources.h"
#include "common/offload.h"

namespace voxa::api {

namespace json = boost::json;

namespace {

auth::Accounts& accounts(RequestContext& rc) {
    if (!rc.ctx.accounts) throw ApiError::notFound("Accounts are not enabled on this server");
    return *rc.ctx.accounts;
}

ApiError tooMany(std::string message, int64_t retryAfterSeconds) {
    ApiError e(429, std::move(message));
    e.withHeader("Retry-After", std::to_string(std::max<int64_t>(1, retryAfterSeconds)));
    return e;
}

ApiError fromAccountError(const auth::AccountError& e) {
    ApiError error = e.validation ? ApiError(e.status, e.messages)
                                  : ApiError(e.status, e.messages.front());
    if (e.retryAfterSeconds > 0) error.withHeader("Retry-After", std::to_string(e.retryAfterSeconds));
    return error;
}

// Runs blocking account work on the database pool; AccountError becomes Vapi's error body.
template <class F>
asio::awaitable<std::invoke_result_t<F&>> run(RequestContext& rc, F work) {
    std::optional<ApiError> error;
    try {
        co_return co_await offload(rc.ctx.dbPool, std::move(work));
    } catch (const auth::AccountError& e) {
        error.emplace(fromAccountError(e));
    }
    throw *error;
}

// Account work that hashes a password (argon2id: ~0.1 s of a core and 64 MiB): on the small
// hashing pool, never the database pool API requests share; refused at once when it is full.
template <class F>
asio::awaitable<std::invoke_result_t<F&>> runHashing(RequestContext& rc, F work) {
    if (!rc.ctx.hashPool) co_return co_await run(rc, std::move(work));
    std::optional<ApiError> error;
    try {
        co_return co_await rc.ctx.hashPool->run(std::move(work));
    } catch (const auth::AccountError& e) {
        error.emplace(fromAccountError(e));
    } catch (const PoolFull&) {
        error.emplace(tooMany("Too many sign-in requests at once. Try again in a moment.", 1));
    }
    throw *error;
}

// One account request from the caller's address (register, sign-in, reset): 429 past the
// per-address rate.
void throttle(RequestContext& rc) {
    if (auto wait = accounts(rc).throttle(rc.req.remoteAddress))
        throw tooMany("Too many requests from this address. Try again in " +
                          std::to_string(*wait) + " seconds.",
                      *wait);
}

// The string fields of a body: each must be a string; `required` ones must be present and
// non-empty; anything else is refused, as Vapi's DTO validation does.
std::map<std::string, std::string> fields(const json::object& body,
                                          std::initializer_list<const char*> required,
                                          std::initializer_list<const char*> optional = {}) {
    std::map<std::string, std::string> out;
    std::vector<std::string> errors;
    auto known = [&](std::string_view k) {
        for (auto* r : required) if (k == r) return true;
        for (auto* o : optional) if (k == o) return true;
        return false;
    };
    for (auto& kv : body) {
        std::string k(kv.key());
        if (!known(k)) errors.push_back("property " + k + " should not exist");
        else if (!kv.value().is_string()) errors.push_back(k + " must be a string");
        else out[k] = std::string(kv.value().as_string());
    }
    for (auto* r : required)
        if (out[r].empty() && !body.contains(r)) errors.push_back(std::string(r) + " should not be empty");
    if (!errors.empty()) throw ApiError::badRequest(std::move(errors));
    return out;
}

const auth::Principal& user(RequestContext& rc) {
    if (!rc.principal.isUser())
        throw ApiError::unauthorized("Sign in with an email and password to use this endpoint");
    return rc.principal;
}

net::HttpResponse sessionResponse(RequestContext& rc, int status, const auth::SessionInfo& s) {
    auto res = net::HttpResponse::json(status, auth::Accounts::sessionJson(s));
    if (!s.token.empty()) res.headers.push_back({"Set-Cookie", accounts(rc).cookie(s.token)});
    res.headers.push_back({"Cache-Control", "no-store"});
    return res;
}

Awaitable registerUser(RequestContext& rc) {
    auto f = fields(rc.jsonBody(), {"email", "password"},
                    {"name", "orgName", "inviteToken", "setupToken"});
    auto& acc = accounts(rc);
    throttle(rc);
    auth::Registration r{f["email"],   f["password"],    f["name"],
                         f["orgName"], f["inviteToken"], f["setupToken"]};
    auto s = co_await runHashing(rc, [&] { return acc.registerUser(r); });
    co_return sessionResponse(rc, 201, s);
}

Awaitable login(RequestContext& rc) {
    auto f = fields(rc.jsonBody(), {"email", "password"});
    auto& acc = accounts(rc);
    throttle(rc);
    std::string email = f["email"], password = f["password"], address = rc.req.remoteAddress;
    // An account under a distributed attack: hold the attempt (no thread is held), then check
    // it, so the right password still gets in while guesses stay slow.
    if (auto wait = acc.loginCheck(email, address).waitMs; wait > 0) {
        auto ex = co_await asio::this_coro::executor;
        asio::steady_timer timer(ex, std::chrono::milliseconds(wait));
        co_await timer.async_wait(asio::use_awaitable);
    }
    auto s = co_await runHashing(rc, [&] { return acc.login(email, password, address); });
    co_return sessionResponse(rc, 200, s);
}

Awaitable logout(RequestContext& rc) {
    auto& acc = accounts(rc);
    auto p = user(rc);
    co_await run(rc, [&] { acc.logout(p); return true; });
    auto res = net::HttpResponse::json(200, R"({"success":true})");
    res.headers.push_back({"Set-Cookie", acc.clearCookie()});
    co_return res;
}

Awaitable me(RequestContext& rc) {
    auto& acc = accounts(rc);
    auto p = user(rc);
    auto s = co_await run(rc, [&] { return acc.current(p); });
    co_return sessionResponse(rc, 200, s);
}

Awaitable switchOrg(RequestContext& rc) {
    auto f = fields(rc.jsonBody(), {"orgId"});
    auto& acc = accounts(rc);
    auto p = user(rc);
    std::string org = f["orgId"];
    auto s = co_await run(rc, [&] { return acc.switchOrg(p, org); });
    co_return sessionResponse(rc, 200, s);
}

Awaitable requestReset(RequestContext& rc) {
    auto f = fields(rc.jsonBody(), {"email"});
    auto& acc = accounts(rc);
    throttle(rc);
    std::string email = f["email"];
    // Per email too, from every address (a mailbox flooded from many), whether or not the
    // email has an account, so the refusal tells nothing about it.
    if (auto wait = acc.throttleReset(email))
        throw tooMany("Too many password-reset requests for this email. Try again in " +
                          std::to_string(*wait) + " seconds.",
                      *wait);
    auto mail = co_await run(rc, [&] { return acc.requestReset(email); });
    // Queued for the mailer's own thread (never the database pool) and sent after answering,
    // so the answer takes the same time whether or not the email exists, and an SMTP server
    // that hangs delays nobody else.
    bool smtp = rc.ctx.mailer && rc.ctx.mailer->configured();
    if (mail && rc.ctx.mailer) rc.ctx.mailer->post(std::move(*mail));
    // Where links go is the server's setting, the same for every email: saying it tells
    // nothing about accounts, and keeps a fresh install from promising a mail that is only
    // in the log.
    if (smtp)
        co_return net::HttpResponse::json(
            202, R"({"message":"If an account exists for that email, a reset link has been sent.","delivery":"email"})");
    co_return net::HttpResponse::json(
        202, R"({"message":"Reset by email is not set up on this server (no --smtp-url): if an account exists for that email, the reset link was written to the server's log. Ask the server's administrator for it.","delivery":"log"})");
}

Awaitable confirmReset(RequestContext& rc) {
    auto f = fields(rc.jsonBody(), {"token", "password"});
    auto& acc = accounts(rc);
    throttle(rc);
    std::string token = f["token"], password = f["password"];
    co_await runHashing(rc, [&] { acc.confirmReset(token, password); return true; });
    co_return net::HttpResponse::json(200, R"({"message":"Your password was changed. Sign in with the new one."})");
}

// What the dashboard needs before showing a sign-up form.
Awaitable registrationInfo(RequestContext& rc) {
    auto& acc = accounts(rc);
    co_return jsonResponse(200, json::object{{"registration", auth::registrationModeName(acc.registration())}});
}

Awaitable invitationInfo(RequestContext& rc) {
    auto token = rc.query("token").value_or("");
    auto& acc = accounts(rc);
    auto inv = co_await run(rc, [&] { return acc.invitation(token); });
    co_return net::HttpResponse::json(200, acc.invitationJson(inv));
}

Awaitable acceptInvitation(RequestContext& rc) {
    auto f = fields(rc.jsonBody(), {"token"});
    auto& acc = accounts(rc);
    auto p = user(rc);
    std::string token = f["token"];
    auto s = co_await run(rc, [&] { return acc.acceptInvitation(p, token); });
    co_return sessionResponse(rc, 200, s);
}

}  // namespace

void registerSessions(Router& router) {
    router.add("POST", "/auth/register", registerUser, Access::None);
    router.add("GET", "/auth/registration", registrationInfo, Access::None);
    router.add("POST", "/auth/login", login, Access::None);
    router.add("POST", "/auth/logout", logout);
    router.add("GET", "/auth/me", me);
    router.add("POST", "/auth/switch-org", switchOrg);
    router.add("POST", "/auth/password-reset", requestReset, Access::None);
    router.add("POST", "/auth/password-reset/confirm", confirmReset, Access::None);
    router.add("GET", "/auth/invitation", invitationInfo, Access::None);
    router.add("POST", "/auth/invitation/accept", acceptInvitation);
}

// /org/member and /org/invitation: the org's people. Roles are checked by the API's role
// table (admins change, everyone reads members); owner rules live in Accounts.
void registerMembers(Router& router) {
    router.add("GET", "/org/member", [](RequestContext& rc) -> Awaitable {
        auto& acc = accounts(rc);
        std::string org = rc.orgId();
        auto list = co_await run(rc, [&] { return acc.members(org); });
        json::array out;
        for (auto& m : list) out.push_back(json::parse(auth::Accounts::memberJson(m)));
        co_return jsonResponse(200, out);
    });
    router.add("PATCH", "/org/member/:userId", [](RequestContext& rc) -> Awaitable {
        auto f = fields(rc.jsonBody(), {"role"});
        auto& acc = accounts(rc);
        auto p = rc.principal;
        std::string id(rc.param("userId")), role = f["role"];
        auto m = co_await run(rc, [&] { return acc.setRole(p, id, role); });
        co_return net::HttpResponse::json(200, auth::Accounts::memberJson(m));
    });
    router.add("DELETE", "/org/member/:userId", [](RequestContext& rc) -> Awaitable {
        auto& acc = accounts(rc);
        auto p = rc.principal;
        std::string id(rc.param("userId"));
        auto m = co_await run(rc, [&] { return acc.removeMember(p, id); });
        co_return net::HttpResponse::json(200, auth::Accounts::memberJson(m));
    });
    router.add("POST", "/org/invitation", [](RequestContext& rc) -> Awaitable {
        auto f = fields(rc.jsonBody(), {"email", "role"});
        auto& acc = accounts(rc);
        auto p = rc.principal;
        std::string email = f["email"], role = f["role"];
        auto inv = co_await run(rc, [&] { return acc.invite(p, email, role); });
        co_return net::HttpResponse::json(201, acc.invitationJson(inv));
    });
    router.add("GET", "/org/invitation", [](RequestContext& rc) -> Awaitable {
        auto& acc = accounts(rc);
        std::string org = rc.orgId();
        auto list = co_await run(rc, [&] { return acc.invitations(org); });
        json::array out;
        for (auto& i : list) out.push_back(json::parse(acc.invitationJson(i)));
        co_return jsonResponse(200, out);
    });
    router.add("DELETE", "/org/invitation/:id", [](RequestContext& rc) -> Awaitable {
        auto& acc = accounts(rc);
        std::string org = rc.orgId(), id(rc.param("id"));
        bool ok = co_await run(rc, [&] { return acc.revokeInvitation(org, id); });
        if (!ok) throw ApiError::notFound("Invitation not found");
        co_return net::HttpResponse::json(200, R"({"success":true})");
    });
}

}  // namespace voxa::api
