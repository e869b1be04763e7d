// Files compiled into the binary (migrations, the Vapi schema subset).
//
//   std::string_view sql = voxa::embedded::get("src/store/migrations/sqlite/0001_init.sql");
//   for (auto& [path, data] : voxa::embedded::all()) ...
//
// The list of files lives in CMakeLists.txt (VOXA_EMBED_FILES).
#pragma once
#include <string_view>
#include <utility>
#include <vector>

namespace voxa::embedded {

const std::vector<std::pair<std::string_view, std::string_view>>& all();

/// Returns the file's bytes, or an empty view if it is not embedded.
inline std::string_view get(std::string_view path) {
    for (auto& [p, d] : all())
        if (p == path) return d;
    return {};
}

}  // namespace voxa::embedded
