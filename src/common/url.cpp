#include "common/url.h"

#include <cctype>

namespace voxa::url {

namespace {
int hexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Calls fn(pair) for each '&'-separated, non-empty piece of the query.
template <class F>
void forEachPair(std::string_view q, F fn) {
    while (!q.empty()) {
        size_t amp = q.find('&');
        std::string_view pair = q.substr(0, amp);
        if (!pair.empty() && fn(pair)) return;
        if (amp == std::string_view::npos) break;
        q.remove_prefix(amp + 1);
    }
}
}  // namespace

std::string percentDecode(std::string_view s, bool plusIsSpace) {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size(); ++i) {
        if (plusIsSpace && s[i] == '+') {
            out.push_back(' ');
        } else if (s[i] == '%' && i + 2 < s.size() && hexValue(s[i + 1]) >= 0 &&
                   hexValue(s[i + 2]) >= 0) {
            out.push_back(static_cast<char>(hexValue(s[i + 1]) * 16 + hexValue(s[i + 2])));
            i += 2;
        } else {
            out.push_back(s[i]);
        }
    }
    return out;
}

std::string percentEncode(std::string_view s) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    out.reserve(s.size());
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

std::optional<std::string> queryParam(std::string_view query, std::string_view name) {
    std::optional<std::string> found;
    forEachPair(query, [&](std::string_view pair) {
        size_t eq = pair.find('=');
        if (percentDecode(pair.substr(0, eq), true) != name) return false;
        found = eq == std::string_view::npos ? std::string()
                                             : percentDecode(pair.substr(eq + 1), true);
        return true;
    });
    return found;
}

std::vector<std::string> queryKeys(std::string_view query) {
    std::vector<std::string> keys;
    forEachPair(query, [&](std::string_view pair) {
        keys.push_back(percentDecode(pair.substr(0, pair.find('=')), true));
        return false;
    });
    return keys;
}

}  // namespace voxa::url
