#include "common/url.h"

#include <gtest/gtest.h>

namespace voxa::url {

TEST(Url, PercentDecodeKeepsInvalidEscapes) {
    EXPECT_EQ(percentDecode("/a%20b%2Fc"), "/a b/c");
    EXPECT_EQ(percentDecode("a+b"), "a+b");
    EXPECT_EQ(percentDecode("a+b", true), "a b");
    EXPECT_EQ(percentDecode("100%"), "100%");
    EXPECT_EQ(percentDecode("%zz%4"), "%zz%4");
}

TEST(Url, QueryParamsAreDecodedAndFirstWins) {
    std::string_view q = "limit=5&createdAtGt=2024-01-01T00%3A00%3A00Z&&flag&limit=9";
    EXPECT_EQ(queryParam(q, "limit"), "5");
    EXPECT_EQ(queryParam(q, "createdAtGt"), "2024-01-01T00:00:00Z");
    EXPECT_EQ(queryParam(q, "flag"), "");
    EXPECT_FALSE(queryParam(q, "missing"));
    EXPECT_EQ(queryKeys(q), (std::vector<std::string>{"limit", "createdAtGt", "flag", "limit"}));
}

}  // namespace voxa::url
