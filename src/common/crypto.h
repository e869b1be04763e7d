// Hashes and MACs on OpenSSL 3 (EVP only).
//
//   std::string h = voxa::sha256Hex(apiKey);
//   std::string sig = voxa::hmacSha256Hex(secret, body);
//   if (voxa::constantTimeEquals(a, b)) ...
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace voxa {

std::string sha256(std::string_view data);  // raw 32 bytes
std::string sha256Hex(std::string_view data);
std::string hmacSha256(std::string_view key, std::string_view data);  // raw 32 bytes
std::string hmacSha256Hex(std::string_view key, std::string_view data);
/// HMAC with an OpenSSL digest name ("SHA256", "SHA512", "SHA1"); raw bytes.
std::string hmac(std::string_view digestName, std::string_view key, std::string_view data);
std::string toHex(std::string_view raw);
std::string base64Encode(std::string_view raw);
/// Standard base64 with padding; nullopt if malformed.
std::optional<std::string> base64Decode(std::string_view text);
bool constantTimeEquals(std::string_view a, std::string_view b);

}  // namespace voxa
