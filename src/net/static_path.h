// Static file paths: maps a request path onto a file under a web root, and nothing outside it.
//
//   auto rel = voxa::net::staticRelativePath("/_next/static/app.js");  // "_next/static/app.js"
//   if (rel) if (auto f = voxa::net::resolveUnder("/srv/voxa/web/out", *rel)) serve(*f);
//
// Two steps, so the first can be fuzzed without a file system:
// - staticRelativePath() is lexical. It takes the percent-decoded path and refuses empty
//   segments ("//"), "." and ".." and every other segment starting with a dot, backslashes,
//   colons, control bytes (NUL, CR, LF…) and bytes outside ASCII (so overlong UTF-8 never
//   reaches the file system). A trailing "/" is kept: the caller maps it to index.html.
// - resolveUnder() is blocking (it calls realpath): it resolves every symlink and answers
//   the canonical path only when that path is inside the canonical root and is a regular
//   file. A symlink inside the root that points out of it is refused.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace voxa::net {

/// Longest request path considered for static files.
inline constexpr size_t kMaxStaticPath = 1024;

/// The path relative to the web root ("" for "/"), or nullopt when the path is not one a
/// static file may have.
std::optional<std::string> staticRelativePath(std::string_view decodedPath);

/// The canonical path of `root/rel` when it is a regular file inside the canonical root.
/// `rel` must come from staticRelativePath() (without a trailing slash).
std::optional<std::string> resolveUnder(const std::string& root, std::string_view rel);

/// Whether `root/rel` is a directory inside the canonical root.
bool directoryUnder(const std::string& root, std::string_view rel);

}  // namespace voxa::net
