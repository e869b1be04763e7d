// Secrets at rest: a Store that seals every secret field (common/secret_fields.h) of what it
// writes and opens what it reads, so the database only ever holds ciphertext for them.
//
//   auto keys = std::make_shared<store::Keys>(secrets::KeyRing::parse(flag));    // or a key file
//   store::checkKey(*raw, *keys->ring());        // a wrong master key: KeyMismatch, readable
//   auto st = std::make_unique<store::SealedStore>(std::move(raw), keys);
//   if (!store::sealedUnder(st->raw(), *keys->ring())) {   // plaintext rows, or a new key
//       store::resealAll(st->raw(), *keys);
//       store::markSealed(st->raw(), *keys->ring());
//   }
//
// What is sealed: in resources (every kind: credentials, assistants, squads, phone numbers,
// tools, calls, leases...), orgs and the webhook outbox (targets and bodies), each field
// isSecretField / isSecretContainer / isGrantingUrl names, at any depth, as one value
// `enc:v1:<key id>:...` (common/secret_box.h) holding its JSON; server secrets
// (server_secrets.value) whole. The AAD is the row and the field ("resources/credential/<id>/apiKey"),
// so a value moved elsewhere does not open. Rows without secrets are stored byte for byte.
//
// Reads open the values on the calling thread, which is a database worker (store/store.h:
// every Store call is), never an event loop; a value that does not open is a StoreError,
// never ciphertext handed on. Plaintext values (rows from before) are read as they are
// until resealAll has sealed them.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "common/secret_box.h"
#include "store/store.h"

namespace voxa::store {

/// The master keys: fixed (flag, environment) or a key file that is read again when it
/// changes (checked at most once a second, and at once when a value names a key id the
/// ring does not have), so a running server learns the key `voxa admin rotate-secret-key`
/// adds. Thread-safe.
class Keys {
public:
    explicit Keys(secrets::KeyRing fixed);
    /// Reads `path` now (throws std::invalid_argument / std::runtime_error if it cannot).
    explicit Keys(std::string path);

    std::shared_ptr<const secrets::KeyRing> ring();
    /// Reads the key file again now (fixed keys: the same ring).
    std::shared_ptr<const secrets::KeyRing> reload();
    const std::string& path() const { return path_; }

private:
    std::mutex mu_;
    std::string path_;
    std::shared_ptr<const secrets::KeyRing> ring_;
    std::chrono::steady_clock::time_point checked_{};
    int64_t stamp_ = 0;  // the file's mtime (ns) and size, when last read
};

/// Reads a key file (KeyRing::parse's format).
secrets::KeyRing readKeyFile(const std::string& path);
/// Writes a key file atomically (a temporary file, mode 0600, renamed over `path`).
void writeKeyFile(const std::string& path, const secrets::KeyRing& ring);

/// The AAD context of a stored text ("resources/<kind>/<id>/body", "orgs/<id>/body", ...).
std::string storedTextContext(const StoredText& t);

/// Seals a stored text for writing: every secret field of a JSON text (server_secrets:
/// the whole value) under ring.current(). `fresh`: the text comes from the application, so
/// every value is plaintext (even one that looks sealed); otherwise (re-encryption) values
/// sealed under the current key are kept and others re-sealed. Returns the text unchanged
/// when there is nothing to seal.
std::string sealStoredText(const secrets::KeyRing& ring, const StoredText& t, bool fresh);
/// Opens every sealed value of a stored text. Throws secrets::SealError.
std::string openStoredText(const secrets::KeyRing& ring, const StoredText& t);

/// The database was created under another master key (or this server has none of its keys).
struct KeyMismatch : StoreError {
    using StoreError::StoreError;
};

/// Compares the keys with the check value the database keeps (server_secrets), written
/// under the key that sealed it last. Throws KeyMismatch with a readable message if no key
/// of `ring` opens it. Returns false when there is none yet (a database never sealed).
bool checkKey(Store& raw, const secrets::KeyRing& ring);
/// The key id the database's check value is under ("" when there is none).
std::string databaseKeyId(Store& raw);
/// Whether a complete resealAll under ring.current() is recorded.
bool sealedUnder(Store& raw, const secrets::KeyRing& ring);
/// Records a complete resealAll under ring.current(): the check value and its key id.
void markSealed(Store& raw, const secrets::KeyRing& ring);

struct ResealReport {
    int64_t rows = 0;      // stored texts read
    int64_t resealed = 0;  // written back (plaintext sealed, or another key's values re-sealed)
    int passes = 0;
};
/// Reads every stored text and writes back, row by row (compare-and-swap, nothing else of
/// the row changes), those with plaintext secrets or values under another key than the
/// current one. Repeats while rows changed under it. Throws secrets::SealError (naming the
/// key id) if a value opens under no key of the ring.
ResealReport resealAll(Store& raw, Keys& keys);

class SealedStore final : public Store {
public:
    SealedStore(std::unique_ptr<Store> inner, std::shared_ptr<Keys> keys);
    /// The database as stored (for re-encryption and the key check).
    Store& raw() { return *inner_; }
    Keys& keys() { return *keys_; }

    void migrate() override { inner_->migrate(); }
    bool ping() override { return inner_->ping(); }
    void dropOldVersions() override { inner_->dropOldVersions(); }
    std::string dialect() const override { return inner_->dialect(); }

