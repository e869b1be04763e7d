// Pure helpers: LIKE escaping and placeholder numbering.
#include "store/list_sql.h"
#include "store/postgres/pg_conn.h"

#include <gtest/gtest.h>

#include <algorithm>

using namespace voxa::store;

TEST(ListSql, LikePatternEscapesWildcardsAndBackslash) {
    EXPECT_EQ(likeSubstringPattern("abc"), "%abc%");
    EXPECT_EQ(likeSubstringPattern("50%_x\\"), "%50\\%\\_x\\\\%");
    EXPECT_EQ(likeSubstringPattern(""), "%%");
}

TEST(ListSql, PlaceholdersAreNumberedOutsideQuotes) {
    EXPECT_EQ(numberPlaceholders("a = ? AND b = ?"), "a = $1 AND b = $2");
    EXPECT_EQ(numberPlaceholders("x = '?' AND \"q?\" = ? ESCAPE '\\'"),
              "x = '?' AND \"q?\" = $1 ESCAPE '\\'");
}

TEST(ListSql, ParametersMatchPlaceholders) {
    ListQuery q;
    q.createdAtGt = "a";
    q.updatedAtLe = "b";
    q.a2 = "c";
    q.idAny = {"1", "2", "3"};
    q.search = "s";
    auto list = buildListQuery(Dialect::Sqlite, "k", "o", q);
    auto count = buildCountQuery(Dialect::Postgres, "k", "o", q);
    auto marks = [](const std::string& s) { return std::count(s.begin(), s.end(), '?'); };
    EXPECT_EQ(marks(list.sql), static_cast<long>(list.params.size()));
    EXPECT_EQ(list.params.size(), 2u + 3u + 3u + 1u + 2u);  // + limit, offset
    EXPECT_EQ(marks(count.sql), static_cast<long>(count.params.size()));
    EXPECT_NE(count.sql.find("ILIKE"), std::string::npos);
    EXPECT_EQ(count.sql.find("LIMIT"), std::string::npos);
}
