// Text helpers.
//
//   std::string ok = voxa::validUtf8(modelOutput);   // "caf\xE9" -> "caf\uFFFD"
#pragma once
#include <string>
#include <string_view>

namespace voxa {

/// `s` with every byte that does not start or continue a valid UTF-8 sequence (overlong
/// forms, surrogates and code points above U+10FFFF included) replaced by U+FFFD, so it
/// can go into JSON and to any provider. Valid input is returned unchanged.
std::string validUtf8(std::string_view s);

}  // namespace voxa
