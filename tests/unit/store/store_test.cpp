// Behaviour of the Store interface, identical on every backend.
#include "unit/store/store_fixture.h"

using namespace voxa::store;
using namespace voxa::store::test;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

namespace {

class StoreCrudTest : public StoreTest {};

TEST_P(StoreCrudTest, PingAndDialect) {
    EXPECT_TRUE(store_->ping());
    EXPECT_EQ(store_->dialect(), GetParam() == Backend::Postgres ? "postgres" : "sqlite");
}

TEST_P(StoreCrudTest, InsertThenGetRoundTripsEveryField) {
    Resource r = res(orgA, "r1", 5, "phone-number");
    r.updatedAt = ts(7);
    r.body = R"({"id":"r1","name":"Ünïcödé \"quoted\" 'single'"})";
    r.a1 = "+15550001";
    r.a3 = "active";
    store_->insertResource(r);

    auto got = store_->getResource("phone-number", orgA, "r1");
    ASSERT_TRUE(got);
    EXPECT_EQ(got->id, "r1");
    EXPECT_EQ(got->orgId, orgA);
    EXPECT_EQ(got->kind, "phone-number");
    EXPECT_EQ(got->createdAt, ts(5));
    EXPECT_EQ(got->updatedAt, ts(7));
    EXPECT_EQ(got->body, r.body);
    EXPECT_EQ(got->a1, "+15550001");
    EXPECT_EQ(got->a2, "");
    EXPECT_EQ(got->a3, "active");
}

TEST_P(StoreCrudTest, GetRequiresKindOrgAndIdToMatch) {
    store_->insertResource(res(orgA, "r1", 1));
    EXPECT_TRUE(store_->getResource("assistant", orgA, "r1"));
    EXPECT_FALSE(store_->getResource("tool", orgA, "r1"));
    EXPECT_FALSE(store_->getResource("assistant", orgB, "r1"));
    EXPECT_FALSE(store_->getResource("assistant", orgA, "r2"));
}

TEST_P(StoreCrudTest, GetAnyOrgIgnoresTheOrg) {
    store_->insertResource(res(orgB, "call-1", 1, "call"));
    auto got = store_->getResourceAnyOrg("call", "call-1");
    ASSERT_TRUE(got);
    EXPECT_EQ(got->orgId, orgB);
    EXPECT_FALSE(store_->getResourceAnyOrg("assistant", "call-1"));
}

TEST_P(StoreCrudTest, DuplicateInsertsThrow) {
    store_->insertResource(res(orgA, "r1", 1));
    EXPECT_THROW(store_->insertResource(res(orgA, "r1", 2)), StoreError);
    // The key is (kind, id): the same id under another kind is fine.
    EXPECT_NO_THROW(store_->insertResource(res(orgA, "r1", 2, "tool")));
    EXPECT_THROW(store_->insertOrg(org(orgA)), StoreError);

    ApiKey k{.id = "k1", .orgId = orgA, .kind = "private", .name = "n", .hash = "h1",
             .prefix = "p", .createdAt = ts(0), .body = "{}"};
    store_->insertKey(k);
    k.id = "k2";
    EXPECT_THROW(store_->insertKey(k), StoreError);  // same hash
}

TEST_P(StoreCrudTest, ResourcesAndKeysRequireAnExistingOrg) {
    EXPECT_THROW(store_->insertResource(res("no-such-org", "r1", 1)), StoreError);
    ApiKey k{.id = "k1", .orgId = "no-such-org", .kind = "private", .name = "n", .hash = "h",
             .prefix = "p", .createdAt = ts(0), .body = "{}"};
    EXPECT_THROW(store_->insertKey(k), StoreError);
}

TEST_P(StoreCrudTest, UpdateReplacesBodyTimestampAndAttributes) {
    Resource r = res(orgA, "r1", 1);
    r.a1 = "x";
    r.a2 = "y";
    store_->insertResource(r);

    Resource u = r;
    u.body = R"({"id":"r1","v":2})";
    u.updatedAt = ts(9);
    u.createdAt = ts(99);  // ignored: creation time is immutable
    u.a1 = "";
    u.a2 = "z";
    EXPECT_TRUE(store_->updateResource(u));

    auto got = store_->getResource("assistant", orgA, "r1");
    ASSERT_TRUE(got);
    EXPECT_EQ(got->body, u.body);
    EXPECT_EQ(got->updatedAt, ts(9));
    EXPECT_EQ(got->createdAt, ts(1));
    EXPECT_EQ(got->a1, "");
    EXPECT_EQ(got->a2, "z");
    EXPECT_THAT(store_->findByAttr("assistant", 1, "x"), IsEmpty());
}

TEST_P(StoreCrudTest, UpdateOfMissingRowReturnsFalse) {
    store_->insertResource(res(orgA, "r1", 1));
    EXPECT_FALSE(store_->updateResource(res(orgA, "r2", 1)));
    EXPECT_FALSE(store_->updateResource(res(orgB, "r1", 1)));  // other org
    EXPECT_FALSE(store_->updateResource(res(orgA, "r1", 1, "tool")));
}

