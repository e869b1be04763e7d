// One SQLite connection with its prepared-statement cache. Not thread-safe: the store's
// pool hands it to one thread at a time.
#pragma once

#include "store/sql_types.h"

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace voxa::store {

/// Read access to the current row of a running statement.
class SqliteRow final : public SqlRow {
public:
    explicit SqliteRow(sqlite3_stmt* stmt) : stmt_(stmt) {}
    std::string text(int col) const override;

private:
    sqlite3_stmt* stmt_;
};

class SqliteConn {
public:
    /// `target` is a file path, or a "file:" URI when `memory` is set.
    SqliteConn(const std::string& target, bool memory);
    ~SqliteConn();
    SqliteConn(const SqliteConn&) = delete;
    SqliteConn& operator=(const SqliteConn&) = delete;

    /// Runs one or more statements without parameters (DDL, BEGIN/COMMIT).
    void exec(const std::string& sql);
    /// Best effort ROLLBACK, for error paths (never throws).
    void rollbackQuietly() noexcept;

    /// Runs one cached, parameterized statement; calls onRow for each result row.
    /// Returns the number of rows changed (for UPDATE/DELETE).
    int64_t run(const std::string& sql, const SqlParams& params, const RowFn& onRow = {});

private:
    sqlite3_stmt* prepare(const std::string& sql);
    [[noreturn]] void fail(std::string_view what, int rc) const;

    sqlite3* db_ = nullptr;
    std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

}  // namespace voxa::store
