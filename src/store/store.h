// Store: the repository layer. One interface, two real backends (SQLite, PostgreSQL).
//
//   auto store = voxa::store::open({.databaseUrl = "", .dataDir = "/var/lib/voxa"});  // SQLite
//   auto store = voxa::store::open({.databaseUrl = "postgresql://u@127.0.0.1:5432/voxa"});
//   store->migrate();                                   // versioned, idempotent, at start-up
//   store->insertResource({.id = id, .orgId = org, .kind = "assistant", ...});
//   auto row = store->getResource("assistant", org, id);
//
// Every method is synchronous and may block: call it from the database worker pool
// (see common/offload.h), never from an event-loop thread. Implementations are
// thread-safe; each worker thread uses its own connection.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace voxa::store {

/// A stored API resource (assistant, tool, squad, phone-number, file, credential, ...).
/// `body` is the complete JSON object as served by the API (it already contains id,
/// orgId, createdAt, updatedAt). Timestamps are ISO-8601 UTC with milliseconds
/// ("2026-11-24T03:57:58.123Z"), so they order and compare as strings.
struct Resource {
    std::string id;
    std::string orgId;
    std::string kind;
    std::string createdAt;
    std::string updatedAt;
    std::string body;
    /// Up to three indexed attributes a resource kind may fill for filtering/lookup
    /// (e.g. file: a1 = purpose; phone-number: a1 = number, a2 = sip user part;
    /// call: a1 = assistantId, a2 = phoneNumberId, a3 = status). Empty = NULL.
    std::string a1, a2, a3;
};

/// Filters for listing resources. All are optional; string bounds compare against
/// the ISO timestamps.
struct ListQuery {
    int limit = 100;
    int offset = 0;
    bool ascending = false;  // default: newest first (created_at DESC, id DESC)
    std::optional<std::string> createdAtGt, createdAtLt, createdAtGe, createdAtLe;
    std::optional<std::string> updatedAtGt, updatedAtLt, updatedAtGe, updatedAtLe;
    std::optional<std::string> a1, a2, a3;  // equality on the indexed attributes
    std::vector<std::string> idAny;         // non-empty: id IN (...)
    std::optional<std::string> search;      // case-insensitive substring of body
};

struct Org {
    std::string id;
    std::string name;
    std::string createdAt;
    std::string updatedAt;
    std::string body;  // full JSON object (server, concurrencyLimit, ...)
};

/// An API key. Only the SHA-256 of the secret is stored; `prefix` is for display.
struct ApiKey {
    std::string id;
    std::string orgId;
    std::string kind;  // "private" | "public"
    std::string name;
    std::string hash;  // hex SHA-256 of the full key
    std::string prefix;
    std::string createdAt;
    std::string body;  // JSON: restrictions etc.
};

/// A person who signs in to the dashboard. `email` is stored lower-case and is unique.
struct User {
    std::string id;
    std::string email;
    std::string name;
    std::string passwordHash;  // argon2id, libsodium's crypto_pwhash_str format
    std::string createdAt, updatedAt;
};

/// A user's role in an org ("owner" | "admin" | "member" | "viewer"), with the names of
/// both sides filled in by the list queries.
struct Membership {
    std::string orgId;
    std::string userId;
    std::string role;
    std::string createdAt;
    std::string email, name, orgName;
};

/// A signed-in session; its id travels in the session JWT.
struct Session {
    std::string id;
    std::string userId;
    std::string orgId;
    std::string createdAt;
    int64_t expiresMs = 0;
    bool revoked = false;
};

/// A one-time token: kind "invite" (org, email, role) or "reset" (user). Only its SHA-256
/// is stored.
struct UserToken {
    std::string id;
    std::string kind;
    std::string hash;
    std::string orgId;
    std::string userId;  // reset: the user; invite: who invited
    std::string email;
    std::string role;
    std::string createdAt;
    int64_t expiresMs = 0;
    std::string usedAt;  // empty = not used
};

/// A server message waiting in the webhook outbox (see webhooks/webhooks.h). Events with
/// the same orderKey are handed out one at a time, lowest seq first.
struct OutboxEvent {
    std::string id;        // X-Voxa-Event-Id, stable across retries
    std::string orgId;
    std::string orderKey;  // the call id (or the event id when there is no call)
    int64_t seq = 0;       // increasing per orderKey
    std::string type;      // message.type
    std::string target;    // JSON: where and how to deliver (url, headers, signing, backoff)
    std::string body;      // the request body, exactly as it is sent
    std::string status = "pending";  // pending | delivered | failed
    int attempts = 0;
    int64_t nextAttemptMs = 0;  // epoch ms
    int64_t expiresMs = 0;
    std::string createdAt, updatedAt;
    int lastStatus = 0;  // HTTP status of the last attempt, 0 = none / no response
    std::string lastError;
};

