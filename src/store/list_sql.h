// SQL for listing/counting resources, shared by both dialects so filter semantics are
// identical. Placeholders are "?" (the Postgres backend renumbers them); only the
// case-insensitive match differs.
#pragma once

#include "store/sql_types.h"
#include "store/store.h"

#include <string>
#include <string_view>
#include <vector>

namespace voxa::store {

enum class Dialect { Sqlite, Postgres };

/// Columns in the order rows are decoded (see rowToResource in each backend).
inline constexpr std::string_view kResourceColumns =
    "id, org_id, kind, created_at, updated_at, body, a1, a2, a3";

struct SqlQuery {
    std::string sql;
    SqlParams params;
};

/// SELECT <columns> ... ORDER BY ... LIMIT ... OFFSET ...
SqlQuery buildListQuery(Dialect d, const std::string& kind, const std::string& orgId,
                        const ListQuery& q);
/// SELECT count(*) with the same filters and no limit/offset.
SqlQuery buildCountQuery(Dialect d, const std::string& kind, const std::string& orgId,
                         const ListQuery& q);

/// "%" + s with \, % and _ escaped + "%": a LIKE pattern matching s as a substring.
std::string likeSubstringPattern(std::string_view s);

}  // namespace voxa::store
