// Accounts: the people behind the dashboard. Registration and sign-in with argon2id
// passwords, sessions as HS256 JWTs backed by a session row, org memberships with roles,
// invitations, password resets and the first owner's setup link, all by one-time tokens.
//
//   voxa::auth::Accounts accounts(store, auth, {.publicUrl = "https://voxa.example.com",
//                                               .registration = RegistrationMode::Invite});
//   auto link = accounts.createSetupLink(orgId);  // printed by `voxa serve` / admin setup-link
//   auto s = accounts.registerUser({.email = "ada@example.com", .password = "...",
//                                   .setupToken = secret});     // blocking (store, argon2id)
//   res.headers.push_back({"Set-Cookie", accounts.cookie(s.token)});
//   if (auto p = accounts.lookupCached(jwt)) ...                // event loop: memory only
//   auto p = accounts.lookup(jwt);                              // worker: may hit the store
//
// Who may register (RegistrationMode): `open` anyone, into a new org of their own; `invite`
// (the default) only with an invitation; `closed` nobody. The setup link works in every
// mode: only the operator can print one, and it makes its follower an owner of its org.
//
// Every method but lookupCached/cookie/loginCheck/throttle blocks: call it from a worker
// pool (the ones that hash passwords from the small hashing pool). Failures are
// AccountError with the HTTP status and the messages the API returns.
#pragma once
#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "auth/auth.h"
#include "auth/limiter.h"
#include "auth/roles.h"
#include "store/store.h"

namespace voxa::auth {

struct AccountError : std::runtime_error {
    AccountError(int status, std::string message, int64_t retryAfter = 0)
        : std::runtime_error(message), status(status), messages{std::move(message)},
          retryAfterSeconds(retryAfter) {}
    AccountError(int status, std::vector<std::string> messages)
        : std::runtime_error(messages.empty() ? "" : messages.front()), status(status),
          messages(std::move(messages)), validation(true) {}
    int status;
    std::vector<std::string> messages;
    int64_t retryAfterSeconds = 0;  // 429: when to try again
    bool validation = false;        // a list of field errors (Vapi sends those as an array)
};

enum class RegistrationMode { Open, Invite, Closed };
std::optional<RegistrationMode> parseRegistrationMode(std::string_view s);
const char* registrationModeName(RegistrationMode m);

struct AccountsOptions {
    std::string publicUrl = "http://127.0.0.1:8080";  // links in mails, Secure cookies on https
    int64_t sessionTtlMs = 7LL * 24 * 3600 * 1000;
    int64_t resetTtlMs = 3600 * 1000;
    int64_t inviteTtlMs = 7LL * 24 * 3600 * 1000;
    int64_t setupTtlMs = 24LL * 3600 * 1000;
    RegistrationMode registration = RegistrationMode::Invite;
    std::chrono::seconds cacheTtl{30};
    LoginLimiter::Limits loginLimits{};
    RateLimiter::Limits addressLimits{};  // register, sign-in and reset per source address
    /// Reset mails per email address, from anywhere (whether or not it has an account, so a
    /// refusal tells nothing): 3 at once, then one per 20 minutes.
    RateLimiter::Limits resetLimits{.perMinute = 0.05, .burst = 3};
    std::function<int64_t()> clock;  // epoch ms; default: the wall clock
};

/// A signed-in session as the API returns it, plus the token for the cookie.
struct SessionInfo {
    store::User user;
    store::Session session;
    Role role = Role::Viewer;
    std::string orgName;
    std::vector<store::Membership> orgs;
    std::string token;  // the JWT; empty when not newly issued
};

struct Registration {
    std::string email, password, name, orgName, inviteToken, setupToken;
};

/// The one-time link that makes its follower an owner of `orgId`.
struct SetupLink {
    std::string orgId;
    std::string secret;  // only its hash is stored
    std::string url;
    int64_t expiresMs = 0;
};

/// A mail to send (the caller sends it off the request path).
struct Mail {
    std::string to, subject, body;
};

struct Invitation {
    store::UserToken token;
    std::string secret;  // the one-time token; only when just created
    std::string orgName;
    std::string url;
};

class Accounts {
public:
    /// Blocking: reads (or creates) the session signing key in the store.
    Accounts(store::Store& store, Auth& auth, AccountsOptions opts);

