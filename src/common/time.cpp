#include "common/time.h"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace voxa {

int64_t epochMs() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string isoFromMs(int64_t ms) {
    time_t secs = static_cast<time_t>(ms / 1000);
    int frac = static_cast<int>(ms % 1000);
    if (frac < 0) { frac += 1000; secs -= 1; }
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
    return buf;
}

static bool digits(std::string_view s, size_t pos, size_t n, int& out) {
    if (pos + n > s.size()) return false;
    out = 0;
    for (size_t i = pos; i < pos + n; ++i) {
        if (s[i] < '0' || s[i] > '9') return false;
        out = out * 10 + (s[i] - '0');
    }
    return true;
}

std::optional<int64_t> parseIsoMs(std::string_view s) {
    int Y, M, D, h = 0, m = 0, sec = 0, ms = 0;
    if (!digits(s, 0, 4, Y) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2, M) || s[7] != '-' ||
        !digits(s, 8, 2, D))
        return std::nullopt;
    size_t p = 10;
    int offsetMin = 0;
    if (p < s.size()) {
        if (s[p] != 'T' && s[p] != 't' && s[p] != ' ') return std::nullopt;
        ++p;
        if (!digits(s, p, 2, h) || p + 2 >= s.size() || s[p + 2] != ':' || !digits(s, p + 3, 2, m))
            return std::nullopt;
        p += 5;
        if (p < s.size() && s[p] == ':') {
            if (!digits(s, p + 1, 2, sec)) return std::nullopt;
            p += 3;
            if (p < s.size() && s[p] == '.') {
                ++p;
                int scale = 100;
                size_t start = p;
                while (p < s.size() && s[p] >= '0' && s[p] <= '9') {
                    ms += (s[p] - '0') * scale;
                    scale /= 10;
                    ++p;
                }
                if (p == start) return std::nullopt;
            }
        }
        if (p < s.size()) {
            if (s[p] == 'Z' || s[p] == 'z') {
                ++p;
            } else if (s[p] == '+' || s[p] == '-') {
                int oh, om;
                int sign = s[p] == '-' ? -1 : 1;
                if (!digits(s, p + 1, 2, oh)) return std::nullopt;
                size_t q = p + 3;
                if (q < s.size() && s[q] == ':') ++q;
                if (!digits(s, q, 2, om)) return std::nullopt;
                offsetMin = sign * (oh * 60 + om);
                p = q + 2;
            } else {
                return std::nullopt;
            }
        }
        if (p != s.size()) return std::nullopt;
    }
    if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60) return std::nullopt;
    // days from civil (Howard Hinnant's algorithm)
    int y = Y - (M <= 2);
    int era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = static_cast<unsigned>(y - era * 400);
    unsigned doy = (153 * (M + (M > 2 ? -3 : 9)) + 2) / 5 + D - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = int64_t(era) * 146097 + int64_t(doe) - 719468;
    int64_t total = ((days * 24 + h) * 60 + m - offsetMin) * 60 + sec;
    return total * 1000 + ms;
}

std::optional<std::string> normalizeIso(std::string_view s) {
    auto ms = parseIsoMs(s);
    if (!ms) return std::nullopt;
    return isoFromMs(*ms);
}

}  // namespace voxa
