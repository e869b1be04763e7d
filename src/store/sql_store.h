// The Store operations written once in portable SQL with "?" placeholders. A backend
// supplies how to run a statement (and migrations, ping, dialect).
#pragma once

#include "store/backend.h"
#include "store/list_sql.h"
#include "store/sql_types.h"

#include <string>

namespace voxa::store {

class SqlStore : public StoreBackend {
public:
    void insertResource(const Resource& r) override;
    void insertResources(const std::vector<Resource>& rows) override;
    int64_t deleteResourcesBefore(const std::string& kind, const std::string& createdBefore) override;
    std::optional<Resource> getResource(const std::string& kind, const std::string& orgId,
                                        const std::string& id) override;
    std::optional<Resource> getResourceAnyOrg(const std::string& kind,
                                              const std::string& id) override;
    std::vector<Resource> listResources(const std::string& kind, const std::string& orgId,
                                        const ListQuery& q) override;
    int64_t countResources(const std::string& kind, const std::string& orgId,
                           const ListQuery& q) override;
    std::vector<Resource> findByAttr(const std::string& kind, int attr,
                                     const std::string& value) override;
    bool updateResource(const Resource& r) override;
    bool deleteResource(const std::string& kind, const std::string& orgId,
                        const std::string& id) override;

    void insertOrg(const Org& o) override;
    std::optional<Org> getOrg(const std::string& id) override;
    std::vector<Org> listOrgs() override;
    bool updateOrg(const Org& o) override;

    void insertKey(const ApiKey& k) override;
    std::optional<ApiKey> findKeyByHash(const std::string& hash) override;
    std::optional<ApiKey> getKey(const std::string& orgId, const std::string& id) override;
    std::vector<ApiKey> listKeys(const std::string& orgId) override;
    bool deleteKey(const std::string& orgId, const std::string& id) override;

    bool insertUser(const User& u) override;
    std::optional<User> getUser(const std::string& id) override;
    std::optional<User> findUserByEmail(const std::string& email) override;
    bool updateUserPassword(const std::string& id, const std::string& hash,
                            const std::string& updatedAt) override;
    void upsertMembership(const Membership& m) override;
    std::optional<Membership> getMembership(const std::string& orgId,
                                            const std::string& userId) override;
    std::vector<Membership> listMembers(const std::string& orgId) override;
    std::vector<Membership> listUserOrgs(const std::string& userId) override;
    bool deleteMembership(const std::string& orgId, const std::string& userId) override;
    void insertSession(const Session& s) override;
    std::optional<Session> getSession(const std::string& id) override;
    bool revokeSession(const std::string& id) override;
    int64_t revokeUserSessions(const std::string& userId) override;
    void insertToken(const UserToken& t) override;
    std::optional<UserToken> findToken(const std::string& kind, const std::string& hash) override;
    bool useToken(const std::string& id, const std::string& usedAt) override;
    std::vector<UserToken> listTokens(const std::string& kind, const std::string& orgId,
                                      int64_t nowMs) override;
    bool deleteToken(const std::string& kind, const std::string& orgId,
                     const std::string& id) override;
    std::string getOrCreateSecret(const std::string& name, const std::string& value) override;
    std::optional<std::string> getSecret(const std::string& name) override;
    std::vector<StoredText> scanStoredTexts(const std::string& table, const std::string& column,
                                            const std::string& afterKind, const std::string& afterId,
                                            int limit) override;
    bool replaceStoredText(const StoredText& before, const std::string& text) override;

    void insertEvents(const std::vector<OutboxEvent>& events) override;
    std::vector<OutboxEvent> dueEvents(int64_t nowMs, int limit) override;
    bool claimEvent(const std::string& id, int64_t nowMs, int64_t untilMs) override;
    void updateEvent(const OutboxEvent& e) override;
    std::optional<OutboxEvent> getEvent(const std::string& id) override;
    std::vector<OutboxEvent> listEvents(const std::string& orgId, const std::string& orderKey,
                                        const std::string& status, int limit) override;
    void releaseClaims() override;
    int64_t pruneEvents(const std::string& updatedBefore) override;

protected:
    /// Runs one statement, calling onRow for each result row. Throws StoreError.
    virtual void query(const std::string& sql, const SqlParams& params, const RowFn& onRow) = 0;
    /// Runs one data-changing statement; returns the number of affected rows. Reads
    /// (query) may always be sent again after a broken connection; changes only when
    /// `replay` says so.
    virtual int64_t change(const std::string& sql, const SqlParams& params, Replay replay) = 0;
    int64_t change(const std::string& sql, const SqlParams& params) {
        return change(sql, params, Replay::Unsafe);
    }
    /// Runs the statements in one transaction on one connection: all of them or none (the
    /// transaction is rolled back and StoreError thrown). Never sent again by the backend.
    virtual void changeAtomically(const std::vector<SqlStatement>& statements) = 0;
    virtual Dialect sqlDialect() const = 0;

private:
    std::vector<Resource> queryResources(const std::string& sql, const SqlParams& params);
    std::vector<Org> queryOrgs(const std::string& sql, const SqlParams& params);
    std::vector<ApiKey> queryKeys(const std::string& sql, const SqlParams& params);
    std::vector<User> queryUsers(const std::string& sql, const SqlParams& params);
    std::vector<Membership> queryMembers(const std::string& sql, const SqlParams& params);
    std::vector<UserToken> queryTokens(const std::string& sql, const SqlParams& params);
    std::vector<OutboxEvent> queryEvents(const std::string& sql, const SqlParams& params);
};

}  // namespace voxa::store
