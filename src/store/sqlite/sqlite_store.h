// SQLite backend: <dataDir>/voxa.db in WAL mode, or a private shared-cache in-memory
// database when dataDir is ":memory:". Connections come from a pool, one per concurrent
// caller, each with its own statement cache.
#pragma once

#include "store/pool.h"
#include "store/sql_store.h"
#include "store/sqlite/sqlite_conn.h"

#include <string>

namespace voxa::store {

class SqliteStore final : public SqlStore {
public:
    /// Creates dataDir if missing. Throws StoreError if the database cannot be opened.
    explicit SqliteStore(const std::string& dataDir);

    void applyMigrations(const std::vector<Migration>& migrations) override;
    std::vector<AppliedMigration> appliedMigrations() override;
    bool ping() override;
    void dropOldVersions() override;
    std::string dialect() const override { return "sqlite"; }

    /// The file path, or the "file:" URI of the in-memory database.
    const std::string& target() const { return target_; }

protected:
    void query(const std::string& sql, const SqlParams& params, const RowFn& onRow) override;
    int64_t change(const std::string& sql, const SqlParams& params, Replay replay) override;
    void changeAtomically(const std::vector<SqlStatement>& statements) override;
    Dialect sqlDialect() const override { return Dialect::Sqlite; }

private:
    std::string target_;
    ConnPool<SqliteConn> pool_;
};

}  // namespace voxa::store
