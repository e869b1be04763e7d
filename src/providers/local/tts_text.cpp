#include "providers/local/tts_text.h"

namespace voxa::providers::local {

namespace {

bool blank(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

bool continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

/// The largest cut <= `at` in `s` that does not split a UTF-8 character (and is > `from`
/// when possible, so a cut always makes progress).
size_t charBoundary(std::string_view s, size_t from, size_t at) {
    size_t p = at;
    while (p > from && p < s.size() && continuation(s[p])) --p;
    return p > from ? p : at;
}

std::string_view trim(std::string_view s) {
    size_t b = 0, e = s.size();
    while (b < e && blank(s[b])) ++b;
    while (e > b && blank(s[e - 1])) --e;
    return s.substr(b, e - b);
}

/// Appends `s` (trimmed) to `out` in pieces of at most `max` bytes (see splitSentences).
void appendBounded(std::string_view s, size_t max, std::vector<std::string>& out) {
    s = trim(s);
    while (s.size() > max) {
        size_t cut = std::string_view::npos;
        // A clause end in the second half keeps the prosody natural...
        for (size_t i = max - 1; i >= max / 2 && i > 0; --i) {
            char c = s[i];
            if ((c == ',' || c == ';' || c == ':') && blank(s[i + 1])) {
                cut = i + 1;
                break;
            }
        }
        // ...else the last blank before the limit, else (no blank: only with a tiny `max`
        // or words longer than it) a character boundary.
        if (cut == std::string_view::npos) {
            for (size_t i = max; i > 0; --i) {
                if (blank(s[i])) {
                    cut = i;
                    break;
                }
            }
        }
        if (cut == std::string_view::npos) cut = charBoundary(s, 0, max);
        auto head = trim(s.substr(0, cut));
        if (!head.empty()) out.emplace_back(head);
        s = trim(s.substr(cut));
    }
    if (!s.empty()) out.emplace_back(s);
}

}  // namespace

size_t truncateUtterance(std::string& text, size_t limit) {
    if (text.size() <= limit) return 0;
    size_t cut = charBoundary(text, 0, limit);
    for (size_t i = limit; i > 0 && limit - i <= kMaxWordBytes; --i) {
        if (blank(text[i])) {
            cut = i;
            break;
        }
    }
    size_t dropped = text.size() - cut;
    text.resize(cut);
    return dropped;
}

std::string breakLongWords(std::string_view text, size_t maxWord) {
    if (maxWord == 0) maxWord = 1;
    std::string out;
    out.reserve(text.size() + text.size() / maxWord + 1);
    size_t i = 0;
    while (i < text.size()) {
        if (blank(text[i])) {
            out.push_back(text[i++]);
            continue;
        }
        size_t end = i;
        while (end < text.size() && !blank(text[end])) ++end;
        // One word [i, end): out in pieces of at most maxWord bytes.
        while (end - i > maxWord) {
            size_t cut = charBoundary(text, i, i + maxWord);
            out.append(text.substr(i, cut - i));
            out.push_back(' ');
            i = cut;
        }
        out.append(text.substr(i, end - i));
        i = end;
    }
    return out;
}

std::vector<std::string> splitSentences(std::string_view text, size_t maxSentence) {
    if (maxSentence < 2) maxSentence = 2;
    std::string words = breakLongWords(text);
    std::string_view s = words;
    std::vector<std::string> out;
    size_t start = 0;
    for (size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (c == '\n') {
            appendBounded(s.substr(start, i - start), maxSentence, out);
            start = i + 1;
            continue;
        }
        bool end = c == '.' || c == '!' || c == '?' || c == ';';
        if (end && (i + 1 == s.size() || blank(s[i + 1]))) {
            appendBounded(s.substr(start, i + 1 - start), maxSentence, out);
            start = i + 1;
        }
    }
    appendBounded(s.substr(start), maxSentence, out);
    return out;
}

}  // namespace voxa::providers::local
