#include "auth/auth.h"

#include <boost/json.hpp>
#include <openssl/rand.h>

#include "common/crypto.h"
#include "common/ids.h"
#include "common/time.h"

namespace voxa::auth {

namespace json = boost::json;

namespace {

// A random (v4) UUID: the shape Vapi's keys have, 122 random bits.
std::string randomUuid() {
    unsigned char b[16];
    RAND_bytes(b, sizeof b);
    b[6] = static_cast<unsigned char>(0x40 | (b[6] & 0x0f));
    b[8] = static_cast<unsigned char>(0x80 | (b[8] & 0x3f));
    std::string hex = toHex(std::string_view(reinterpret_cast<char*>(b), sizeof b));
    return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
           hex.substr(16, 4) + "-" + hex.substr(20);
}

}  // namespace

std::string_view bearerToken(std::string_view h) {
    while (!h.empty() && h.front() == ' ') h.remove_prefix(1);
    if (h.size() < 7) return {};
    std::string_view scheme = h.substr(0, 7);
    if (scheme != "Bearer " && scheme != "bearer " && scheme != "BEARER ") return {};
    h.remove_prefix(7);
    while (!h.empty() && h.front() == ' ') h.remove_prefix(1);
    while (!h.empty() && h.back() == ' ') h.remove_suffix(1);
    return h;
}

Auth::Auth(store::Store& store, std::chrono::seconds cacheTtl) : store_(store), ttl_(cacheTtl) {}

CreatedKey Auth::createKey(const std::string& orgId, const std::string& kind,
                           const std::string& name) {
    CreatedKey out;
    out.secret = randomUuid();
    auto& k = out.key;
    k.id = newId();
    k.orgId = orgId;
    k.kind = kind;
    k.name = name;
    k.hash = sha256Hex(out.secret);
    k.prefix = out.secret.substr(0, 8);
    k.createdAt = isoNow();
    k.body = "{}";
    store_.insertKey(k);
    return out;
}

CreatedOrg Auth::createOrg(const std::string& name) {
    CreatedOrg out;
    auto& o = out.org;
    o.id = newId();
    o.name = name;
    o.createdAt = o.updatedAt = isoNow();
    json::object body{{"id", o.id},          {"name", name}, {"createdAt", o.createdAt},
                      {"updatedAt", o.updatedAt}, {"concurrencyLimit", 10}};
    o.body = json::serialize(body);
    store_.insertOrg(o);
    out.privateKey = createKey(o.id, "private", "Default private key").secret;
    out.publicKey = createKey(o.id, "public", "Default public key").secret;
    return out;
}

bool Auth::revokeKey(const std::string& orgId, const std::string& keyId) {
    auto k = store_.getKey(orgId, keyId);
    if (!k) return false;
    bool ok = store_.deleteKey(orgId, keyId);
    std::unique_lock lock(mu_);
    cache_.erase(k->hash);
    return ok;
}

std::optional<Principal> Auth::lookupCached(std::string_view secret) const {
    if (secret.empty() || secret.size() > 512) return std::nullopt;
    std::string hash = sha256Hex(secret);
    std::shared_lock lock(mu_);
    auto it = cache_.find(hash);
    if (it == cache_.end() || it->second.expires < std::chrono::steady_clock::now())
        return std::nullopt;
    return it->second.principal;
}

std::optional<Principal> Auth::lookup(std::string_view secret) {
    if (secret.empty() || secret.size() > 512) return std::nullopt;
    if (auto p = lookupCached(secret)) return p;
    std::string hash = sha256Hex(secret);
    auto k = store_.findKeyByHash(hash);
    if (!k) return std::nullopt;
    Principal p{k->orgId, k->id, k->kind, k->kind == "private" ? Role::Admin : Role::Member};
    std::unique_lock lock(mu_);
    if (cache_.size() > 100000) cache_.clear();  // bound memory under key churn
    cache_[hash] = Entry{p, std::chrono::steady_clock::now() + ttl_};
    return p;
}

std::string Auth::keyJson(const store::ApiKey& k, const std::string& secret) {
    json::object o{{"id", k.id},         {"orgId", k.orgId},  {"tag", k.kind},
                   {"name", k.name},     {"createdAt", k.createdAt},
                   {"updatedAt", k.createdAt}, {"prefix", k.prefix}};
    if (!secret.empty()) o["value"] = secret;
    return json::serialize(o);
}

}  // namespace voxa::auth