/// One stored text column of one row that may hold sealed secrets (store/sealed_store.h),
/// as the database has it: what re-encryption (key rotation, the start-up migration of
/// plaintext rows) reads and writes back. `table`/`column` are one of storedTextColumns();
/// `kind` is the resource kind (resources only), `id` the row's key (server_secrets: name).
struct StoredText {
    std::string table;
    std::string column;
    std::string kind;
    std::string id;
    std::string text;
};

/// Every {table, column} that may hold sealed secrets: resources.body, orgs.body,
/// webhook_outbox.target and .body, server_secrets.value.
const std::vector<std::pair<std::string, std::string>>& storedTextColumns();

/// Thrown for storage failures (connection lost, constraint violated, ...).
struct StoreError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class Store {
public:
    virtual ~Store() = default;

    /// Applies missing migrations in order; refuses to start if an applied
    /// migration's checksum changed. Safe to call from several processes at once.
    virtual void migrate() = 0;
    /// Cheap round trip to the database (readiness probe).
    virtual bool ping() = 0;
    /// "sqlite" or "postgres".
    virtual std::string dialect() const = 0;

    // Resources -----------------------------------------------------------------
    virtual void insertResource(const Resource& r) = 0;
    /// Inserts many rows atomically (one transaction, a statement per few hundred rows).
    virtual void insertResources(const std::vector<Resource>& rows) = 0;
    virtual std::optional<Resource> getResource(const std::string& kind, const std::string& orgId,
                                                const std::string& id) = 0;
    /// Looks a resource up by id in any org (for routing, e.g. a call's WebSocket).
    virtual std::optional<Resource> getResourceAnyOrg(const std::string& kind,
                                                      const std::string& id) = 0;
    virtual std::vector<Resource> listResources(const std::string& kind, const std::string& orgId,
                                                const ListQuery& q) = 0;
    virtual int64_t countResources(const std::string& kind, const std::string& orgId,
                                   const ListQuery& q) = 0;
    /// Finds resources of `kind` in any org whose attribute a<N> equals `value`.
    virtual std::vector<Resource> findByAttr(const std::string& kind, int attr,
                                             const std::string& value) = 0;
    /// Replaces body, updatedAt and a1..a3. Returns false if the row does not exist.
    virtual bool updateResource(const Resource& r) = 0;
    /// Returns false if the row does not exist.
    virtual bool deleteResource(const std::string& kind, const std::string& orgId,
                                const std::string& id) = 0;
    /// Deletes every resource of `kind` (all orgs) created before `createdBefore` (ISO);
    /// returns how many (retention of logs).
    virtual int64_t deleteResourcesBefore(const std::string& kind, const std::string& createdBefore) = 0;

    // Orgs and keys --------------------------------------------------------------
    virtual void insertOrg(const Org& o) = 0;
    virtual std::optional<Org> getOrg(const std::string& id) = 0;
    virtual std::vector<Org> listOrgs() = 0;
    virtual bool updateOrg(const Org& o) = 0;

    virtual void insertKey(const ApiKey& k) = 0;
    virtual std::optional<ApiKey> findKeyByHash(const std::string& hash) = 0;
    virtual std::optional<ApiKey> getKey(const std::string& orgId, const std::string& id) = 0;
    virtual std::vector<ApiKey> listKeys(const std::string& orgId) = 0;
    virtual bool deleteKey(const std::string& orgId, const std::string& id) = 0;

    // Users, memberships, sessions, one-time tokens ------------------------------------
    /// False if the email is taken.
    virtual bool insertUser(const User& u) = 0;
    virtual std::optional<User> getUser(const std::string& id) = 0;
    virtual std::optional<User> findUserByEmail(const std::string& email) = 0;
    virtual bool updateUserPassword(const std::string& id, const std::string& hash,
                                    const std::string& updatedAt) = 0;

    /// Inserts or changes the role.
    virtual void upsertMembership(const Membership& m) = 0;
    virtual std::optional<Membership> getMembership(const std::string& orgId,
                                                    const std::string& userId) = 0;
    virtual std::vector<Membership> listMembers(const std::string& orgId) = 0;
    virtual std::vector<Membership> listUserOrgs(const std::string& userId) = 0;
    virtual bool deleteMembership(const std::string& orgId, const std::string& userId) = 0;

