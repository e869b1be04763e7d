#include "common/time.h"

#include <gtest/gtest.h>

#include "common/ids.h"

namespace voxa {

TEST(Time, FormatsEpochAsIsoWithMillis) {
    EXPECT_EQ(isoFromMs(0), "1970-01-01T00:00:00.000Z");
    EXPECT_EQ(isoFromMs(1700000000123), "2023-11-14T22:13:20.123Z");
}

TEST(Time, ParsesDatesAndOffsets) {
    EXPECT_EQ(parseIsoMs("2023-11-14T22:13:20.123Z"), 1700000000123);
    EXPECT_EQ(parseIsoMs("2023-11-14T23:13:20.123+01:00"), 1700000000123);
    EXPECT_EQ(parseIsoMs("2023-11-14"), parseIsoMs("2023-11-14T00:00:00Z"));
    EXPECT_EQ(normalizeIso("2024-01-01T00:00:00Z"), "2024-01-01T00:00:00.000Z");
    EXPECT_EQ(normalizeIso("2024-02-29T12:00:00.5Z"), "2024-02-29T12:00:00.500Z");
}

TEST(Time, RejectsGarbage) {
    for (auto bad : {"", "yesterday", "2024-13-01", "2024-01-01T25:00:00Z", "2024-01-01T00:00:00Zjunk",
                     "2024-01-01T", "2024/01/01"})
        EXPECT_FALSE(parseIsoMs(bad).has_value()) << bad;
}

TEST(Time, RoundTripsNow) {
    auto now = isoNow();
    EXPECT_EQ(normalizeIso(now), now);
}

TEST(Ids, NewIdsAreTimeOrderedUuidV7) {
    auto a = newId();
    auto b = newId();
    EXPECT_TRUE(isUuid(a));
    EXPECT_EQ(a[14], '7');
    EXPECT_NE(a, b);
    EXPECT_LE(a.substr(0, 13), b.substr(0, 13));  // same or later millisecond
}

TEST(Ids, ValidatesUuids) {
    EXPECT_TRUE(isUuid("123e4567-e89b-12d3-a456-426614174000"));
    EXPECT_FALSE(isUuid("123e4567e89b12d3a456426614174000"));
    EXPECT_FALSE(isUuid("123e4567-e89b-12d3-a456-42661417400g"));
    EXPECT_FALSE(isUuid("../etc/passwd"));
}

TEST(Ids, RandomTokensAreUrlSafe) {
    auto t = randomToken(32);
    EXPECT_EQ(t.size(), 43u);
    EXPECT_EQ(t.find_first_not_of(
                  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
              std::string::npos);
}

}  // namespace voxa
