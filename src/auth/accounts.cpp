#include "auth/accounts.h"

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <mutex>

#include "auth/jwt.h"
#include "auth/password.h"
#include "common/crypto.h"
#include "common/ids.h"
#include "common/json_fields.h"
#include "common/time.h"

namespace voxa::auth {

namespace json = boost::json;

namespace {

constexpr const char* kInvalidReset = "Reset token is invalid or has expired";
constexpr const char* kInvalidInvite = "Invitation is invalid or has expired";
constexpr const char* kInvalidSetup = "Setup link is invalid, used or expired";

bool validEmail(const std::string& e) {
    if (e.size() < 3 || e.size() > 254) return false;
    auto at = e.find('@');
    if (at == std::string::npos || at == 0 || e.find('@', at + 1) != std::string::npos)
        return false;
    auto dot = e.find('.', at + 2);
    if (dot == std::string::npos || dot + 1 >= e.size()) return false;
    return std::none_of(e.begin(), e.end(), [](unsigned char c) {
        return std::isspace(c) || std::iscntrl(c) || c == ',' || c == ';' || c == '<' || c == '>';
    });
}

}  // namespace

std::optional<RegistrationMode> parseRegistrationMode(std::string_view s) {
    if (s == "open") return RegistrationMode::Open;
    if (s == "invite") return RegistrationMode::Invite;
    if (s == "closed") return RegistrationMode::Closed;
    return std::nullopt;
}

const char* registrationModeName(RegistrationMode m) {
    switch (m) {
        case RegistrationMode::Open: return "open";
        case RegistrationMode::Invite: return "invite";
        case RegistrationMode::Closed: return "closed";
    }
    return "invite";
}

std::string Accounts::normalizeEmail(const std::string& email) {
    size_t b = 0, e = email.size();
    while (b < e && std::isspace(static_cast<unsigned char>(email[b]))) ++b;
    while (e > b && std::isspace(static_cast<unsigned char>(email[e - 1]))) --e;
    std::string out = email.substr(b, e - b);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

Accounts::Accounts(store::Store& store, Auth& auth, AccountsOptions opts)
    : store_(store), auth_(auth), opts_(std::move(opts)), limiter_(opts_.loginLimits),
      addressLimiter_(opts_.addressLimits), resetLimiter_(opts_.resetLimits) {
    if (!opts_.clock) opts_.clock = [] { return epochMs(); };
    key_ = store_.getOrCreateSecret("session-signing-key", randomToken(32));
}

// Sessions -------------------------------------------------------------------------------

SessionInfo Accounts::openSession(const store::User& u, const std::string& orgId, Role) {
    store::Session s{.id = newId(),
                     .userId = u.id,
                     .orgId = orgId,
                     .createdAt = isoFromMs(now()),
                     .expiresMs = now() + opts_.sessionTtlMs};
    store_.insertSession(s);
    SessionInfo info = load(u, s);
    info.token = signJwt({{"sub", u.id},
                          {"org", orgId},
                          {"sid", s.id},
                          {"iat", now() / 1000},
                          {"exp", s.expiresMs / 1000}},
                         key_);
    return info;
}

SessionInfo Accounts::load(const store::User& u, const store::Session& s) {
    SessionInfo info;
    info.user = u;
    info.session = s;
    info.orgs = store_.listUserOrgs(u.id);
    bool found = false;
    for (auto& m : info.orgs)
        if (m.orgId == s.orgId) {
            info.role = parseRole(m.role).value_or(Role::Viewer);
            info.orgName = m.orgName;
            found = true;
        }
    if (!found) throw AccountError(401, "Unauthorized");
    return info;
}

SessionInfo Accounts::registerUser(const Registration& r) {
    std::vector<std::string> errors;
    std::string email = normalizeEmail(r.email);
    if (!validEmail(email)) errors.push_back("email must be an email");
    for (auto& e : passwordProblems(r.password, email)) errors.push_back(e);
    if (r.name.size() > 80) errors.push_back("name must be shorter than or equal to 80 characters");
    if (r.orgName.size() > 40)
        errors.push_back("orgName must be shorter than or equal to 40 characters");
    if (!errors.empty()) throw AccountError(400, std::move(errors));

    // Who may register, decided before any hashing: refusals cost nothing.
    std::optional<store::UserToken> invite, setup;
    if (!r.setupToken.empty()) {
        setup = liveToken("setup", r.setupToken);
        if (!setup) throw AccountError(400, kInvalidSetup);
    } else if (opts_.registration == RegistrationMode::Closed) {
        throw AccountError(403, "Registration is closed on this server");
    } else if (!r.inviteToken.empty()) {
        invite = liveToken("invite", r.inviteToken);
        if (!invite) throw AccountError(400, kInvalidInvite);
        if (invite->email != email)
            throw AccountError(400, "This invitation was sent to another email address");
    } else if (opts_.registration != RegistrationMode::Open) {
        throw AccountError(403, "Registration on this server needs an invitation");
    }

    store::User u{.id = newId(),
                  .email = email,
                  .name = r.name.empty() ? email.substr(0, email.find('@')) : r.name,
                  .passwordHash = hashPassword(r.password),
                  .createdAt = isoFromMs(now())};
    u.updatedAt = u.createdAt;
    if (store_.findUserByEmail(email))
        throw AccountError(409, "An account with this email already exists");
    // The one-time token is spent before the user exists, so two uses cannot both win.
    if (setup && !store_.useToken(setup->id, u.createdAt)) throw AccountError(400, kInvalidSetup);
    if (invite && !store_.useToken(invite->id, u.createdAt)) throw AccountError(400, kInvalidInvite);
    if (!store_.insertUser(u)) throw AccountError(409, "An account with this email already exists");

    std::string orgId;
    Role role = Role::Owner;
    if (setup) {
        // The operator's link: an owner of the org it was made for (the one `voxa serve`
        // created and printed the keys of, unless `admin setup-link --org` said otherwise).
        orgId = setup->orgId;
        if (!r.orgName.empty()) {
            if (auto o = store_.getOrg(orgId)) renameOrg(*o, r.orgName);
        }
    } else if (invite) {
        orgId = invite->orgId;
        role = parseRole(invite->role).value_or(Role::Viewer);
    } else {
        orgId = auth_.createOrg(r.orgName.empty() ? u.name + "'s org" : r.orgName).org.id;
    }
    store_.upsertMembership({.orgId = orgId, .userId = u.id, .role = roleName(role),
                             .createdAt = u.createdAt});
    return openSession(u, orgId, role);
}

SetupLink Accounts::createSetupLink(const std::string& orgId) {
    if (!store_.getOrg(orgId)) throw AccountError(404, "Org not found");
    for (auto& old : store_.listTokens("setup", orgId, now())) store_.deleteToken("setup", orgId, old.id);
    SetupLink link{.orgId = orgId, .secret = randomToken(32), .expiresMs = now() + opts_.setupTtlMs};
    store_.insertToken({.id = newId(),
                        .kind = "setup",
                        .hash = sha256Hex(link.secret),
                        .orgId = orgId,
                        .role = "owner",
                        .createdAt = isoFromMs(now()),
                        .expiresMs = link.expiresMs});
    link.url = opts_.publicUrl + "/register/?setup=" + link.secret;
    return link;
}

void Accounts::renameOrg(store::Org o, const std::string& name) {
    auto body = json::parse(o.body).as_object();
    o.name = name;
    o.updatedAt = isoFromMs(now());
    body["name"] = name;
    body["updatedAt"] = o.updatedAt;
    o.body = json::serialize(body);
    store_.updateOrg(o);
}

SessionInfo Accounts::login(const std::string& rawEmail, const std::string& password,
                            const std::string& address) {
    std::string email = normalizeEmail(rawEmail);
    if (email.empty() || password.empty())
        throw AccountError(400, std::vector<std::string>{"email and password are required"});
    if (auto wait = limiter_.check(email, address, now()).refuseSeconds)
        throw AccountError(429,
                           "Too many failed sign-in attempts. Try again in " +
                               std::to_string(wait) + " seconds.",
                           wait);
    auto u = store_.findUserByEmail(email);
    // Unknown emails cost the same argon2id time as wrong passwords.
    bool ok = verifyPassword(u ? u->passwordHash : decoyHash(), password) && u;
    if (!ok) {
        limiter_.failed(email, address, now());
        throw AccountError(401, "Invalid email or password");
    }
    limiter_.succeeded(email, address);
    auto orgs = store_.listUserOrgs(u->id);
    if (orgs.empty()) throw AccountError(403, "This account is not a member of any organization");
    return openSession(*u, orgs.front().orgId, parseRole(orgs.front().role).value_or(Role::Viewer));
}

LoginLimiter::Decision Accounts::loginCheck(const std::string& email, const std::string& address) {
    return limiter_.check(normalizeEmail(email), address, now());
}

std::optional<int64_t> Accounts::throttle(const std::string& address) {
    return addressLimiter_.take(address, now());
}

std::optional<int64_t> Accounts::throttleReset(const std::string& email) {
    return resetLimiter_.take(normalizeEmail(email), now());
}

void Accounts::logout(const Principal& p) {
    store_.revokeSession(p.sessionId);
    forgetSession(p.sessionId);
}

SessionInfo Accounts::current(const Principal& p) {
    auto u = store_.getUser(p.userId);
    auto s = store_.getSession(p.sessionId);
    if (!u || !s) throw AccountError(401, "Unauthorized");
    return load(*u, *s);
}

SessionInfo Accounts::switchOrg(const Principal& p, const std::string& orgId) {
    auto m = store_.getMembership(orgId, p.userId);
    if (!m) throw AccountError(404, "Organization not found");
    auto u = store_.getUser(p.userId);
    if (!u) throw AccountError(401, "Unauthorized");
    logout(p);
    return openSession(*u, orgId, parseRole(m->role).value_or(Role::Viewer));
}

// One-time tokens ---------------------------------------------------------------------------

std::optional<store::UserToken> Accounts::liveToken(const std::string& kind,
                                                    const std::string& secret) {
    if (secret.empty() || secret.size() > 200) return std::nullopt;
    auto t = store_.findToken(kind, sha256Hex(secret));
    if (!t || !t->usedAt.empty() || t->expiresMs <= now()) return std::nullopt;
    return t;
}

std::optional<Mail> Accounts::requestReset(const std::string& rawEmail) {
    auto u = store_.findUserByEmail(normalizeEmail(rawEmail));
    if (!u) return std::nullopt;
    std::string secret = randomToken(32);
    store_.insertToken({.id = newId(),
                        .kind = "reset",
                        .hash = sha256Hex(secret),
                        .userId = u->id,
                        .email = u->email,
                        .createdAt = isoFromMs(now()),
                        .expiresMs = now() + opts_.resetTtlMs});
    std::string link = opts_.publicUrl + "/reset-password/?token=" + secret;
    return Mail{u->email, "Reset your Voxa password",
                "Someone asked to reset the password of your Voxa account.\r\n\r\n"
                "To choose a new one, open this link within " +
                    std::to_string(opts_.resetTtlMs / 60000) + " minutes:\r\n" + link +
                    "\r\n\r\nIf it was not you, ignore this mail; your password stays as it is.\r\n"};
}

void Accounts::confirmReset(const std::string& token, const std::string& password) {
    auto t = liveToken("reset", token);
    if (!t) throw AccountError(400, kInvalidReset);
    if (auto errors = passwordProblems(password, t->email); !errors.empty())
        throw AccountError(400, std::move(errors));
    std::string hash = hashPassword(password);
    if (!store_.useToken(t->id, isoFromMs(now()))) throw AccountError(400, kInvalidReset);
    store_.updateUserPassword(t->userId, hash, isoFromMs(now()));
    store_.revokeUserSessions(t->userId);
    forgetUser(t->userId);
}

// Invitations -------------------------------------------------------------------------------

Invitation Accounts::invite(const Principal& by, const std::string& rawEmail,
                            const std::string& roleText) {
    std::vector<std::string> errors;
    std::string email = normalizeEmail(rawEmail);
    if (!validEmail(email)) errors.push_back("email must be an email");
    auto role = parseRole(roleText);
    if (!role) errors.push_back("role must be one of the following values: owner, admin, member, viewer");
    if (!errors.empty()) throw AccountError(400, std::move(errors));
    if (*role == Role::Owner && by.role != Role::Owner)
        throw AccountError(403, "Only an owner can invite an owner");
    if (auto u = store_.findUserByEmail(email); u && store_.getMembership(by.orgId, u->id))
        throw AccountError(409, email + " is already a member of this organization");
    Invitation inv;
    inv.secret = randomToken(32);
    inv.token = {.id = newId(),
                 .kind = "invite",
                 .hash = sha256Hex(inv.secret),
                 .orgId = by.orgId,
                 .userId = by.isUser() ? by.userId : by.keyId,
                 .email = email,
                 .role = roleName(*role),
                 .createdAt = isoFromMs(now()),
                 .expiresMs = now() + opts_.inviteTtlMs};
    store_.insertToken(inv.token);
    if (auto o = store_.getOrg(by.orgId)) inv.orgName = o->name;
    inv.url = opts_.publicUrl + "/invite/?token=" + inv.secret;
    return inv;
}

std::vector<Invitation> Accounts::invitations(const std::string& orgId) {
    std::vector<Invitation> out;
    auto org = store_.getOrg(orgId);
    for (auto& t : store_.listTokens("invite", orgId, now()))
        out.push_back({.token = t, .orgName = org ? org->name : ""});
    return out;
}

bool Accounts::revokeInvitation(const std::string& orgId, const std::string& id) {
    return store_.deleteToken("invite", orgId, id);
}

Invitation Accounts::invitation(const std::string& token) {
    auto t = liveToken("invite", token);
    if (!t) throw AccountError(404, kInvalidInvite);
    Invitation inv{.token = *t};
    if (auto o = store_.getOrg(t->orgId)) inv.orgName = o->name;
    return inv;
}

SessionInfo Accounts::acceptInvitation(const Principal& p, const std::string& token) {
    auto t = liveToken("invite", token);
    if (!t) throw AccountError(400, kInvalidInvite);
    auto u = store_.getUser(p.userId);
    if (!u) throw AccountError(401, "Unauthorized");
    if (u->email != t->email)
        throw AccountError(403, "This invitation was sent to another email address");
    if (!store_.useToken(t->id, isoFromMs(now()))) throw AccountError(400, kInvalidInvite);
    if (!store_.getMembership(t->orgId, u->id))
        store_.upsertMembership({.orgId = t->orgId, .userId = u->id, .role = t->role,
                                 .createdAt = isoFromMs(now())});
    auto m = store_.getMembership(t->orgId, u->id);
    logout(p);
    return openSession(*u, t->orgId, parseRole(m ? m->role : "viewer").value_or(Role::Viewer));
}

// Members ------------------------------------------------------------------------------------

// Before an owner steps down or leaves: someone else must still own the org.
void Accounts::requireAnotherOwner(const std::string& orgId) {
    auto all = store_.listMembers(orgId);
    if (std::count_if(all.begin(), all.end(), [](auto& x) { return x.role == "owner"; }) < 2)
        throw AccountError(400, "An organization needs at least one owner");
}

std::vector<store::Membership> Accounts::members(const std::string& orgId) {
    return store_.listMembers(orgId);
}

store::Membership Accounts::setRole(const Principal& by, const std::string& userId,
                                    const std::string& roleText) {
    auto role = parseRole(roleText);
    if (!role)
        throw AccountError(400, std::vector<std::string>{
                                    "role must be one of the following values: owner, admin, member, viewer"});
    auto m = store_.getMembership(by.orgId, userId);
    if (!m) throw AccountError(404, "Member not found");
    bool ownerChange = m->role == "owner" || *role == Role::Owner;
    if (ownerChange && by.role != Role::Owner)
        throw AccountError(403, "Only an owner can make or change owners");
    if (m->role == "owner" && *role != Role::Owner) requireAnotherOwner(by.orgId);
    m->role = roleName(*role);
    store_.upsertMembership(*m);
    forgetUser(userId);
    return *m;
}

store::Membership Accounts::removeMember(const Principal& by, const std::string& userId) {
    auto m = store_.getMembership(by.orgId, userId);
    if (!m) throw AccountError(404, "Member not found");
    if (m->role == "owner") {
        if (by.role != Role::Owner) throw AccountError(403, "Only an owner can remove an owner");
        requireAnotherOwner(by.orgId);
    }
    store_.deleteMembership(by.orgId, userId);
    forgetUser(userId);
    return *m;
}

// Principals from session tokens --------------------------------------------------------------

// The cached principal of a verified token's session, if any.
std::optional<Principal> Accounts::cached(const json::object& claims) const {
    std::string sid = json_fields::str(claims, "sid");
    std::shared_lock lock(mu_);
    auto it = cache_.find(sid);
    if (it == cache_.end() || it->second.expires < std::chrono::steady_clock::now())
        return std::nullopt;
    return it->second.principal;
}

std::optional<Principal> Accounts::lookupCached(std::string_view jwt) const {
    auto claims = verifyJwt(jwt, key_, opts_.clock() / 1000);
    if (!claims) return std::nullopt;
    return cached(*claims);
}

std::optional<Principal> Accounts::lookup(std::string_view jwt) {
    auto claims = verifyJwt(jwt, key_, now() / 1000);
    if (!claims) return std::nullopt;
    if (auto p = cached(*claims)) return p;
    using json_fields::str;
    auto s = store_.getSession(str(*claims, "sid"));
    if (!s || s->revoked || s->expiresMs <= now() || s->userId != str(*claims, "sub") ||
        s->orgId != str(*claims, "org"))
        return std::nullopt;
    auto m = store_.getMembership(s->orgId, s->userId);
    if (!m) return std::nullopt;
    Principal p{.orgId = s->orgId,
                .kind = "session",
                .role = parseRole(m->role).value_or(Role::Viewer),
                .userId = s->userId,
                .sessionId = s->id};
    std::unique_lock lock(mu_);
    if (cache_.size() > 100000) cache_.clear();
    cache_[s->id] = Entry{p, std::chrono::steady_clock::now() + opts_.cacheTtl};
    return p;
}

void Accounts::forgetSession(const std::string& sessionId) {
    std::unique_lock lock(mu_);
    cache_.erase(sessionId);
}

void Accounts::forgetUser(const std::string& userId) {
    std::unique_lock lock(mu_);
    std::erase_if(cache_, [&](auto& kv) { return kv.second.principal.userId == userId; });
}

// Wire formats ---------------------------------------------------------------------------------

std::string Accounts::cookie(const std::string& token) const {
    std::string c = std::string(kCookieName) + "=" + token +
                    "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" +
                    std::to_string(opts_.sessionTtlMs / 1000);
    if (opts_.publicUrl.starts_with("https://")) c += "; Secure";
    return c;
}

std::string Accounts::clearCookie() const {
    return std::string(kCookieName) + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0";
}

std::string Accounts::sessionJson(const SessionInfo& s) {
    json::array orgs;
    for (auto& m : s.orgs)
        orgs.push_back(json::object{{"id", m.orgId}, {"name", m.orgName}, {"role", m.role}});
    json::object o{{"user", json::object{{"id", s.user.id},
                                         {"email", s.user.email},
                                         {"name", s.user.name},
                                         {"createdAt", s.user.createdAt}}},
                   {"org", json::object{{"id", s.session.orgId}, {"name", s.orgName}}},
                   {"role", roleName(s.role)},
                   {"orgs", std::move(orgs)},
                   {"expiresAt", isoFromMs(s.session.expiresMs)}};
    return json::serialize(o);
}

std::string Accounts::memberJson(const store::Membership& m) {
    return json::serialize(json::object{{"userId", m.userId},
                                        {"orgId", m.orgId},
                                        {"email", m.email},
                                        {"name", m.name},
                                        {"role", m.role},
                                        {"createdAt", m.createdAt}});
}

std::string Accounts::invitationJson(const Invitation& i) const {
    json::object o{{"id", i.token.id},       {"orgId", i.token.orgId},
                   {"orgName", i.orgName},   {"email", i.token.email},
                   {"role", i.token.role},   {"createdAt", i.token.createdAt},
                   {"expiresAt", isoFromMs(i.token.expiresMs)}};
    if (!i.secret.empty()) {
        o["token"] = i.secret;
        o["url"] = i.url;
    }
    return json::serialize(o);
}

}  // namespace voxa::auth
