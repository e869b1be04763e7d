// listResources / countResources: ordering, paging and every filter.
#include "unit/store/store_fixture.h"

using namespace voxa::store;
using namespace voxa::store::test;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

namespace {

class StoreListTest : public StoreTest {
protected:
    // r1..r5 created at 10..50 s and updated at 15..55 s in org A; one decoy in org B
    // and one of another kind.
    void seed() {
        for (int i = 1; i <= 5; ++i) {
            Resource r = res(orgA, "r" + std::to_string(i), i * 10);
            r.updatedAt = ts(i * 10 + 5);
            r.a1 = i % 2 ? "odd" : "even";
            r.a2 = "v" + std::to_string(i);
            if (i == 3) r.a3 = "three";
            r.body = R"({"id":"r)" + std::to_string(i) + R"(","name":"Agent )" +
                     std::to_string(i) + R"("})";
            store_->insertResource(r);
        }
        store_->insertResource(res(orgB, "b1", 30));
        store_->insertResource(res(orgA, "t1", 30, "tool"));
    }

    std::vector<std::string> list(const ListQuery& q) {
        return ids(store_->listResources("assistant", orgA, q));
    }
    int64_t count(const ListQuery& q) { return store_->countResources("assistant", orgA, q); }
};

TEST_P(StoreListTest, NewestFirstByDefaultAndOrgIsolated) {
    seed();
    EXPECT_THAT(list({}), ElementsAre("r5", "r4", "r3", "r2", "r1"));
    EXPECT_THAT(ids(store_->listResources("assistant", orgB, {})), ElementsAre("b1"));
    EXPECT_THAT(ids(store_->listResources("tool", orgA, {})), ElementsAre("t1"));
    EXPECT_THAT(ids(store_->listResources("squad", orgA, {})), IsEmpty());
}

TEST_P(StoreListTest, AscendingFlipsBothKeys) {
    seed();
    ListQuery q;
    q.ascending = true;
    EXPECT_THAT(list(q), ElementsAre("r1", "r2", "r3", "r4", "r5"));
}

TEST_P(StoreListTest, EqualTimestampsAreOrderedById) {
    for (auto id : {"b", "c", "a"}) store_->insertResource(res(orgA, id, 1));
    EXPECT_THAT(list({}), ElementsAre("c", "b", "a"));
    ListQuery q;
    q.ascending = true;
    EXPECT_THAT(list(q), ElementsAre("a", "b", "c"));
}

TEST_P(StoreListTest, LimitAndOffset) {
    seed();
    ListQuery q;
    q.limit = 2;
    EXPECT_THAT(list(q), ElementsAre("r5", "r4"));
    q.offset = 2;
    EXPECT_THAT(list(q), ElementsAre("r3", "r2"));
    q.offset = 4;
    EXPECT_THAT(list(q), ElementsAre("r1"));
    q.offset = 5;
    EXPECT_THAT(list(q), IsEmpty());
    q.limit = 0;
    q.offset = 0;
    EXPECT_THAT(list(q), IsEmpty());
    q.limit = -1;  // no limit
    EXPECT_EQ(list(q).size(), 5u);
}

TEST_P(StoreListTest, CreatedAtBounds) {
    seed();
    ListQuery q;
    q.createdAtGt = ts(20);
    EXPECT_THAT(list(q), ElementsAre("r5", "r4", "r3"));
    q = {};
    q.createdAtGe = ts(20);
    EXPECT_THAT(list(q), ElementsAre("r5", "r4", "r3", "r2"));
    q = {};
    q.createdAtLt = ts(40);
    EXPECT_THAT(list(q), ElementsAre("r3", "r2", "r1"));
    q = {};
    q.createdAtLe = ts(40);
    EXPECT_THAT(list(q), ElementsAre("r4", "r3", "r2", "r1"));
    q = {};
    q.createdAtGt = ts(10);
    q.createdAtLt = ts(50);
    EXPECT_THAT(list(q), ElementsAre("r4", "r3", "r2"));
}

