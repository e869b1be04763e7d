// One libpq connection. Not thread-safe: the store's pool hands it to one thread at a time.
// A connection the server closed while it was idle in the pool (a restart, an idle timeout,
// pg_terminate_backend) is found before a statement is sent, and reconnected. A statement
// that fails because the connection broke *after* it was sent may have run (even committed)
// or not: it is sent again after PQreset only when the caller says that is safe (Replay::Safe:
// reads, absolute updates, INSERT ... ON CONFLICT DO NOTHING), and never inside a
// transaction or while session state (an advisory lock) would be lost.
#pragma once

#include "store/sql_types.h"

#include <cstdint>
#include <string>

typedef struct pg_conn PGconn;
typedef struct pg_result PGresult;

namespace voxa::store {

class PgConn {
public:
    /// `url` is a libpq connection URI or keyword string. Throws StoreError on failure.
    explicit PgConn(const std::string& url);
    ~PgConn();
    PgConn(const PgConn&) = delete;
    PgConn& operator=(const PgConn&) = delete;

    /// Runs one or more statements without parameters (DDL, BEGIN/COMMIT).
    void exec(const std::string& sql, Replay replay = Replay::Unsafe);
    /// Runs one parameterized statement ("?" placeholders); calls onRow for each row.
    /// Returns the number of affected rows (0 for a SELECT).
    int64_t run(const std::string& sql, const SqlParams& params, const RowFn& onRow = {},
                Replay replay = Replay::Unsafe);
    /// Best effort ROLLBACK, for error paths (never throws).
    void rollbackQuietly() noexcept;

    /// While pinned, a broken connection is an error rather than silently reset,
    /// because session state (e.g. an advisory lock) would be gone.
    void setPinned(bool pinned) { pinned_ = pinned; }

private:
    template <class F>
    PGresult* execute(F&& send, Replay replay);
    void ensureConnected();

    PGconn* conn_ = nullptr;
    bool pinned_ = false;
};

/// "?" -> "$1", "$2", ... outside quoted literals and identifiers.
std::string numberPlaceholders(const std::string& sql);

}  // namespace voxa::store
