// Auth: orgs and API keys. Keys are random UUIDs (like Vapi's); only their SHA-256 is
// stored, and a key is shown once, when it is created.
//
//   voxa::auth::Auth auth(store);
//   auto created = auth.createOrg("Acme");              // org + first private & public key
//   std::cout << created.privateKey;
//   if (auto p = auth.lookupCached(bearer)) ...        // event loop: memory only
//   auto p = auth.lookup(bearer);                       // worker thread: may hit the store
//
// A principal carries the org and the key kind ("private" | "public"). Public keys may
// only use the endpoints Vapi allows them (web calls); the API layer enforces that.
#pragma once
#include <chrono>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "auth/roles.h"
#include "store/store.h"

namespace voxa::auth {

/// Who is calling: an API key (keyId, kind) or a signed-in user (userId, sessionId).
/// A private key acts as an admin of its org; a user has the role of their membership.
struct Principal {
    std::string orgId;
    std::string keyId;
    std::string kind;  // "private" | "public" | "session"
    Role role = Role::Admin;
    std::string userId;
    std::string sessionId;
    bool isPrivate() const { return kind == "private" || kind == "session"; }
    bool isUser() const { return !userId.empty(); }
};

struct CreatedKey {
    store::ApiKey key;
    std::string secret;  // the full key; never stored
};

struct CreatedOrg {
    store::Org org;
    std::string privateKey;
    std::string publicKey;
};

class Auth {
public:
    explicit Auth(store::Store& store, std::chrono::seconds cacheTtl = std::chrono::seconds(30));

    /// Blocking (store). Creates an org with one private and one public key.
    CreatedOrg createOrg(const std::string& name);
    /// Blocking (store). Creates a key of `kind` for `orgId`.
    CreatedKey createKey(const std::string& orgId, const std::string& kind,
                         const std::string& name = "");
    /// Blocking (store). Revokes a key; it stops working at once on this node.
    bool revokeKey(const std::string& orgId, const std::string& keyId);

    /// Non-blocking: answers from the cache only (nullopt = unknown, ask lookup()).
    std::optional<Principal> lookupCached(std::string_view secret) const;
    /// Blocking (store on a cache miss). nullopt = no such key.
    std::optional<Principal> lookup(std::string_view secret);

    /// Builds the JSON the API returns for a key (no secret unless given).
    static std::string keyJson(const store::ApiKey& k, const std::string& secret = "");

private:
    struct Entry {
        Principal principal;
        std::chrono::steady_clock::time_point expires;
    };
    store::Store& store_;
    std::chrono::seconds ttl_;
    mutable std::shared_mutex mu_;
    std::unordered_map<std::string, Entry> cache_;  // sha256(secret) -> principal
};

/// "Bearer abc" -> "abc"; empty if the header is not a bearer token.
std::string_view bearerToken(std::string_view authorizationHeader);

}  // namespace voxa::auth
