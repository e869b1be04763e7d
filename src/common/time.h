// Wall-clock helpers. Timestamps in the API are ISO-8601 UTC with milliseconds.
//
//   std::string now = voxa::isoNow();                 // "2026-11-24T03:57:58.123Z"
//   auto norm = voxa::normalizeIso("2024-01-01");     // "2024-01-01T00:00:00.000Z"
#pragma once
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace voxa {

int64_t epochMs();
std::string isoFromMs(int64_t ms);
inline std::string isoNow() { return isoFromMs(epochMs()); }
/// Parses an ISO-8601 date or date-time (Z or ±hh:mm offset, optional fraction).
std::optional<int64_t> parseIsoMs(std::string_view s);
/// Parses and re-formats in the canonical form, or nullopt if it is not a date.
std::optional<std::string> normalizeIso(std::string_view s);
/// Seconds rounded to the millisecond, as the API reports durations and offsets.
inline double round3(double seconds) { return std::round(seconds * 1000) / 1000; }

}  // namespace voxa
