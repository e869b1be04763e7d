#include "store/sqlite/sqlite_store.h"

#include "common/time.h"

#include <atomic>
#include <filesystem>
#include <optional>
#include <system_error>
#include <unistd.h>

namespace voxa::store {
namespace {

// Enough for the database worker pool; SQLite serializes writers anyway.
constexpr size_t kMaxFileConnections = 32;

bool isMemory(const std::string& dataDir) { return dataDir == ":memory:"; }

std::string targetFor(const std::string& dataDir) {
    if (isMemory(dataDir)) {
        // A unique name per store: two stores never share, but all of one store's
        // connections see the same database.
        static std::atomic<uint64_t> counter{0};
        return "file:voxa_mem_" + std::to_string(::getpid()) + "_" +
               std::to_string(counter.fetch_add(1)) + "?mode=memory&cache=shared";
    }
    std::error_code ec;
    std::filesystem::create_directories(dataDir, ec);
    if (ec) throw StoreError("sqlite: cannot create data directory " + dataDir + ": " +
                             ec.message());
    return (std::filesystem::path(dataDir) / "voxa.db").string();
}

}  // namespace

// In memory, the pool holds exactly one connection: it keeps the database alive for the
// store's lifetime, and shared-cache table locks would otherwise fail concurrent callers
// with SQLITE_LOCKED, which busy_timeout does not retry.
SqliteStore::SqliteStore(const std::string& dataDir)
    : target_(targetFor(dataDir)),
      pool_([this, memory = isMemory(dataDir)] {
                return std::make_unique<SqliteConn>(target_, memory);
            },
            isMemory(dataDir) ? 1 : kMaxFileConnections) {
    pool_.seed(std::make_unique<SqliteConn>(target_, isMemory(dataDir)));
}

void SqliteStore::query(const std::string& sql, const SqlParams& params, const RowFn& onRow) {
    auto conn = pool_.acquire();
    conn->run(sql, params, onRow);
}

// A local file: nothing is ever sent twice, so `replay` does not matter here.
int64_t SqliteStore::change(const std::string& sql, const SqlParams& params, Replay) {
    auto conn = pool_.acquire();
    return conn->run(sql, params);
}

void SqliteStore::changeAtomically(const std::vector<SqlStatement>& statements) {
    auto conn = pool_.acquire();
    conn->exec("BEGIN IMMEDIATE");  // the write lock first: no deadlock with another writer
    try {
        for (auto& st : statements) conn->run(st.sql, st.params);
        conn->exec("COMMIT");
    } catch (...) {
        conn->rollbackQuietly();
        throw;
    }
}

void SqliteStore::dropOldVersions() {
    // The write-ahead log keeps the pages as they were before: copy them into the database
    // and cut the log to nothing.
    query("PRAGMA wal_checkpoint(TRUNCATE)", {}, [](const SqlRow&) {});
}

bool SqliteStore::ping() {
    try {
        query("SELECT 1", {}, {});
        return true;
    } catch (const StoreError&) {
        return false;
    }
}

std::vector<AppliedMigration> SqliteStore::appliedMigrations() {
    std::vector<AppliedMigration> out;
    query("SELECT version, checksum FROM schema_migrations ORDER BY version", {},
          [&](const SqlRow& row) { out.push_back({std::stoll(row.text(0)), row.text(1)}); });
    return out;
}

void SqliteStore::applyMigrations(const std::vector<Migration>& migrations) {
    auto conn = pool_.acquire();
    conn->exec("CREATE TABLE IF NOT EXISTS schema_migrations ("
               "version INTEGER PRIMARY KEY, checksum TEXT NOT NULL, applied_at TEXT NOT NULL)");
    for (const Migration& m : migrations) {
        // BEGIN IMMEDIATE takes the write lock before we look, so a second process
        // (the CLI next to the server) waits and then sees the version as applied.
        conn->exec("BEGIN IMMEDIATE");
        try {
            std::optional<std::string> applied;
            conn->run("SELECT checksum FROM schema_migrations WHERE version = ?", {m.version},
                      [&](const SqlRow& row) { applied = row.text(0); });
            if (applied) {
                checkChecksum(m, *applied);
            } else {
                try {
                    conn->exec(m.sql);
                } catch (const StoreError& e) {
                    throw StoreError("migration " + m.name + " failed: " + e.what());
                }
                conn->run("INSERT INTO schema_migrations (version, checksum, applied_at)"
                          " VALUES (?, ?, ?)",
                          {m.version, m.checksum, isoNow()});
            }
            conn->exec("COMMIT");
        } catch (...) {
            conn->rollbackQuietly();
            throw;
        }
    }
}

}  // namespace voxa::store
