// Session tokens: compact JWS with HS256 (RFC 7519), nothing else accepted.
//
//   std::string t = voxa::auth::signJwt({{"sub", userId}, {"exp", now + 3600}}, key);
//   if (auto claims = voxa::auth::verifyJwt(t, key, nowSeconds)) claims->at("sub") ...
//
// verifyJwt refuses any other algorithm (including "none"), a bad signature, a malformed
// token and an `exp` that is not in the future.
#pragma once
#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace voxa::auth {

std::string signJwt(const boost::json::object& claims, std::string_view key);
std::optional<boost::json::object> verifyJwt(std::string_view token, std::string_view key,
                                             int64_t nowSeconds);
/// Does this bearer value look like a JWT (three dot-separated parts) rather than an API key?
bool looksLikeJwt(std::string_view token);

}  // namespace voxa::auth
