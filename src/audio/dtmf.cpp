#include "audio/dtmf.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>

namespace voxa::audio {

namespace {

bool frequencies(char key, double& low, double& high) {
    static const char* rows[] = {"123A", "456B", "789C", "*0#D"};
    static const double rowHz[] = {697, 770, 852, 941};
    static const double colHz[] = {1209, 1336, 1477, 1633};
    char k = static_cast<char>(std::toupper(static_cast<unsigned char>(key)));
    for (int r = 0; r < 4; ++r)
        for (int c = 0; c < 4; ++c)
            if (rows[r][c] == k) {
                low = rowHz[r];
                high = colHz[c];
                return true;
            }
    return false;
}

}  // namespace

std::string dtmfDigits(std::string_view digits) {
    std::string out;
    double lo, hi;
    for (char c : digits)
        if (c == 'w' || c == 'W') out += 'w';
        else if (frequencies(c, lo, hi)) out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

Samples dtmfTones(std::string_view digits, int rate, int toneMs, int gapMs) {
    Samples out;
    const double amp = 32767 * std::pow(10.0, -9.0 / 20);  // -9 dBFS per tone
    const size_t tone = static_cast<size_t>(rate) * toneMs / 1000;
    const size_t gap = static_cast<size_t>(rate) * gapMs / 1000;
    const size_t ramp = static_cast<size_t>(rate) * 5 / 1000;
    for (char c : dtmfDigits(digits)) {
        if (c == 'w') {
            out.insert(out.end(), static_cast<size_t>(rate) / 2, 0);
            continue;
        }
        double lo = 0, hi = 0;
        frequencies(c, lo, hi);
        for (size_t i = 0; i < tone; ++i) {
            double t = double(i) / rate;
            double env = 1.0;
            if (i < ramp) env = double(i) / ramp;
            else if (tone - i < ramp) env = double(tone - i) / ramp;
            double v = amp * env * (std::sin(2 * M_PI * lo * t) + std::sin(2 * M_PI * hi * t));
            out.push_back(static_cast<int16_t>(std::lround(std::clamp(v, -32768.0, 32767.0))));
        }
        out.insert(out.end(), gap, 0);
    }
    return out;
}

}  // namespace voxa::audio
