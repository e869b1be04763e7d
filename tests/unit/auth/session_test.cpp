// Session tokens and passwords: the pieces Accounts is built from (the sign-in limiter: limiter_test.cpp).
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "auth/jwt.h"
#include "auth/password.h"
#include "common/crypto.h"

namespace voxa::auth {
namespace {

namespace json = boost::json;

std::string b64url(std::string_view raw) {
    std::string s = base64Encode(raw);
    while (!s.empty() && s.back() == '=') s.pop_back();
    for (auto& c : s) c = c == '+' ? '-' : c == '/' ? '_' : c;
    return s;
}

TEST(Jwt, RoundTripsItsClaims) {
    auto t = signJwt({{"sub", "u1"}, {"exp", 2000}}, "key");
    EXPECT_TRUE(looksLikeJwt(t));
    auto c = verifyJwt(t, "key", 1000);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->at("sub"), "u1");
}

TEST(Jwt, RefusesAnotherKeyATamperedPayloadAndAnExpiredToken) {
    auto t = signJwt({{"sub", "u1"}, {"exp", 2000}}, "key");
    EXPECT_FALSE(verifyJwt(t, "other key", 1000));
    EXPECT_FALSE(verifyJwt(t, "key", 2000));  // exp must be in the future
    auto a = t.find('.'), b = t.find('.', a + 1);
    std::string forged = t.substr(0, a + 1) + b64url(R"({"sub":"admin","exp":2000})") + t.substr(b);
    EXPECT_FALSE(verifyJwt(forged, "key", 1000));
}

TEST(Jwt, RefusesAlgNoneAndOtherAlgorithms) {
    std::string payload = b64url(R"({"sub":"u1","exp":2000})");
    EXPECT_FALSE(verifyJwt(b64url(R"({"alg":"none"})") + "." + payload + ".", "key", 1000));
    // Correctly signed with the key, but the header claims HS512: still refused.
    std::string input = b64url(R"({"alg":"HS512","typ":"JWT"})") + "." + payload;
    EXPECT_FALSE(verifyJwt(input + "." + b64url(hmacSha256("key", input)), "key", 1000));
}

TEST(Jwt, RefusesGarbage) {
    for (std::string bad : std::vector<std::string>{"", "a.b", "a.b.c", "...", "a.b.c.d", "eyJ.eyJ.%%%", std::string(5000, 'a') + ".b.c"})
        EXPECT_FALSE(verifyJwt(bad, "key", 1000)) << bad;
    EXPECT_FALSE(looksLikeJwt("3f1c8a7e-1111-4222-8333-444455556666"));  // an API key
}

TEST(Password, EnforcesTheRules) {
    EXPECT_TRUE(passwordProblems("correct horse 42", "ada@example.com").empty());
    EXPECT_FALSE(passwordProblems("short1", "").empty());
    EXPECT_FALSE(passwordProblems("onlyletterslong", "").empty());
    EXPECT_FALSE(passwordProblems("1234567890123", "").empty());
    EXPECT_FALSE(passwordProblems(std::string(129, 'a') + "1", "").empty());
    EXPECT_FALSE(passwordProblems("Ada@Example.com", "ada@example.com").empty());
}

TEST(Password, HashesWithArgon2idAndVerifies) {
    auto h = hashPassword("correct horse 42");
    EXPECT_EQ(h.rfind("$argon2id$", 0), 0u) << h;
    EXPECT_TRUE(verifyPassword(h, "correct horse 42"));
    EXPECT_FALSE(verifyPassword(h, "correct horse 43"));
    EXPECT_NE(hashPassword("correct horse 42"), h);  // salted
}


}  // namespace
}  // namespace voxa::auth
