#include "store/sqlite/sqlite_conn.h"

#include "store/store.h"

#include <sqlite3.h>

#include <type_traits>

namespace voxa::store {
namespace {

constexpr int kBusyTimeoutMs = 5000;
// List queries vary with their filters; bound the cache instead of tracking usage.
constexpr size_t kMaxCachedStatements = 128;

// Resets a cached statement when a run ends, so it holds no locks between calls.
struct StmtReset {
    sqlite3_stmt* stmt;
    ~StmtReset() {
        sqlite3_reset(stmt);
        sqlite3_clear_bindings(stmt);
    }
};

}  // namespace

std::string SqliteRow::text(int col) const {
    auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
    if (!p) return {};
    return std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
}

SqliteConn::SqliteConn(const std::string& target, bool memory) {
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (memory) flags |= SQLITE_OPEN_URI;
    int rc = sqlite3_open_v2(target.c_str(), &db_, flags, nullptr);
    if (rc != SQLITE_OK) {
        std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
        sqlite3_close(db_);
        throw StoreError("sqlite: cannot open " + target + ": " + msg);
    }
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, kBusyTimeoutMs);
    try {
        // WAL lets the CLI write while the server reads; an in-memory database has no WAL.
        if (!memory) exec("PRAGMA journal_mode=WAL");
        // secure_delete: a value rewritten (a secret sealed, re-sealed under a new key) leaves
        // no copy of the old one in the file's free space.
        exec("PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL; PRAGMA secure_delete=ON");
    } catch (...) {
        sqlite3_close(db_);
        throw;
    }
}

SqliteConn::~SqliteConn() {
    for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
    sqlite3_close(db_);
}

void SqliteConn::fail(std::string_view what, int rc) const {
    throw StoreError("sqlite: " + std::string(what) + ": " + sqlite3_errmsg(db_) + " (code " +
                     std::to_string(rc) + ")");
}

void SqliteConn::exec(const std::string& sql) {
    char* err = nullptr;
    int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
        std::string msg = err ? err : sqlite3_errstr(rc);
        sqlite3_free(err);
        throw StoreError("sqlite: " + msg + " (code " + std::to_string(rc) + ")");
    }
}

void SqliteConn::rollbackQuietly() noexcept {
    if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

sqlite3_stmt* SqliteConn::prepare(const std::string& sql) {
    if (auto it = cache_.find(sql); it != cache_.end()) return it->second;
    if (cache_.size() >= kMaxCachedStatements) {
        for (auto& [s, stmt] : cache_) sqlite3_finalize(stmt);
        cache_.clear();
    }
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) fail("prepare", rc);
    cache_.emplace(sql, stmt);
    return stmt;
}

int64_t SqliteConn::run(const std::string& sql, const SqlParams& params, const RowFn& onRow) {
    sqlite3_stmt* stmt = prepare(sql);
    StmtReset reset{stmt};
    for (size_t i = 0; i < params.size(); ++i) {
        int idx = static_cast<int>(i + 1);
        int rc = std::visit(
            [&](const auto& v) {
                using T = std::decay_t<decltype(v)>;
                if constexpr (std::is_same_v<T, std::monostate>)
                    return sqlite3_bind_null(stmt, idx);
                else if constexpr (std::is_same_v<T, std::string>)
                    return sqlite3_bind_text(stmt, idx, v.data(), static_cast<int>(v.size()),
                                             SQLITE_STATIC);
                else
                    return sqlite3_bind_int64(stmt, idx, v);
            },
            params[i]);
        if (rc != SQLITE_OK) fail("bind", rc);
    }
    SqliteRow row(stmt);
    for (;;) {
        int rc = sqlite3_step(stmt);
        if (rc == SQLITE_DONE) break;
        if (rc != SQLITE_ROW) fail("step", rc);
        if (onRow) onRow(row);
    }
    return sqlite3_changes64(db_);
}

}  // namespace voxa::store
