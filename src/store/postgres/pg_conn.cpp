#include "store/postgres/pg_conn.h"

#include "store/store.h"

#include <libpq-fe.h>
#include <poll.h>

#include <memory>
#include <type_traits>
#include <vector>

namespace voxa::store {
namespace {

struct ResultDeleter {
    void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

class PgRow final : public SqlRow {
public:
    PgRow(const PGresult* res, int row) : res_(res), row_(row) {}
    std::string text(int col) const override {
        if (PQgetisnull(res_, row_, col)) return {};
        return std::string(PQgetvalue(res_, row_, col),
                           static_cast<size_t>(PQgetlength(res_, row_, col)));
    }

private:
    const PGresult* res_;
    int row_;
};

std::string trimmed(const char* msg) {
    std::string s = msg ? msg : "";
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
}

bool succeeded(const PGresult* r) {
    if (!r) return false;
    auto st = PQresultStatus(r);
    return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}

}  // namespace

std::string numberPlaceholders(const std::string& sql) {
    std::string out;
    out.reserve(sql.size() + 16);
    int n = 0;
    char quote = 0;  // ' or " while inside a literal or quoted identifier
    for (char c : sql) {
        if (quote) {
            if (c == quote) quote = 0;
            out += c;
        } else if (c == '\'' || c == '"') {
            quote = c;
            out += c;
        } else if (c == '?') {
            out += '$' + std::to_string(++n);
        } else {
            out += c;
        }
    }
    return out;
}

PgConn::PgConn(const std::string& url) {
    // Our defaults first; anything in the URL overrides them (expand_dbname = 1).
    const char* keys[] = {"connect_timeout", "fallback_application_name", "dbname", nullptr};
    const char* values[] = {"10", "voxa", url.c_str(), nullptr};
    conn_ = PQconnectdbParams(keys, values, 1);
    if (!conn_) throw StoreError("postgres: out of memory");
    if (PQstatus(conn_) != CONNECTION_OK) {
        std::string msg = trimmed(PQerrorMessage(conn_));
        PQfinish(conn_);
        throw StoreError("postgres: cannot connect: " + msg);
    }
    // Silence NOTICEs such as "relation already exists, skipping" on stderr.
    PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
}

PgConn::~PgConn() { PQfinish(conn_); }

// Whether the server has said something on an idle connection. Between statements it says
// nothing unless it is closing the connection (an administrator's termination, a restart, an
// idle timeout: an ErrorResponse, then end of file); we never LISTEN.
static bool serverSpokeWhileIdle(PGconn* conn) {
    int fd = PQsocket(conn);
    if (fd < 0) return true;
    pollfd p{.fd = fd, .events = POLLIN, .revents = 0};
    return ::poll(&p, 1, 0) > 0;
}

void PgConn::ensureConnected() {
    // Found before anything is sent, a closed connection can be replaced without doubt about
    // what ran. (A close racing with the send is the case `Replay` is for.)
    if (PQstatus(conn_) == CONNECTION_OK && !pinned_ &&
        PQtransactionStatus(conn_) == PQTRANS_IDLE && serverSpokeWhileIdle(conn_))
        PQreset(conn_);
    if (PQstatus(conn_) == CONNECTION_OK) return;
    if (pinned_) throw StoreError("postgres: connection lost: " + trimmed(PQerrorMessage(conn_)));
    PQreset(conn_);
    if (PQstatus(conn_) != CONNECTION_OK)
        throw StoreError("postgres: reconnect failed: " + trimmed(PQerrorMessage(conn_)));
}

template <class F>
PGresult* PgConn::execute(F&& send, Replay replay) {
    ensureConnected();
    bool idle = PQtransactionStatus(conn_) == PQTRANS_IDLE;
    ResultPtr res(send());
    if (!succeeded(res.get()) && idle && !pinned_ && PQstatus(conn_) == CONNECTION_BAD &&
        replay == Replay::Safe) {
        // The server went away while the statement was on its way (restart, termination,
        // failover) and the statement may run twice: reconnect once and send it again.
        PQreset(conn_);
        if (PQstatus(conn_) == CONNECTION_OK) res.reset(send());
    }
    if (succeeded(res.get())) return res.release();
    std::string msg = trimmed(res ? PQresultErrorMessage(res.get()) : PQerrorMessage(conn_));
    if (msg.empty()) msg = trimmed(PQerrorMessage(conn_));
    const char* state = res ? PQresultErrorField(res.get(), PG_DIAG_SQLSTATE) : nullptr;
    throw StoreError("postgres: " + msg + (state ? " (SQLSTATE " + std::string(state) + ")" : ""));
}

void PgConn::exec(const std::string& sql, Replay replay) {
    ResultPtr res(execute([&] { return PQexec(conn_, sql.c_str()); }, replay));
}

int64_t PgConn::run(const std::string& sql, const SqlParams& params, const RowFn& onRow,
                    Replay replay) {
    const std::string numbered = numberPlaceholders(sql);
    std::vector<std::string> texts(params.size());
    std::vector<const char*> values(params.size(), nullptr);
    for (size_t i = 0; i < params.size(); ++i) {
        std::visit(
            [&](const auto& v) {
                using T = std::decay_t<decltype(v)>;
                if constexpr (std::is_same_v<T, std::string>) {
                    values[i] = v.c_str();
                } else if constexpr (std::is_same_v<T, int64_t>) {
                    texts[i] = std::to_string(v);
                    values[i] = texts[i].c_str();
                }
            },
            params[i]);
    }
    ResultPtr res(execute([&] {
        return PQexecParams(conn_, numbered.c_str(), static_cast<int>(params.size()), nullptr,
                            values.data(), nullptr, nullptr, 0);
    }, replay));
    if (onRow) {
        int rows = PQntuples(res.get());
        for (int r = 0; r < rows; ++r) onRow(PgRow(res.get(), r));
    }
    const char* affected = PQcmdTuples(res.get());
    return affected && *affected ? std::stoll(affected) : 0;
}

void PgConn::rollbackQuietly() noexcept {
    if (PQstatus(conn_) != CONNECTION_OK) return;
    if (PQtransactionStatus(conn_) == PQTRANS_IDLE) return;
    PQclear(PQexec(conn_, "ROLLBACK"));
}

}  // namespace voxa::store
