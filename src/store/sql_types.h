// Small types both SQL backends share: bound parameters and result rows.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <variant>
#include <vector>

namespace voxa::store {

/// A bound SQL parameter: NULL, text or integer.
using SqlParam = std::variant<std::monostate, std::string, int64_t>;
using SqlParams = std::vector<SqlParam>;

/// Empty attributes are stored as NULL (see Resource::a1).
inline SqlParam textOrNull(const std::string& s) {
    return s.empty() ? SqlParam{} : SqlParam{s};
}

/// The current row of a result; columns are 0-based, NULL reads as "".
class SqlRow {
public:
    virtual ~SqlRow() = default;
    virtual std::string text(int col) const = 0;
};

using RowFn = std::function<void(const SqlRow&)>;

/// One statement of a transaction (SqlStore::changeAtomically).
struct SqlStatement {
    std::string sql;
    SqlParams params;
};

/// Whether a data-changing statement may be sent again when the connection broke after it
/// was sent, so that whether it ran is unknown. Only when running it twice leaves the same
/// rows as running it once (absolute updates, INSERT ... ON CONFLICT DO NOTHING); anything
/// else fails instead, and its caller decides.
enum class Replay { Unsafe, Safe };

}  // namespace voxa::store