TEST_P(StoreListTest, UpdatedAtBounds) {
    seed();
    ListQuery q;
    q.updatedAtGt = ts(25);
    EXPECT_THAT(list(q), ElementsAre("r5", "r4", "r3"));
    q = {};
    q.updatedAtGe = ts(25);
    EXPECT_THAT(list(q), ElementsAre("r5", "r4", "r3", "r2"));
    q = {};
    q.updatedAtLt = ts(45);
    EXPECT_THAT(list(q), ElementsAre("r3", "r2", "r1"));
    q = {};
    q.updatedAtLe = ts(45);
    EXPECT_THAT(list(q), ElementsAre("r4", "r3", "r2", "r1"));
}

TEST_P(StoreListTest, AttributeEquality) {
    seed();
    ListQuery q;
    q.a1 = "odd";
    EXPECT_THAT(list(q), ElementsAre("r5", "r3", "r1"));
    q.a2 = "v3";
    EXPECT_THAT(list(q), ElementsAre("r3"));
    q = {};
    q.a3 = "three";
    EXPECT_THAT(list(q), ElementsAre("r3"));
    q.a3 = "";  // NULL never equals ""
    EXPECT_THAT(list(q), IsEmpty());
}

TEST_P(StoreListTest, IdAny) {
    seed();
    ListQuery q;
    q.idAny = {"r1", "r4", "b1", "missing"};
    EXPECT_THAT(list(q), ElementsAre("r4", "r1"));
    q.idAny = {"r2"};
    EXPECT_THAT(list(q), ElementsAre("r2"));
}

TEST_P(StoreListTest, SearchIsACaseInsensitiveSubstring) {
    seed();
    ListQuery q;
    q.search = "agent 2";
    EXPECT_THAT(list(q), ElementsAre("r2"));
    q.search = "AGENT";
    EXPECT_EQ(list(q).size(), 5u);
    q.search = "nothing like this";
    EXPECT_THAT(list(q), IsEmpty());
}

TEST_P(StoreListTest, SearchTreatsWildcardsLiterally) {
    Resource pct = res(orgA, "pct", 1);
    pct.body = R"({"name":"100% sure"})";
    Resource under = res(orgA, "under", 2);
    under.body = R"({"name":"snake_case"})";
    Resource slash = res(orgA, "slash", 3);
    slash.body = R"({"path":"a\\b"})";
    Resource plain = res(orgA, "plain", 4);
    plain.body = R"({"name":"100 sure snakeXcase ab"})";
    for (auto& r : {pct, under, slash, plain}) store_->insertResource(r);

    ListQuery q;
    q.search = "0%";
    EXPECT_THAT(list(q), ElementsAre("pct"));
    q.search = "e_c";
    EXPECT_THAT(list(q), ElementsAre("under"));
    q.search = "a\\";
    EXPECT_THAT(list(q), ElementsAre("slash"));
    q.search = "%";
    EXPECT_THAT(list(q), ElementsAre("pct"));
}

TEST_P(StoreListTest, CountAppliesFiltersButNotPaging) {
    seed();
    ListQuery q;
    q.limit = 1;
    q.offset = 3;
    EXPECT_EQ(count(q), 5);
    q.a1 = "odd";
    EXPECT_EQ(count(q), 3);
    q.createdAtGt = ts(10);
    EXPECT_EQ(count(q), 2);
    q.search = "agent 5";
    EXPECT_EQ(count(q), 1);
    q = {};
    q.idAny = {"r1", "r2", "b1"};
    EXPECT_EQ(count(q), 2);
    EXPECT_EQ(store_->countResources("assistant", orgB, {}), 1);
    EXPECT_EQ(store_->countResources("squad", orgA, {}), 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreListTest, VOXA_STORE_BACKENDS);

}  // namespace
