#include "net/cors.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace voxa::net {

namespace {

HttpRequest browserRequest(std::string method, std::vector<Header> headers) {
    HttpRequest r;
    r.method = std::move(method);
    r.headers = std::move(headers);
    return r;
}

}  // namespace

TEST(Cors, OriginOfNormalizes) {
    EXPECT_EQ(CorsPolicy::originOf("HTTPS://Voxa.Example.COM:443/dash?x=1"), "https://voxa.example.com");
    EXPECT_EQ(CorsPolicy::originOf("http://127.0.0.1:80"), "http://127.0.0.1");
    EXPECT_EQ(CorsPolicy::originOf("http://127.0.0.1:08080/"), "http://127.0.0.1:8080");
    EXPECT_EQ(CorsPolicy::originOf("http://[::1]:3000"), "http://[::1]:3000");
    EXPECT_FALSE(CorsPolicy::originOf("null"));
    EXPECT_FALSE(CorsPolicy::originOf("file:///etc/passwd"));
    EXPECT_FALSE(CorsPolicy::originOf("http://user@host"));
    EXPECT_FALSE(CorsPolicy::originOf("http://host:99999"));
    EXPECT_FALSE(CorsPolicy::originOf("http://host:"));
    EXPECT_FALSE(CorsPolicy::originOf("http://"));
    EXPECT_FALSE(CorsPolicy::originOf("http://ho st"));
    EXPECT_FALSE(CorsPolicy::originOf("http://a\r\nb"));
}

TEST(Cors, StarMeansKeysFromAnyOriginNeverTheCookie) {
    CorsPolicy p("*", "http://127.0.0.1:8080");
    auto own = p.grant("http://127.0.0.1:8080");
    EXPECT_EQ(own.allowOrigin, "http://127.0.0.1:8080");
    EXPECT_TRUE(own.credentials);
    for (const char* o : {"http://127.0.0.1:9999", "null", "https://evil.example"}) {
        auto g = p.grant(o);
        EXPECT_EQ(g.allowOrigin, "*") << o;
        EXPECT_FALSE(g.credentials) << o;
    }
    EXPECT_EQ(p.grant("").allowOrigin, "");
}

TEST(Cors, ListedOriginsGetCredentialsOthersNothing) {
    CorsPolicy p("https://app.example.com, https://admin.example.com/", "https://voxa.example.com/base");
    EXPECT_TRUE(p.grant("https://app.example.com").credentials);
    EXPECT_TRUE(p.grant("https://admin.example.com").credentials);
    EXPECT_TRUE(p.grant("https://voxa.example.com").credentials);
    EXPECT_EQ(p.grant("https://other.example.com").allowOrigin, "");
    EXPECT_EQ(p.grant("http://app.example.com").allowOrigin, "");  // scheme matters
    EXPECT_EQ(p.grant("null").allowOrigin, "");
}

TEST(Cors, RefusesEntriesThatAreNotOrigins) {
    EXPECT_THROW(CorsPolicy("https://app.example.com/path", ""), std::invalid_argument);
    EXPECT_THROW(CorsPolicy("app.example.com", ""), std::invalid_argument);
    EXPECT_THROW(CorsPolicy("*,ftp://x", ""), std::invalid_argument);
    EXPECT_NO_THROW(CorsPolicy("", "not a url"));
}

TEST(Cors, CookieChangesOnlyFromTrustedPages) {
    CorsPolicy p("*", "http://127.0.0.1:8080");
    auto trusted = [&](std::vector<Header> h) { return p.trustedSource(browserRequest("POST", h)); };
    // Our own page, by the public URL or by the Host it was loaded from.
    EXPECT_TRUE(trusted({{"origin", "http://127.0.0.1:8080"}, {"host", "127.0.0.1:8080"}}));
    EXPECT_TRUE(trusted({{"origin", "http://localhost:8080"}, {"host", "localhost:8080"}}));
    // Same site, another port; another site; the opaque origin.
    EXPECT_FALSE(trusted({{"origin", "http://127.0.0.1:9999"}, {"host", "127.0.0.1:8080"}}));
    EXPECT_FALSE(trusted({{"origin", "https://evil.example"}, {"host", "127.0.0.1:8080"}}));
    EXPECT_FALSE(trusted({{"origin", "null"}, {"host", "127.0.0.1:8080"}}));
    // Host of another scheme is not our own origin.
    EXPECT_FALSE(trusted({{"origin", "https://localhost:8080"}, {"host", "localhost:8080"}}));
    // No Origin: Sec-Fetch-Site, then Referer.
    EXPECT_TRUE(trusted({{"sec-fetch-site", "same-origin"}, {"host", "127.0.0.1:8080"}}));
    EXPECT_FALSE(trusted({{"sec-fetch-site", "same-site"}, {"host", "127.0.0.1:8080"}}));
    EXPECT_FALSE(trusted({{"sec-fetch-site", "cross-site"}}));
    EXPECT_TRUE(trusted({{"referer", "http://127.0.0.1:8080/assistants/"}, {"host", "127.0.0.1:8080"}}));
    EXPECT_FALSE(trusted({{"referer", "http://127.0.0.1:9999/x"}, {"host", "127.0.0.1:8080"}}));
    // Not a browser (curl, an SDK): nothing to check.
    EXPECT_TRUE(trusted({{"host", "127.0.0.1:8080"}}));
}

TEST(Cors, ConfiguredOriginsMayUseTheCookie) {
    CorsPolicy p("https://app.example.com", "https://voxa.example.com");
    EXPECT_TRUE(p.trustedSource(browserRequest("POST", {{"origin", "https://app.example.com"}})));
    EXPECT_FALSE(p.trustedSource(browserRequest("POST", {{"origin", "https://x.example.com"}})));
}

TEST(Cors, UnsafeMethods) {
    for (const char* m : {"POST", "PUT", "PATCH", "DELETE", "PROPFIND"}) EXPECT_TRUE(unsafeMethod(m)) << m;
    for (const char* m : {"GET", "HEAD", "OPTIONS"}) EXPECT_FALSE(unsafeMethod(m)) << m;
}

}  // namespace voxa::net