    void insertResource(const Resource& r) override;
    void insertResources(const std::vector<Resource>& rows) override;
    std::optional<Resource> getResource(const std::string& kind, const std::string& orgId,
                                        const std::string& id) override;
    std::optional<Resource> getResourceAnyOrg(const std::string& kind, const std::string& id) override;
    std::vector<Resource> listResources(const std::string& kind, const std::string& orgId,
                                        const ListQuery& q) override;
    int64_t countResources(const std::string& kind, const std::string& orgId, const ListQuery& q) override {
        return inner_->countResources(kind, orgId, q);
    }
    std::vector<Resource> findByAttr(const std::string& kind, int attr, const std::string& value) override;
    bool updateResource(const Resource& r) override;
    bool deleteResource(const std::string& kind, const std::string& orgId, const std::string& id) override {
        return inner_->deleteResource(kind, orgId, id);
    }
    int64_t deleteResourcesBefore(const std::string& kind, const std::string& createdBefore) override {
        return inner_->deleteResourcesBefore(kind, createdBefore);
    }

    void insertOrg(const Org& o) override;
    std::optional<Org> getOrg(const std::string& id) override;
    std::vector<Org> listOrgs() override;
    bool updateOrg(const Org& o) override;

    void insertKey(const ApiKey& k) override { inner_->insertKey(k); }
    std::optional<ApiKey> findKeyByHash(const std::string& hash) override { return inner_->findKeyByHash(hash); }
    std::optional<ApiKey> getKey(const std::string& orgId, const std::string& id) override {
        return inner_->getKey(orgId, id);
    }
    std::vector<ApiKey> listKeys(const std::string& orgId) override { return inner_->listKeys(orgId); }
    bool deleteKey(const std::string& orgId, const std::string& id) override { return inner_->deleteKey(orgId, id); }

    bool insertUser(const User& u) override { return inner_->insertUser(u); }
    std::optional<User> getUser(const std::string& id) override { return inner_->getUser(id); }
    std::optional<User> findUserByEmail(const std::string& email) override { return inner_->findUserByEmail(email); }
    bool updateUserPassword(const std::string& id, const std::string& hash, const std::string& updatedAt) override {
        return inner_->updateUserPassword(id, hash, updatedAt);
    }
    void upsertMembership(const Membership& m) override { inner_->upsertMembership(m); }
    std::optional<Membership> getMembership(const std::string& orgId, const std::string& userId) override {
        return inner_->getMembership(orgId, userId);
    }
    std::vector<Membership> listMembers(const std::string& orgId) override { return inner_->listMembers(orgId); }
    std::vector<Membership> listUserOrgs(const std::string& userId) override { return inner_->listUserOrgs(userId); }
    bool deleteMembership(const std::string& orgId, const std::string& userId) override {
        return inner_->deleteMembership(orgId, userId);
    }
    void insertSession(const Session& s) override { inner_->insertSession(s); }
    std::optional<Session> getSession(const std::string& id) override { return inner_->getSession(id); }
    bool revokeSession(const std::string& id) override { return inner_->revokeSession(id); }
    int64_t revokeUserSessions(const std::string& userId) override { return inner_->revokeUserSessions(userId); }
    void insertToken(const UserToken& t) override { inner_->insertToken(t); }
    std::optional<UserToken> findToken(const std::string& kind, const std::string& hash) override {
        return inner_->findToken(kind, hash);
    }
    bool useToken(const std::string& id, const std::string& usedAt) override { return inner_->useToken(id, usedAt); }
    std::vector<UserToken> listTokens(const std::string& kind, const std::string& orgId, int64_t nowMs) override {
        return inner_->listTokens(kind, orgId, nowMs);
    }
    bool deleteToken(const std::string& kind, const std::string& orgId, const std::string& id) override {
        return inner_->deleteToken(kind, orgId, id);
    }

    std::string getOrCreateSecret(const std::string& name, const std::string& value) override;
    std::optional<std::string> getSecret(const std::string& name) override;

    std::vector<StoredText> scanStoredTexts(const std::string& table, const std::string& column,
                                            const std::string& afterKind, const std::string& afterId,
                                            int limit) override {
        return inner_->scanStoredTexts(table, column, afterKind, afterId, limit);
    }
    bool replaceStoredText(const StoredText& before, const std::string& text) override {
        return inner_->replaceStoredText(before, text);
    }

    void insertEvents(const std::vector<OutboxEvent>& events) override;
    std::vector<OutboxEvent> dueEvents(int64_t nowMs, int limit) override;
    bool claimEvent(const std::string& id, int64_t nowMs, int64_t untilMs) override {
        return inner_->claimEvent(id, nowMs, untilMs);
    }
    void updateEvent(const OutboxEvent& e) override { inner_->updateEvent(e); }
    std::optional<OutboxEvent> getEvent(const std::string& id) override;
    std::vector<OutboxEvent> listEvents(const std::string& orgId, const std::string& orderKey,
                                        const std::string& status, int limit) override;
    void releaseClaims() override { inner_->releaseClaims(); }
    int64_t pruneEvents(const std::string& updatedBefore) override { return inner_->pruneEvents(updatedBefore); }

private:
    std::string seal(const StoredText& t);
    std::string open(const StoredText& t);
    Resource sealed(Resource r);
    Resource opened(Resource r);
    OutboxEvent sealed(OutboxEvent e);
    OutboxEvent opened(OutboxEvent e);

    std::unique_ptr<Store> inner_;
    std::shared_ptr<Keys> keys_;
};

}  // namespace voxa::store
