#include "common/text.h"

namespace voxa {

namespace {

/// Length of the valid UTF-8 sequence at s[i], or 0.
size_t sequenceAt(std::string_view s, size_t i) {
    auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
    auto cont = [&](size_t k) { return i + k < s.size() && (b(k) & 0xC0) == 0x80; };
    unsigned char c = b(0);
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (!cont(1) || !cont(2)) return 0;
        if (c == 0xE0 && b(1) < 0xA0) return 0;   // overlong
        if (c == 0xED && b(1) >= 0xA0) return 0;  // surrogates
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (!cont(1) || !cont(2) || !cont(3)) return 0;
        if (c == 0xF0 && b(1) < 0x90) return 0;   // overlong
        if (c == 0xF4 && b(1) >= 0x90) return 0;  // above U+10FFFF
        return 4;
    }
    return 0;
}

}  // namespace

std::string validUtf8(std::string_view s) {
    std::string out;
    size_t i = 0, copied = 0;
    while (i < s.size()) {
        size_t n = sequenceAt(s, i);
        if (n) {
            i += n;
            continue;
        }
        if (out.empty()) out.reserve(s.size() + 8);
        out.append(s.substr(copied, i - copied));
        out += "\xEF\xBF\xBD";
        copied = ++i;
    }
    if (copied == 0) return std::string(s);
    out.append(s.substr(copied));
    return out;
}

}  // namespace voxa