TEST_P(StoreCrudTest, DeleteReportsWhetherARowWentAway) {
    store_->insertResource(res(orgA, "r1", 1));
    EXPECT_FALSE(store_->deleteResource("assistant", orgB, "r1"));
    EXPECT_TRUE(store_->deleteResource("assistant", orgA, "r1"));
    EXPECT_FALSE(store_->deleteResource("assistant", orgA, "r1"));
    EXPECT_FALSE(store_->getResource("assistant", orgA, "r1"));
}

TEST_P(StoreCrudTest, FindByAttrSearchesAllOrgsNewestFirst) {
    Resource a = res(orgA, "n1", 1, "phone-number");
    a.a1 = "+1555";
    Resource b = res(orgB, "n2", 2, "phone-number");
    b.a1 = "+1555";
    b.a2 = "sipuser";
    Resource c = res(orgB, "n3", 3, "phone-number");
    c.a1 = "+1666";
    c.a3 = "s";
    for (auto& r : {a, b, c}) store_->insertResource(r);

    EXPECT_THAT(ids(store_->findByAttr("phone-number", 1, "+1555")), ElementsAre("n2", "n1"));
    EXPECT_THAT(ids(store_->findByAttr("phone-number", 2, "sipuser")), ElementsAre("n2"));
    EXPECT_THAT(ids(store_->findByAttr("phone-number", 3, "s")), ElementsAre("n3"));
    EXPECT_THAT(store_->findByAttr("assistant", 1, "+1555"), IsEmpty());
    // Empty attributes are NULL, so they never match, not even "".
    EXPECT_THAT(store_->findByAttr("phone-number", 2, ""), IsEmpty());
    EXPECT_THROW(store_->findByAttr("phone-number", 4, "x"), StoreError);
}

TEST_P(StoreCrudTest, OrgsCrud) {
    auto a = store_->getOrg(orgA);
    ASSERT_TRUE(a);
    EXPECT_EQ(a->name, "Org org-a");
    EXPECT_FALSE(store_->getOrg("nope"));

    Org c = org("org-c");
    c.createdAt = ts(5);
    store_->insertOrg(c);
    std::vector<std::string> listed;
    for (auto& o : store_->listOrgs()) listed.push_back(o.id);
    EXPECT_THAT(listed, ElementsAre("org-c", "org-b", "org-a"));  // newest first, then id

    c.name = "Renamed";
    c.updatedAt = ts(6);
    c.body = R"({"concurrencyLimit":3})";
    EXPECT_TRUE(store_->updateOrg(c));
    auto got = store_->getOrg("org-c");
    ASSERT_TRUE(got);
    EXPECT_EQ(got->name, "Renamed");
    EXPECT_EQ(got->updatedAt, ts(6));
    EXPECT_EQ(got->createdAt, ts(5));
    EXPECT_EQ(got->body, c.body);
    EXPECT_FALSE(store_->updateOrg(org("missing")));
}

TEST_P(StoreCrudTest, ApiKeysCrud) {
    ApiKey k1{.id = "k1", .orgId = orgA, .kind = "private", .name = "server", .hash = "h1",
              .prefix = "sk_ab", .createdAt = ts(1), .body = R"({"allowedOrigins":[]})"};
    ApiKey k2{.id = "k2", .orgId = orgA, .kind = "public", .name = "web", .hash = "h2",
              .prefix = "pk_cd", .createdAt = ts(2), .body = "{}"};
    ApiKey k3{.id = "k3", .orgId = orgB, .kind = "private", .name = "b", .hash = "h3",
              .prefix = "sk_ef", .createdAt = ts(3), .body = "{}"};
    for (auto& k : {k1, k2, k3}) store_->insertKey(k);

    auto found = store_->findKeyByHash("h1");
    ASSERT_TRUE(found);
    EXPECT_EQ(found->id, "k1");
    EXPECT_EQ(found->orgId, orgA);
    EXPECT_EQ(found->kind, "private");
    EXPECT_EQ(found->name, "server");
    EXPECT_EQ(found->prefix, "sk_ab");
    EXPECT_EQ(found->createdAt, ts(1));
    EXPECT_EQ(found->body, k1.body);
    EXPECT_FALSE(store_->findKeyByHash("nope"));

    EXPECT_TRUE(store_->getKey(orgA, "k2"));
    EXPECT_FALSE(store_->getKey(orgB, "k2"));

    std::vector<std::string> listed;
    for (auto& k : store_->listKeys(orgA)) listed.push_back(k.id);
    EXPECT_THAT(listed, ElementsAre("k2", "k1"));

    EXPECT_FALSE(store_->deleteKey(orgB, "k1"));
    EXPECT_TRUE(store_->deleteKey(orgA, "k1"));
    EXPECT_FALSE(store_->deleteKey(orgA, "k1"));
    EXPECT_FALSE(store_->findKeyByHash("h1"));
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreCrudTest, VOXA_STORE_BACKENDS);

}  // namespace
