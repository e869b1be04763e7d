#include "store/postgres/pg_store.h"

#include "common/time.h"

#include <optional>

namespace voxa::store {
namespace {

constexpr size_t kMaxConnections = 32;
// Advisory lock key serializing migrations across nodes: "voxa" in ASCII.
constexpr int64_t kMigrationLockKey = 0x766f7861;

}  // namespace

PgStore::PgStore(const std::string& url)
    : url_(url), pool_([this] { return std::make_unique<PgConn>(url_); }, kMaxConnections) {
    pool_.seed(std::make_unique<PgConn>(url_));
}

void PgStore::query(const std::string& sql, const SqlParams& params, const RowFn& onRow) {
    auto conn = pool_.acquire();
    conn->run(sql, params, onRow, Replay::Safe);  // a read: running it twice changes nothing
}

int64_t PgStore::change(const std::string& sql, const SqlParams& params, Replay replay) {
    auto conn = pool_.acquire();
    return conn->run(sql, params, {}, replay);
}

void PgStore::changeAtomically(const std::vector<SqlStatement>& statements) {
    auto conn = pool_.acquire();
    conn->exec("BEGIN", Replay::Safe);
    try {
        for (auto& st : statements) conn->run(st.sql, st.params);
        // Inside the transaction nothing is sent twice: a connection lost here (COMMIT
        // included) is an error, and the caller retries the whole transaction if it may.
        conn->exec("COMMIT");
    } catch (...) {
        conn->rollbackQuietly();
        throw;
    }
}

bool PgStore::ping() {
    try {
        query("SELECT 1", {}, {});
        return true;
    } catch (const StoreError&) {
        return false;
    }
}

std::vector<AppliedMigration> PgStore::appliedMigrations() {
    std::vector<AppliedMigration> out;
    query("SELECT version, checksum FROM schema_migrations ORDER BY version", {},
          [&](const SqlRow& row) { out.push_back({std::stoll(row.text(0)), row.text(1)}); });
    return out;
}

void PgStore::applyMigrations(const std::vector<Migration>& migrations) {
    auto conn = pool_.acquire();
    // Session-level lock: concurrent nodes wait here, then find the versions applied.
    conn->run("SELECT pg_advisory_lock(?)", {kMigrationLockKey});
    conn->setPinned(true);
    try {
        applyLocked(*conn, migrations);
    } catch (...) {
        conn->rollbackQuietly();
        try {
            conn->run("SELECT pg_advisory_unlock(?)", {kMigrationLockKey});
        } catch (const StoreError&) {
            // A broken connection has released the lock already.
        }
        conn->setPinned(false);
        throw;
    }
    conn->run("SELECT pg_advisory_unlock(?)", {kMigrationLockKey});
    conn->setPinned(false);
}

void PgStore::applyLocked(PgConn& conn, const std::vector<Migration>& migrations) {
    conn.exec("CREATE TABLE IF NOT EXISTS schema_migrations ("
              "version BIGINT PRIMARY KEY, checksum TEXT NOT NULL, applied_at TEXT NOT NULL)");
    for (const Migration& m : migrations) {
        std::optional<std::string> applied;
        conn.run("SELECT checksum FROM schema_migrations WHERE version = ?", {m.version},
                 [&](const SqlRow& row) { applied = row.text(0); });
        if (applied) {
            checkChecksum(m, *applied);
            continue;
        }
        conn.exec("BEGIN");
        try {
            conn.exec(m.sql);
        } catch (const StoreError& e) {
            throw StoreError("migration " + m.name + " failed: " + e.what());
        }
        conn.run("INSERT INTO schema_migrations (version, checksum, applied_at) VALUES (?, ?, ?)",
                 {m.version, m.checksum, isoNow()});
        conn.exec("COMMIT");
    }
}

}  // namespace voxa::store
