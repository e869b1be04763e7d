#include "store/sql_store.h"

#include <algorithm>

namespace voxa::store {
namespace {

const std::string kSelectResource = "SELECT " + std::string(kResourceColumns) + " FROM resources";
const std::string kOrgColumns = "id, name, created_at, updated_at, body";
const std::string kKeyColumns = "id, org_id, kind, name, hash, prefix, created_at, body";
constexpr const char* kNewestFirst = " ORDER BY created_at DESC, id DESC";

template <class T>
std::optional<T> first(std::vector<T> rows) {
    if (rows.empty()) return std::nullopt;
    return std::move(rows.front());
}

}  // namespace

std::vector<Resource> SqlStore::queryResources(const std::string& sql, const SqlParams& params) {
    std::vector<Resource> out;
    query(sql, params, [&](const SqlRow& row) {
        out.push_back(Resource{.id = row.text(0),
                               .orgId = row.text(1),
                               .kind = row.text(2),
                               .createdAt = row.text(3),
                               .updatedAt = row.text(4),
                               .body = row.text(5),
                               .a1 = row.text(6),
                               .a2 = row.text(7),
                               .a3 = row.text(8)});
    });
    return out;
}

std::vector<Org> SqlStore::queryOrgs(const std::string& sql, const SqlParams& params) {
    std::vector<Org> out;
    query(sql, params, [&](const SqlRow& row) {
        out.push_back(Org{.id = row.text(0),
                          .name = row.text(1),
                          .createdAt = row.text(2),
                          .updatedAt = row.text(3),
                          .body = row.text(4)});
    });
    return out;
}

std::vector<ApiKey> SqlStore::queryKeys(const std::string& sql, const SqlParams& params) {
    std::vector<ApiKey> out;
    query(sql, params, [&](const SqlRow& row) {
        out.push_back(ApiKey{.id = row.text(0),
                             .orgId = row.text(1),
                             .kind = row.text(2),
                             .name = row.text(3),
                             .hash = row.text(4),
                             .prefix = row.text(5),
                             .createdAt = row.text(6),
                             .body = row.text(7)});
    });
    return out;
}

// Resources ---------------------------------------------------------------------------

void SqlStore::insertResource(const Resource& r) {
    change("INSERT INTO resources (" + std::string(kResourceColumns) +
               ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
           {r.id, r.orgId, r.kind, r.createdAt, r.updatedAt, r.body, textOrNull(r.a1),
            textOrNull(r.a2), textOrNull(r.a3)});
}

void SqlStore::insertResources(const std::vector<Resource>& rows) {
    constexpr size_t kChunk = 200;
    std::vector<SqlStatement> statements;
    for (size_t start = 0; start < rows.size(); start += kChunk) {
        size_t end = std::min(rows.size(), start + kChunk);
        SqlStatement st{"INSERT INTO resources (" + std::string(kResourceColumns) + ") VALUES ", {}};
        st.params.reserve((end - start) * 9);
        for (size_t i = start; i < end; ++i) {
            auto& r = rows[i];
            st.sql += i > start ? ", (?, ?, ?, ?, ?, ?, ?, ?, ?)" : "(?, ?, ?, ?, ?, ?, ?, ?, ?)";
            st.params.insert(st.params.end(),
                             {r.id, r.orgId, r.kind, r.createdAt, r.updatedAt, r.body,
                              textOrNull(r.a1), textOrNull(r.a2), textOrNull(r.a3)});
        }
        statements.push_back(std::move(st));
    }
    if (statements.size() == 1) change(statements[0].sql, statements[0].params);
    else if (!statements.empty()) changeAtomically(statements);
}

std::optional<Resource> SqlStore::getResource(const std::string& kind, const std::string& orgId,
                                              const std::string& id) {
    return first(queryResources(kSelectResource + " WHERE kind = ? AND org_id = ? AND id = ?",
                                {kind, orgId, id}));
}

std::optional<Resource> SqlStore::getResourceAnyOrg(const std::string& kind,
                                                    const std::string& id) {
    return first(queryResources(kSelectResource + " WHERE kind = ? AND id = ?", {kind, id}));
}

std::vector<Resource> SqlStore::listResources(const std::string& kind, const std::string& orgId,
                                              const ListQuery& q) {
    SqlQuery sq = buildListQuery(sqlDialect(), kind, orgId, q);
    return queryResources(sq.sql, sq.params);
}

int64_t SqlStore::countResources(const std::string& kind, const std::string& orgId,
                                 const ListQuery& q) {
    SqlQuery sq = buildCountQuery(sqlDialect(), kind, orgId, q);
    int64_t n = 0;
    query(sq.sql, sq.params, [&](const SqlRow& row) { n = std::stoll(row.text(0)); });
    return n;
}

std::vector<Resource> SqlStore::findByAttr(const std::string& kind, int attr,
                                           const std::string& value) {
    if (attr < 1 || attr > 3)
        throw StoreError("findByAttr: attribute must be 1, 2 or 3, got " + std::to_string(attr));
    std::string column = "a" + std::to_string(attr);
    return queryResources(kSelectResource + " WHERE kind = ? AND " + column + " = ?" +
                              kNewestFirst,
                          {kind, value});
}

bool SqlStore::updateResource(const Resource& r) {
    return change("UPDATE resources SET body = ?, updated_at = ?, a1 = ?, a2 = ?, a3 = ?"
                  " WHERE kind = ? AND org_id = ? AND id = ?",
                  {r.body, r.updatedAt, textOrNull(r.a1), textOrNull(r.a2), textOrNull(r.a3),
                   r.kind, r.orgId, r.id},
                  Replay::Safe) > 0;
}

bool SqlStore::deleteResource(const std::string& kind, const std::string& orgId,
                              const std::string& id) {
    return change("DELETE FROM resources WHERE kind = ? AND org_id = ? AND id = ?",
                  {kind, orgId, id}) > 0;
}

int64_t SqlStore::deleteResourcesBefore(const std::string& kind, const std::string& createdBefore) {
    return change("DELETE FROM resources WHERE kind = ? AND created_at < ?", {kind, createdBefore},
                  Replay::Safe);
}

// Orgs --------------------------------------------------------------------------------

void SqlStore::insertOrg(const Org& o) {
    change("INSERT INTO orgs (" + kOrgColumns + ") VALUES (?, ?, ?, ?, ?)",
           {o.id, o.name, o.createdAt, o.updatedAt, o.body});
}

std::optional<Org> SqlStore::getOrg(const std::string& id) {
    return first(queryOrgs("SELECT " + kOrgColumns + " FROM orgs WHERE id = ?", {id}));
}

std::vector<Org> SqlStore::listOrgs() {
    return queryOrgs("SELECT " + kOrgColumns + " FROM orgs" + kNewestFirst, {});
}

bool SqlStore::updateOrg(const Org& o) {
    return change("UPDATE orgs SET name = ?, updated_at = ?, body = ? WHERE id = ?",
                  {o.name, o.updatedAt, o.body, o.id}, Replay::Safe) > 0;
}

// API keys ----------------------------------------------------------------------------

void SqlStore::insertKey(const ApiKey& k) {
    change("INSERT INTO api_keys (" + kKeyColumns + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
           {k.id, k.orgId, k.kind, k.name, k.hash, k.prefix, k.createdAt, k.body});
}

std::optional<ApiKey> SqlStore::findKeyByHash(const std::string& hash) {
    return first(queryKeys("SELECT " + kKeyColumns + " FROM api_keys WHERE hash = ?", {hash}));
}

std::optional<ApiKey> SqlStore::getKey(const std::string& orgId, const std::string& id) {
    return first(queryKeys("SELECT " + kKeyColumns + " FROM api_keys WHERE org_id = ? AND id = ?",
                           {orgId, id}));
}

std::vector<ApiKey> SqlStore::listKeys(const std::string& orgId) {
    return queryKeys("SELECT " + kKeyColumns + " FROM api_keys WHERE org_id = ?" + kNewestFirst,
                     {orgId});
}

bool SqlStore::deleteKey(const std::string& orgId, const std::string& id) {
    return change("DELETE FROM api_keys WHERE org_id = ? AND id = ?", {orgId, id}) > 0;
}

// Users, memberships, sessions, one-time tokens -----------------------------------------

namespace {
const std::string kUserColumns = "id, email, name, password_hash, created_at, updated_at";
const std::string kMemberSelect =
    "SELECT m.org_id, m.user_id, m.role, m.created_at, u.email, u.name, o.name"
    " FROM memberships m JOIN users u ON u.id = m.user_id JOIN orgs o ON o.id = m.org_id";
const std::string kTokenColumns =
    "id, kind, hash, org_id, user_id, email, role, created_at, expires_at, used_at";
}  // namespace

std::vector<User> SqlStore::queryUsers(const std::string& sql, const SqlParams& params) {
    std::vector<User> out;
    query(sql, params, [&](const SqlRow& row) {
        out.push_back(User{.id = row.text(0),
                           .email = row.text(1),
                           .name = row.text(2),
                           .passwordHash = row.text(3),
                           .createdAt = row.text(4),
                           .updatedAt = row.text(5)});
    });
    return out;
}

std::vector<Membership> SqlStore::queryMembers(const std::string& sql, const SqlParams& params) {
    std::vector<Membership> out;
    query(sql, params, [&](const SqlRow& row) {
        out.push_back(Membership{.orgId = row.text(0),
                                 .userId = row.text(1),
                                 .role = row.text(2),
                                 .createdAt = row.text(3),
                                 .email = row.text(4),
                                 .name = row.text(5),
                                 .orgName = row.text(6)});
    });
    return out;
}

std::vector<UserToken> SqlStore::queryTokens(const std::string& sql, const SqlParams& params) {
    std::vector<UserToken> out;
    query(sql, params, [&](const SqlRow& row) {
        out.push_back(UserToken{.id = row.text(0),
                                .kind = row.text(1),
                                .hash = row.text(2),
                                .orgId = row.text(3),
                                .userId = row.text(4),
                                .email = row.text(5),
                                .role = row.text(6),
                                .createdAt = row.text(7),
                                .expiresMs = std::stoll(row.text(8)),
                                .usedAt = row.text(9)});
    });
    return out;
}

bool SqlStore::insertUser(const User& u) {
    return change("INSERT INTO users (" + kUserColumns +
                      ") VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (email) DO NOTHING",
                  {u.id, u.email, u.name, u.passwordHash, u.createdAt, u.updatedAt}) > 0;
}

std::optional<User> SqlStore::getUser(const std::string& id) {
    return first(queryUsers("SELECT " + kUserColumns + " FROM users WHERE id = ?", {id}));
}

std::optional<User> SqlStore::findUserByEmail(const std::string& email) {
    return first(queryUsers("SELECT " + kUserColumns + " FROM users WHERE email = ?", {email}));
}

bool SqlStore::updateUserPassword(const std::string& id, const std::string& hash,
                                  const std::string& updatedAt) {
    return change("UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?",
                  {hash, updatedAt, id}, Replay::Safe) > 0;
}

void SqlStore::upsertMembership(const Membership& m) {
    change("INSERT INTO memberships (org_id, user_id, role, created_at) VALUES (?, ?, ?, ?)"
           " ON CONFLICT (org_id, user_id) DO UPDATE SET role = excluded.role",
           {m.orgId, m.userId, m.role, m.createdAt}, Replay::Safe);
}

std::optional<Membership> SqlStore::getMembership(const std::string& orgId,
                                                  const std::string& userId) {
    return first(queryMembers(kMemberSelect + " WHERE m.org_id = ? AND m.user_id = ?",
                              {orgId, userId}));
}

std::vector<Membership> SqlStore::listMembers(const std::string& orgId) {
    return queryMembers(kMemberSelect + " WHERE m.org_id = ? ORDER BY m.created_at, m.user_id",
                        {orgId});
}

std::vector<Membership> SqlStore::listUserOrgs(const std::string& userId) {
    return queryMembers(kMemberSelect + " WHERE m.user_id = ? ORDER BY m.created_at, m.org_id",
                        {userId});
}

bool SqlStore::deleteMembership(const std::string& orgId, const std::string& userId) {
    return change("DELETE FROM memberships WHERE org_id = ? AND user_id = ?", {orgId, userId}) > 0;
}

void SqlStore::insertSession(const Session& s) {
    change("INSERT INTO sessions (id, user_id, org_id, created_at, expires_at, revoked)"
           " VALUES (?, ?, ?, ?, ?, ?)",
           {s.id, s.userId, s.orgId, s.createdAt, s.expiresMs, int64_t{s.revoked ? 1 : 0}});
}

std::optional<Session> SqlStore::getSession(const std::string& id) {
    std::optional<Session> out;
    query("SELECT id, user_id, org_id, created_at, expires_at, revoked FROM sessions WHERE id = ?",
          {id}, [&](const SqlRow& row) {
              out = Session{.id = row.text(0),
                            .userId = row.text(1),
                            .orgId = row.text(2),
                            .createdAt = row.text(3),
                            .expiresMs = std::stoll(row.text(4)),
                            .revoked = row.text(5) != "0"};
          });
    return out;
}

bool SqlStore::revokeSession(const std::string& id) {
    return change("UPDATE sessions SET revoked = 1 WHERE id = ?", {id}) > 0;
}

int64_t SqlStore::revokeUserSessions(const std::string& userId) {
    return change("UPDATE sessions SET revoked = 1 WHERE user_id = ? AND revoked = 0", {userId});
}

void SqlStore::insertToken(const UserToken& t) {
    change("INSERT INTO user_tokens (" + kTokenColumns + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
           {t.id, t.kind, t.hash, t.orgId, t.userId, t.email, t.role, t.createdAt, t.expiresMs,
            textOrNull(t.usedAt)});
}

std::optional<UserToken> SqlStore::findToken(const std::string& kind, const std::string& hash) {
    return first(queryTokens(
        "SELECT " + kTokenColumns + " FROM user_tokens WHERE kind = ? AND hash = ?", {kind, hash}));
}

bool SqlStore::useToken(const std::string& id, const std::string& usedAt) {
    return change("UPDATE user_tokens SET used_at = ? WHERE id = ? AND used_at IS NULL",
                  {usedAt, id}) > 0;
}

std::vector<UserToken> SqlStore::listTokens(const std::string& kind, const std::string& orgId,
                                            int64_t nowMs) {
    return queryTokens("SELECT " + kTokenColumns +
                           " FROM user_tokens WHERE kind = ? AND org_id = ? AND used_at IS NULL"
                           " AND expires_at > ?" + kNewestFirst,
                       {kind, orgId, nowMs});
}

bool SqlStore::deleteToken(const std::string& kind, const std::string& orgId,
                           const std::string& id) {
    return change("DELETE FROM user_tokens WHERE kind = ? AND org_id = ? AND id = ?",
                  {kind, orgId, id}) > 0;
}

std::string SqlStore::getOrCreateSecret(const std::string& name, const std::string& value) {
    change("INSERT INTO server_secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
           {name, value}, Replay::Safe);
    std::string out;
    query("SELECT value FROM server_secrets WHERE name = ?", {name},
          [&](const SqlRow& row) { out = row.text(0); });
    if (out.empty()) throw StoreError("server secret " + name + " could not be stored");
    return out;
}

std::optional<std::string> SqlStore::getSecret(const std::string& name) {
    std::optional<std::string> out;
    query("SELECT value FROM server_secrets WHERE name = ?", {name},
          [&](const SqlRow& row) { out = row.text(0); });
    return out;
}

// Raw stored texts ----------------------------------------------------------------------

const std::vector<std::pair<std::string, std::string>>& storedTextColumns() {
    static const std::vector<std::pair<std::string, std::string>> columns = {
        {"resources", "body"},       {"orgs", "body"}, {"webhook_outbox", "target"},
        {"webhook_outbox", "body"},  {"server_secrets", "value"}};
    return columns;
}

namespace {

// The key column of a table holding stored texts; throws for anything else (the names are
// spliced into SQL, so only these pass).
std::string storedTextKey(const std::string& table, const std::string& column) {
    for (auto& [t, c] : storedTextColumns())
        if (t == table && c == column) return table == "server_secrets" ? "name" : "id";
    throw StoreError("no stored text column " + table + "." + column);
}

}  // namespace

std::vector<StoredText> SqlStore::scanStoredTexts(const std::string& table, const std::string& column,
                                                  const std::string& afterKind,
                                                  const std::string& afterId, int limit) {
    std::string key = storedTextKey(table, column);
    std::vector<StoredText> out;
    if (table == "resources") {
        query("SELECT kind, id, " + column + " FROM resources WHERE kind > ? OR (kind = ? AND id > ?)"
              " ORDER BY kind, id LIMIT ?",
              {afterKind, afterKind, afterId, int64_t{limit}}, [&](const SqlRow& row) {
                  out.push_back({table, column, row.text(0), row.text(1), row.text(2)});
              });
    } else {
        query("SELECT " + key + ", " + column + " FROM " + table + " WHERE " + key + " > ? ORDER BY " +
                  key + " LIMIT ?",
              {afterId, int64_t{limit}}, [&](const SqlRow& row) {
                  out.push_back({table, column, "", row.text(0), row.text(1)});
              });
    }
    return out;
}

bool SqlStore::replaceStoredText(const StoredText& before, const std::string& text) {
    std::string key = storedTextKey(before.table, before.column);
    if (before.table == "resources")
        return change("UPDATE resources SET " + before.column + " = ? WHERE kind = ? AND id = ? AND " +
                          before.column + " = ?",
                      {text, before.kind, before.id, before.text}, Replay::Safe) > 0;
    return change("UPDATE " + before.table + " SET " + before.column + " = ? WHERE " + key + " = ? AND " +
                      before.column + " = ?",
                  {text, before.id, before.text}, Replay::Safe) > 0;
}

// Webhook outbox ----------------------------------------------------------------------

namespace {
const std::string kEventColumns =
    "id, org_id, order_key, seq, type, target, body, status, attempts, next_attempt_at, "
    "expires_at, created_at, updated_at, last_status, last_error";

int64_t toInt(const std::string& s) { return s.empty() ? 0 : std::stoll(s); }
}  // namespace

std::vector<OutboxEvent> SqlStore::queryEvents(const std::string& sql, const SqlParams& params) {
    std::vector<OutboxEvent> out;
    query(sql, params, [&](const SqlRow& row) {
        out.push_back(OutboxEvent{.id = row.text(0),
                                  .orgId = row.text(1),
                                  .orderKey = row.text(2),
                                  .seq = toInt(row.text(3)),
                                  .type = row.text(4),
                                  .target = row.text(5),
                                  .body = row.text(6),
                                  .status = row.text(7),
                                  .attempts = static_cast<int>(toInt(row.text(8))),
                                  .nextAttemptMs = toInt(row.text(9)),
                                  .expiresMs = toInt(row.text(10)),
                                  .createdAt = row.text(11),
                                  .updatedAt = row.text(12),
                                  .lastStatus = static_cast<int>(toInt(row.text(13))),
                                  .lastError = row.text(14)});
    });
    return out;
}

void SqlStore::insertEvents(const std::vector<OutboxEvent>& events) {
    constexpr size_t kChunk = 200;  // rows per statement (15 parameters each)
    std::vector<SqlStatement> statements;
    for (size_t start = 0; start < events.size(); start += kChunk) {
        size_t end = std::min(events.size(), start + kChunk);
        SqlStatement st{"INSERT INTO webhook_outbox (" + kEventColumns + ") VALUES ", {}};
        st.params.reserve((end - start) * 15);
        for (size_t i = start; i < end; ++i) {
            auto& e = events[i];
            st.sql += i > start ? ", (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                                : "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
            st.params.insert(st.params.end(),
                             {e.id, e.orgId, e.orderKey, e.seq, e.type, e.target, e.body, e.status,
                              int64_t{e.attempts}, e.nextAttemptMs, e.expiresMs, e.createdAt,
                              e.updatedAt.empty() ? e.createdAt : e.updatedAt,
                              e.lastStatus ? SqlParam{int64_t{e.lastStatus}} : SqlParam{},
                              textOrNull(e.lastError)});
        }
        // Stored already (the outcome of an earlier try was unknown): keep the stored row,
        // which may be delivered by now.
        st.sql += " ON CONFLICT (id) DO NOTHING";
        statements.push_back(std::move(st));
    }
    if (statements.size() == 1) change(statements[0].sql, statements[0].params, Replay::Safe);
    else if (!statements.empty()) changeAtomically(statements);
}

std::vector<OutboxEvent> SqlStore::dueEvents(int64_t nowMs, int limit) {
    return queryEvents(
        "SELECT " + kEventColumns + " FROM webhook_outbox e"
        " WHERE e.status = 'pending' AND e.next_attempt_at <= ?"
        " AND (e.claim_until IS NULL OR e.claim_until < ?)"
        " AND NOT EXISTS (SELECT 1 FROM webhook_outbox p WHERE p.status = 'pending'"
        " AND p.order_key = e.order_key AND p.seq < e.seq)"
        " ORDER BY e.next_attempt_at, e.seq LIMIT ?",
        {nowMs, nowMs, int64_t{limit}});
}

bool SqlStore::claimEvent(const std::string& id, int64_t nowMs, int64_t untilMs) {
    return change("UPDATE webhook_outbox SET claim_until = ? WHERE id = ? AND status = 'pending'"
                  " AND (claim_until IS NULL OR claim_until < ?)",
                  {untilMs, id, nowMs}) > 0;
}

void SqlStore::updateEvent(const OutboxEvent& e) {
    change("UPDATE webhook_outbox SET status = ?, attempts = ?, next_attempt_at = ?,"
           " updated_at = ?, last_status = ?, last_error = ?, claim_until = NULL WHERE id = ?",
           {e.status, int64_t{e.attempts}, e.nextAttemptMs, e.updatedAt,
            e.lastStatus ? SqlParam{int64_t{e.lastStatus}} : SqlParam{}, textOrNull(e.lastError),
            e.id},
           Replay::Safe);
}

std::optional<OutboxEvent> SqlStore::getEvent(const std::string& id) {
    return first(queryEvents("SELECT " + kEventColumns + " FROM webhook_outbox WHERE id = ?", {id}));
}

std::vector<OutboxEvent> SqlStore::listEvents(const std::string& orgId, const std::string& orderKey,
                                              const std::string& status, int limit) {
    std::string sql = "SELECT " + kEventColumns + " FROM webhook_outbox WHERE org_id = ?";
    SqlParams params{orgId};
    if (!orderKey.empty()) {
        sql += " AND order_key = ?";
        params.push_back(orderKey);
    }
    if (!status.empty()) {
        sql += " AND status = ?";
        params.push_back(status);
    }
    sql += " ORDER BY seq LIMIT ?";
    params.push_back(int64_t{limit});
    return queryEvents(sql, params);
}

void SqlStore::releaseClaims() {
    change("UPDATE webhook_outbox SET claim_until = NULL WHERE claim_until IS NOT NULL", {},
           Replay::Safe);
}

int64_t SqlStore::pruneEvents(const std::string& updatedBefore) {
    return change("DELETE FROM webhook_outbox WHERE status <> 'pending' AND updated_at < ?",
                  {updatedBefore}, Replay::Safe);
}

}  // namespace voxa::store