    virtual void insertSession(const Session& s) = 0;
    virtual std::optional<Session> getSession(const std::string& id) = 0;
    virtual bool revokeSession(const std::string& id) = 0;
    /// Revokes every session of the user; returns how many.
    virtual int64_t revokeUserSessions(const std::string& userId) = 0;

    virtual void insertToken(const UserToken& t) = 0;
    virtual std::optional<UserToken> findToken(const std::string& kind, const std::string& hash) = 0;
    /// Marks a token used; false if it was used already (one use only, even under races).
    virtual bool useToken(const std::string& id, const std::string& usedAt) = 0;
    /// Unused, unexpired tokens of `kind` in an org, newest first.
    virtual std::vector<UserToken> listTokens(const std::string& kind, const std::string& orgId,
                                              int64_t nowMs) = 0;
    virtual bool deleteToken(const std::string& kind, const std::string& orgId,
                             const std::string& id) = 0;

    /// The stored value of a server secret; stores `value` first if there is none, so every
    /// node ends up with the same one.
    virtual std::string getOrCreateSecret(const std::string& name, const std::string& value) = 0;
    /// The stored value of a server secret, if there is one.
    virtual std::optional<std::string> getSecret(const std::string& name) = 0;

    // Raw stored texts, for re-encryption -----------------------------------------------
    /// Up to `limit` rows of `table`.`column` after (afterKind, afterId) in key order; start
    /// with empty strings. Read as stored: never decrypted.
    virtual std::vector<StoredText> scanStoredTexts(const std::string& table, const std::string& column,
                                                    const std::string& afterKind,
                                                    const std::string& afterId, int limit) = 0;
    /// Writes `text` where `before` was read, only if the row still holds `before.text`
    /// (a concurrent change wins; its writer sealed it already). Touches nothing else
    /// (updatedAt stays). False if the row changed or is gone.
    virtual bool replaceStoredText(const StoredText& before, const std::string& text) = 0;
    /// After rewriting stored texts: leaves no older version of them in the database's own
    /// files where the backend can (SQLite: secure_delete is on, the WAL is checkpointed and
    /// truncated). PostgreSQL keeps old row versions until VACUUM reuses their space.
    virtual void dropOldVersions() {}

    // Webhook outbox -----------------------------------------------------------------
    /// Stores events atomically (one transaction, a statement per few hundred rows) and
    /// idempotently: an event whose id is stored already is left as it is, so a batch whose
    /// outcome was unknown (a connection lost during COMMIT) can simply be stored again.
    virtual void insertEvents(const std::vector<OutboxEvent>& events) = 0;
    /// Pending events that are due at `nowMs`, not claimed, and first in line for their
    /// orderKey; oldest first.
    virtual std::vector<OutboxEvent> dueEvents(int64_t nowMs, int limit) = 0;
    /// Takes an event for delivery until `untilMs` (a lease). False if another worker has it.
    virtual bool claimEvent(const std::string& id, int64_t nowMs, int64_t untilMs) = 0;
    /// Records an attempt's outcome: status, attempts, nextAttemptMs, lastStatus, lastError,
    /// updatedAt; releases the claim.
    virtual void updateEvent(const OutboxEvent& e) = 0;
    virtual std::optional<OutboxEvent> getEvent(const std::string& id) = 0;
    /// Events of one org, filtered by orderKey (empty = all) and status (empty = all),
    /// ordered by seq.
    virtual std::vector<OutboxEvent> listEvents(const std::string& orgId,
                                                const std::string& orderKey,
                                                const std::string& status, int limit) = 0;
    /// Releases every claim (a single-node restart: no other worker can hold one).
    virtual void releaseClaims() = 0;
    /// Deletes delivered and failed events last updated before `updatedBefore` (ISO).
    virtual int64_t pruneEvents(const std::string& updatedBefore) = 0;
};

struct Options {
    /// "postgres://..." or "postgresql://..." selects PostgreSQL; empty selects SQLite.
    std::string databaseUrl;
    /// SQLite file lives at <dataDir>/voxa.db. ":memory:" as dataDir = in-memory (tests).
    std::string dataDir = "./data";
};

/// Opens the backend chosen by `opts`. Throws StoreError if it cannot connect.
std::unique_ptr<Store> open(const Options& opts);

}  // namespace voxa::store
