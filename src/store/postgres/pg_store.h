// PostgreSQL backend on libpq. Connections come from a pool, one per concurrent caller.
#pragma once

#include "store/pool.h"
#include "store/postgres/pg_conn.h"
#include "store/sql_store.h"

#include <string>

namespace voxa::store {

class PgStore final : public SqlStore {
public:
    /// Connects once to fail fast. Throws StoreError if the server is unreachable.
    explicit PgStore(const std::string& url);

    void applyMigrations(const std::vector<Migration>& migrations) override;
    std::vector<AppliedMigration> appliedMigrations() override;
    bool ping() override;
    std::string dialect() const override { return "postgres"; }

protected:
    void query(const std::string& sql, const SqlParams& params, const RowFn& onRow) override;
    int64_t change(const std::string& sql, const SqlParams& params, Replay replay) override;
    void changeAtomically(const std::vector<SqlStatement>& statements) override;
    Dialect sqlDialect() const override { return Dialect::Postgres; }

private:
    void applyLocked(PgConn& conn, const std::vector<Migration>& migrations);

    std::string url_;
    ConnPool<PgConn> pool_;
};

}  // namespace voxa::store
