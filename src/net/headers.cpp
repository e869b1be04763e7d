#include "net/headers.h"

#include <algorithm>
#include <cctype>
#include <cstring>

namespace voxa::net {

namespace {

bool tokenChar(unsigned char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return c != 0 && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

bool token(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(),
                                     [](char c) { return tokenChar(static_cast<unsigned char>(c)); });
}

bool control(unsigned char c) { return c < 0x20 || c == 0x7f; }

// RFC 8187 attr-char: what filename*= may carry without percent-encoding.
bool attrChar(unsigned char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return c != 0 && std::strchr("!#$&+-.^_`|~", c) != nullptr;
}

}  // namespace

bool validHeaderName(std::string_view name) { return name.size() <= 256 && token(name); }

bool validHeaderValue(std::string_view value) {
    if (value.size() > kMaxHeaderValue) return false;
    for (char ch : value) {
        auto c = static_cast<unsigned char>(ch);
        if (control(c) && c != '\t') return false;
    }
    return true;
}

std::string mediaTypeOr(std::string_view given, std::string_view fallback) {
    auto semi = given.find(';');
    auto type = given.substr(0, semi);
    while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.remove_prefix(1);
    while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
    auto slash = type.find('/');
    // The parameters are dropped, but they must not hide a control character either.
    if (type.size() > 127 || slash == std::string_view::npos || !token(type.substr(0, slash)) ||
        !token(type.substr(slash + 1)) || !validHeaderValue(given))
        return std::string(fallback);
    std::string out(type);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string attachment(std::string_view filename) {
    size_t cut = std::min<size_t>(filename.size(), 200);
    while (cut > 0 && cut < filename.size() &&
           (static_cast<unsigned char>(filename[cut]) & 0xC0) == 0x80)
        --cut;  // not inside a UTF-8 sequence
    filename = filename.substr(0, cut);
    std::string ascii, ext;
    bool plain = true;  // the ASCII form says it all
    static const char* hex = "0123456789ABCDEF";
    for (char ch : filename) {
        auto c = static_cast<unsigned char>(ch);
        if (control(c)) {
            plain = false;
            continue;
        }
        if (c == '/' || c == '\\') c = '_';
        bool printable = c >= 0x20 && c < 0x7f && c != '"' && c != '%';
        ascii.push_back(printable ? static_cast<char>(c) : '_');
        plain = plain && printable;
        if (attrChar(c)) {
            ext.push_back(static_cast<char>(c));
        } else {
            ext.push_back('%');
            ext.push_back(hex[c >> 4]);
            ext.push_back(hex[c & 15]);
        }
    }
    if (ascii.empty()) return "attachment";
    std::string out = "attachment; filename=\"" + ascii + "\"";
    if (!plain) out += "; filename*=UTF-8''" + ext;
    return out;
}

}  // namespace voxa::net