    SessionInfo registerUser(const Registration& r);
    /// Non-blocking: whether a sign-in attempt may go ahead now (see LoginLimiter).
    LoginLimiter::Decision loginCheck(const std::string& email, const std::string& address);
    /// Blocking (store, argon2id). Refuses with 429 what loginCheck would refuse.
    SessionInfo login(const std::string& email, const std::string& password,
                      const std::string& address);
    /// Non-blocking: one account request (register, sign-in, reset) from `address`;
    /// nullopt if allowed, else the seconds to wait.
    std::optional<int64_t> throttle(const std::string& address);
    /// Non-blocking: one password-reset mail to `email` (see resetLimits); nullopt if
    /// allowed, else the seconds to wait.
    std::optional<int64_t> throttleReset(const std::string& email);

    /// A new setup link for `orgId`; older unused ones stop working. Throws 404 for an
    /// unknown org.
    SetupLink createSetupLink(const std::string& orgId);
    RegistrationMode registration() const { return opts_.registration; }
    void logout(const Principal& p);
    SessionInfo current(const Principal& p);
    /// A new session in another org of the same user; the old one ends.
    SessionInfo switchOrg(const Principal& p, const std::string& orgId);

    /// The reset mail for the email, or nullopt if there is no such user (the API answers
    /// the same either way).
    std::optional<Mail> requestReset(const std::string& email);
    void confirmReset(const std::string& token, const std::string& password);

    Invitation invite(const Principal& by, const std::string& email, const std::string& role);
    std::vector<Invitation> invitations(const std::string& orgId);
    bool revokeInvitation(const std::string& orgId, const std::string& id);
    /// What an invitation is for, without using it (404 if unknown, expired or used).
    Invitation invitation(const std::string& token);
    SessionInfo acceptInvitation(const Principal& p, const std::string& token);

    std::vector<store::Membership> members(const std::string& orgId);
    store::Membership setRole(const Principal& by, const std::string& userId,
                              const std::string& role);
    store::Membership removeMember(const Principal& by, const std::string& userId);

    /// Non-blocking: the cache only (nullopt = unknown, ask lookup()).
    std::optional<Principal> lookupCached(std::string_view jwt) const;
    /// Blocking on a cache miss. nullopt = not a valid, live session.
    std::optional<Principal> lookup(std::string_view jwt);

    /// Set-Cookie values that set and clear the session cookie.
    std::string cookie(const std::string& token) const;
    std::string clearCookie() const;
    static constexpr const char* kCookieName = "voxa_session";

    /// The session body the API returns for `s` (JSON text).
    static std::string sessionJson(const SessionInfo& s);
    static std::string memberJson(const store::Membership& m);
    std::string invitationJson(const Invitation& i) const;

private:
    int64_t now() const { return opts_.clock(); }
    SessionInfo openSession(const store::User& u, const std::string& orgId, Role role);
    SessionInfo load(const store::User& u, const store::Session& s);
    void requireAnotherOwner(const std::string& orgId);
    std::optional<Principal> cached(const boost::json::object& claims) const;
    void renameOrg(store::Org o, const std::string& name);
    std::optional<store::UserToken> liveToken(const std::string& kind, const std::string& secret);
    void forgetUser(const std::string& userId);
    void forgetSession(const std::string& sessionId);
    static std::string normalizeEmail(const std::string& email);

    store::Store& store_;
    Auth& auth_;  // new orgs come with their default keys
    AccountsOptions opts_;
    std::string key_;  // HS256 key
    LoginLimiter limiter_;
    RateLimiter addressLimiter_;
    RateLimiter resetLimiter_;
    struct Entry {
        Principal principal;
        std::chrono::steady_clock::time_point expires;
    };
    mutable std::shared_mutex mu_;
    std::unordered_map<std::string, Entry> cache_;  // session id -> principal
};

}  // namespace voxa::auth
