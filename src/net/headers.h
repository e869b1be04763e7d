// Header values built from input (request headers, uploads, org configuration): what may be
// sent, and the few values Voxa composes from untrusted text.
//
//   if (!net::validHeaderValue(v)) v = "";                      // CR, LF, NUL, controls
//   res.contentType = net::mediaTypeOr(stored, "application/octet-stream");
//   res.headers.push_back({"Content-Disposition", net::attachment("r\xc3\xa9sum\xc3\xa9.pdf")});
//   // attachment; filename="r__sum__.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf
//
// The server refuses to send a header that fails validHeaderName/validHeaderValue (it logs
// and drops it), and the HTTP client refuses to send such a request: header splitting stops
// at the wire whatever a caller forgot.
#pragma once
#include <string>
#include <string_view>

namespace voxa::net {

/// Longest header value Voxa sends or copies (bytes).
inline constexpr size_t kMaxHeaderValue = 8192;

/// An RFC 9110 token (the header-name grammar), 1..256 bytes.
bool validHeaderName(std::string_view name);
/// No CR, LF, NUL or other control character (HTAB is allowed), at most kMaxHeaderValue.
bool validHeaderValue(std::string_view value);

/// `type/subtype` (two RFC 9110 tokens, at most 127 bytes, lower-cased, parameters dropped)
/// if `given` is one; otherwise `fallback`.
std::string mediaTypeOr(std::string_view given, std::string_view fallback);

/// `attachment` with an ASCII filename="..." fallback and an RFC 8187 filename*=UTF-8''...
/// (RFC 6266). Control characters, quotes, backslashes and path separators never reach the
/// header; names are cut at 200 bytes (on a UTF-8 boundary). An empty name gives just
/// "attachment".
std::string attachment(std::string_view filename);

}  // namespace voxa::net
