#include "api/router.h"

#include <gtest/gtest.h>

namespace voxa::api {

static Awaitable noop(RequestContext&) { co_return net::HttpResponse::json(200, "{}"); }

TEST(Router, MatchesPatternsAndParams) {
    Router r;
    r.add("GET", "/assistant", noop);
    r.add("GET", "/assistant/:id", noop);
    r.add("GET", "/file/:id/content", noop);
    auto m = r.match("GET", "/assistant/abc");
    ASSERT_TRUE(m.handler);
    EXPECT_EQ(m.pattern, "/assistant/:id");
    ASSERT_EQ(m.params.size(), 1u);
    EXPECT_EQ(m.params[0].second, "abc");
    EXPECT_TRUE(r.match("GET", "/assistant/").handler);  // trailing slash = list
    EXPECT_EQ(r.match("GET", "/file/x/content").pattern, "/file/:id/content");
}

TEST(Router, DistinguishesMethodFromPathMismatch) {
    Router r;
    r.add("GET", "/assistant", noop);
    auto wrongMethod = r.match("PUT", "/assistant");
    EXPECT_FALSE(wrongMethod.handler);
    EXPECT_TRUE(wrongMethod.pathMatched);
    auto unknown = r.match("GET", "/nope");
    EXPECT_FALSE(unknown.handler);
    EXPECT_FALSE(unknown.pathMatched);
}

}  // namespace voxa::api
