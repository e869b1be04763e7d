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

}  // namespace voxa::store
