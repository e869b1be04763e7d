// Passwords: argon2id (libsodium, interactive limits) and the strength rules the API enforces.
//
//   auto errors = voxa::auth::passwordProblems(pw, email);   // empty = acceptable
//   std::string h = voxa::auth::hashPassword(pw);            // blocking, ~0.1 s, 64 MiB
//   if (voxa::auth::verifyPassword(h, pw)) ...               // blocking, same cost
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace voxa::auth {

/// Why a password is refused, as API error messages (empty = acceptable): 10 to 128
/// characters, not the email, at least one letter and one digit or symbol.
std::vector<std::string> passwordProblems(std::string_view password, std::string_view email);
std::string hashPassword(std::string_view password);
bool verifyPassword(const std::string& hash, std::string_view password);
/// A hash of a random password, to spend the same time on unknown emails as on known ones.
const std::string& decoyHash();

}  // namespace voxa::auth
