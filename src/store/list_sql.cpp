#include "store/list_sql.h"

#include <cstdint>
#include <limits>

namespace voxa::store {
namespace {

// Accumulates a WHERE clause and its parameters with dialect-specific placeholders.
class WhereBuilder {
public:
    explicit WhereBuilder(Dialect d) : dialect_(d) {}

    std::string placeholder(SqlParam p) {
        params_.push_back(std::move(p));
        return "?";
    }

    void add(std::string_view column, std::string_view op, const std::string& value) {
        sql_ += " AND ";
        sql_ += column;
        sql_ += op;
        sql_ += placeholder(value);
    }

    void addOptional(std::string_view column, std::string_view op,
                     const std::optional<std::string>& value) {
        if (value) add(column, op, *value);
    }

    void addFilters(const std::string& kind, const std::string& orgId, const ListQuery& q) {
        sql_ += " WHERE kind = " + placeholder(kind);
        add("org_id", " = ", orgId);
        addOptional("created_at", " > ", q.createdAtGt);
        addOptional("created_at", " < ", q.createdAtLt);
        addOptional("created_at", " >= ", q.createdAtGe);
        addOptional("created_at", " <= ", q.createdAtLe);
        addOptional("updated_at", " > ", q.updatedAtGt);
        addOptional("updated_at", " < ", q.updatedAtLt);
        addOptional("updated_at", " >= ", q.updatedAtGe);
        addOptional("updated_at", " <= ", q.updatedAtLe);
        addOptional("a1", " = ", q.a1);
        addOptional("a2", " = ", q.a2);
        addOptional("a3", " = ", q.a3);
        if (!q.idAny.empty()) {
            sql_ += " AND id IN (";
            for (size_t i = 0; i < q.idAny.size(); ++i) {
                if (i) sql_ += ", ";
                sql_ += placeholder(q.idAny[i]);
            }
            sql_ += ")";
        }
        if (q.search) {
            std::string pattern = likeSubstringPattern(*q.search);
            // lower() on both sides: SQLite's LIKE folds ASCII case only, and the
            // PRAGMA case_sensitive_like could turn even that off.
            if (dialect_ == Dialect::Sqlite)
                sql_ += " AND lower(body) LIKE lower(" + placeholder(pattern) + ") ESCAPE '\\'";
            else
                sql_ += " AND body ILIKE " + placeholder(pattern) + " ESCAPE '\\'";
        }
    }

    SqlQuery finish(std::string head) && {
        return SqlQuery{std::move(head) + sql_, std::move(params_)};
    }

    std::string& sql() { return sql_; }

private:
    Dialect dialect_;
    std::string sql_;
    SqlParams params_;
};

}  // namespace

std::string likeSubstringPattern(std::string_view s) {
    std::string out = "%";
    for (char c : s) {
        if (c == '\\' || c == '%' || c == '_') out += '\\';
        out += c;
    }
    out += '%';
    return out;
}

SqlQuery buildListQuery(Dialect d, const std::string& kind, const std::string& orgId,
                        const ListQuery& q) {
    WhereBuilder w(d);
    w.addFilters(kind, orgId, q);
    w.sql() += q.ascending ? " ORDER BY created_at ASC, id ASC"
                           : " ORDER BY created_at DESC, id DESC";
    // A negative limit means "no limit"; a huge LIMIT works in both dialects.
    int64_t limit = q.limit < 0 ? std::numeric_limits<int64_t>::max() : q.limit;
    int64_t offset = q.offset < 0 ? 0 : q.offset;
    w.sql() += " LIMIT " + w.placeholder(limit);
    w.sql() += " OFFSET " + w.placeholder(offset);
    return std::move(w).finish("SELECT " + std::string(kResourceColumns) + " FROM resources");
}

SqlQuery buildCountQuery(Dialect d, const std::string& kind, const std::string& orgId,
                         const ListQuery& q) {
    WhereBuilder w(d);
    w.addFilters(kind, orgId, q);
    return std::move(w).finish("SELECT count(*) FROM resources");
}

}  // namespace voxa::store
