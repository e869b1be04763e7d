// Identifiers: UUIDv7 (time-ordered, like Vapi's newer ids) and validation.
//
//   std::string id = voxa::newId();          // "019a9046-121e-766d-8b3c-5f0e2a1c9d11"
//   if (!voxa::isUuid(path_id)) ...
//   std::string same = voxa::nameId("end-of-call-report:" + callId);  // the same on every node
#pragma once
#include <string>
#include <string_view>

namespace voxa {

std::string newId();
/// A UUID derived from `name` (SHA-256, version 8): the same name gives the same id on every
/// run and node, so an event made twice (a repair after a crash) can be recognized.
std::string nameId(std::string_view name);
bool isUuid(std::string_view s);
/// `bytes` random bytes, base64url without padding.
std::string randomToken(size_t bytes = 32);

}  // namespace voxa
