// Percent-decoding and query strings, shared by the HTTP server, the API router and the
// transports.
//
//   std::string path = voxa::url::percentDecode("/a%20b");                 // "/a b"
//   auto token = voxa::url::queryParam("token=abc&x=1", "token");          // "abc"
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace voxa::url {

/// Decodes %XX escapes (invalid ones are kept as they are); with plusIsSpace, '+' -> ' '
/// as in application/x-www-form-urlencoded query strings.
std::string percentDecode(std::string_view s, bool plusIsSpace = false);
/// Percent-encodes everything but RFC 3986 unreserved characters (query keys and values).
std::string percentEncode(std::string_view s);
/// The decoded value of the first `name=` in a raw query string (without '?').
std::optional<std::string> queryParam(std::string_view query, std::string_view name);
/// The decoded names of all parameters, in order.
std::vector<std::string> queryKeys(std::string_view query);

}  // namespace voxa::url
