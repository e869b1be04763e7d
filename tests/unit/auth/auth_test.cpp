#include "auth/auth.h"

#include <gtest/gtest.h>

#include "common/crypto.h"

namespace voxa::auth {

class AuthTest : public ::testing::Test {
protected:
    void SetUp() override {
        store_ = store::open({.databaseUrl = "", .dataDir = ":memory:"});
        store_->migrate();
    }
    std::unique_ptr<store::Store> store_;
};

TEST_F(AuthTest, CreatedOrgKeysResolveToTheirOrgAndKind) {
    Auth auth(*store_);
    auto org = auth.createOrg("Acme");
    auto p = auth.lookup(org.privateKey);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->orgId, org.org.id);
    EXPECT_TRUE(p->isPrivate());
    auto pub = auth.lookup(org.publicKey);
    ASSERT_TRUE(pub);
    EXPECT_EQ(pub->kind, "public");
    EXPECT_FALSE(auth.lookup("not-a-key"));
    EXPECT_FALSE(auth.lookup(""));
}

TEST_F(AuthTest, OnlyTheHashIsStored) {
    Auth auth(*store_);
    auto org = auth.createOrg("Acme");
    for (auto& k : store_->listKeys(org.org.id)) {
        EXPECT_NE(k.hash, org.privateKey);
        EXPECT_EQ(k.hash.size(), 64u);
    }
    EXPECT_TRUE(store_->findKeyByHash(sha256Hex(org.privateKey)));
}

TEST_F(AuthTest, CacheAnswersWithoutTheStoreAndRevocationIsImmediate) {
    Auth auth(*store_);
    auto org = auth.createOrg("Acme");
    EXPECT_FALSE(auth.lookupCached(org.privateKey));  // not looked up yet
    ASSERT_TRUE(auth.lookup(org.privateKey));
    auto cached = auth.lookupCached(org.privateKey);
    ASSERT_TRUE(cached);
    EXPECT_TRUE(auth.revokeKey(org.org.id, cached->keyId));
    EXPECT_FALSE(auth.lookupCached(org.privateKey));
    EXPECT_FALSE(auth.lookup(org.privateKey));
}

TEST_F(AuthTest, KeysOfAnotherStoreInstanceWorkAtOnce) {
    // The CLI creates keys in its own process while the server runs.
    Auth server(*store_);
    Auth cli(*store_);
    auto org = cli.createOrg("Late");
    EXPECT_TRUE(server.lookup(org.privateKey));
}

TEST(Bearer, ParsesTheScheme) {
    EXPECT_EQ(bearerToken("Bearer abc"), "abc");
    EXPECT_EQ(bearerToken("bearer  abc "), "abc");
    EXPECT_EQ(bearerToken("Basic abc"), "");
    EXPECT_EQ(bearerToken("Bearer"), "");
    EXPECT_EQ(bearerToken(""), "");
}

}  // namespace voxa::auth
