// The webhook outbox table on every backend: heads of line per order key, due times,
// leases, updates, listing and pruning.
#include "store_fixture.h"

namespace voxa::store::test {
namespace {

class StoreOutboxTest : public StoreTest {
protected:
    static OutboxEvent ev(const std::string& id, const std::string& key, int64_t seq,
                          int64_t next = 1000) {
        return OutboxEvent{.id = id, .orgId = orgA, .orderKey = key, .seq = seq, .type = "status-update",
                           .target = R"({"url":"http://127.0.0.1:1/"})", .body = R"({"message":{}})",
                           .status = "pending", .attempts = 0, .nextAttemptMs = next,
                           .expiresMs = 1'000'000, .createdAt = ts(int(seq)), .updatedAt = ts(int(seq))};
    }
    static std::vector<std::string> idsOf(const std::vector<OutboxEvent>& v) {
        std::vector<std::string> out;
        for (auto& e : v) out.push_back(e.id);
        return out;
    }
};

TEST_P(StoreOutboxTest, OnlyTheHeadOfEachCallIsDueAndInSeqOrder) {
    store_->insertEvents({ev("a1", "call-a", 1), ev("b1", "call-b", 2), ev("a2", "call-a", 3),
                          ev("b2", "call-b", 4), ev("c1", "call-c", 5, 5000)});
    EXPECT_THAT(idsOf(store_->dueEvents(1000, 10)), ::testing::ElementsAre("a1", "b1"));
    // c1 is not due before 5000.
    EXPECT_THAT(idsOf(store_->dueEvents(5000, 10)), ::testing::ElementsAre("a1", "b1", "c1"));
    EXPECT_THAT(idsOf(store_->dueEvents(1000, 1)), ::testing::ElementsAre("a1"));

    auto a1 = *store_->getEvent("a1");
    a1.status = "delivered";
    a1.attempts = 1;
    a1.lastStatus = 200;
    a1.updatedAt = ts(100);
    store_->updateEvent(a1);
    EXPECT_THAT(idsOf(store_->dueEvents(1000, 10)), ::testing::ElementsAre("b1", "a2"));

    // A failed head releases its followers too.
    auto b1 = *store_->getEvent("b1");
    b1.status = "failed";
    b1.attempts = 3;
    b1.lastStatus = 500;
    b1.lastError = "HTTP 500";
    b1.updatedAt = ts(100);
    store_->updateEvent(b1);
    EXPECT_THAT(idsOf(store_->dueEvents(1000, 10)), ::testing::ElementsAre("a2", "b2"));
    auto got = *store_->getEvent("b1");
    EXPECT_EQ(got.status, "failed");
    EXPECT_EQ(got.attempts, 3);
    EXPECT_EQ(got.lastStatus, 500);
    EXPECT_EQ(got.lastError, "HTTP 500");
}

TEST_P(StoreOutboxTest, ARetryLaterBlocksTheCallButNotOthers) {
    store_->insertEvents({ev("a1", "call-a", 1), ev("a2", "call-a", 2), ev("b1", "call-b", 3)});
    auto a1 = *store_->getEvent("a1");
    a1.attempts = 1;
    a1.nextAttemptMs = 3000;  // retry at 3000
    a1.updatedAt = ts(10);
    store_->updateEvent(a1);
    EXPECT_THAT(idsOf(store_->dueEvents(2000, 10)), ::testing::ElementsAre("b1"));
    // Most overdue first.
    EXPECT_THAT(idsOf(store_->dueEvents(3000, 10)), ::testing::ElementsAre("b1", "a1"));
}

TEST_P(StoreOutboxTest, ClaimsAreLeases) {
    store_->insertEvents({ev("a1", "call-a", 1)});
    EXPECT_TRUE(store_->claimEvent("a1", 1000, 2000));
    EXPECT_FALSE(store_->claimEvent("a1", 1500, 2500)) << "held by the first worker";
    EXPECT_TRUE(store_->dueEvents(1500, 10).empty()) << "a claimed event is not handed out";
    EXPECT_THAT(idsOf(store_->dueEvents(2001, 10)), ::testing::ElementsAre("a1")) << "lease over";
    EXPECT_TRUE(store_->claimEvent("a1", 2001, 3000));
    store_->releaseClaims();
    EXPECT_THAT(idsOf(store_->dueEvents(1000, 10)), ::testing::ElementsAre("a1"));
    // updateEvent releases the claim.
    EXPECT_TRUE(store_->claimEvent("a1", 1000, 9000));
    auto a1 = *store_->getEvent("a1");
    a1.attempts = 1;
    a1.nextAttemptMs = 1000;
    store_->updateEvent(a1);
    EXPECT_TRUE(store_->claimEvent("a1", 1000, 9000));
}

// #20 finding 1: a batch stored again (its first try's outcome unknown) is harmless: rows
// stored already stay as they are (delivered ones too), the missing ones are added. (A batch
// refused midway leaving nothing behind: webhooks_test, with a SQLite trigger.)
TEST_P(StoreOutboxTest, StoringABatchAgainKeepsTheStoredRowsAndAddsTheMissingOnes) {
    std::vector<OutboxEvent> batch;
    for (int i = 0; i < 250; ++i) batch.push_back(ev("e" + std::to_string(i), "call-x", 10 + i));
    store_->insertEvents(std::vector<OutboxEvent>(batch.begin(), batch.begin() + 220));
    auto e0 = *store_->getEvent("e0");
    e0.status = "delivered";
    e0.attempts = 1;
    store_->updateEvent(e0);
    store_->insertEvents(batch);  // again, whole
    EXPECT_EQ(store_->listEvents(orgA, "call-x", "", 1000).size(), 250u);
    EXPECT_EQ(store_->getEvent("e0")->status, "delivered") << "a stored row is not replaced";
    EXPECT_EQ(store_->getEvent("e0")->attempts, 1);
}

TEST_P(StoreOutboxTest, ListsByCallAndStatusAndPrunesFinishedEvents) {
    std::vector<OutboxEvent> many;
    for (int i = 0; i < 450; ++i) many.push_back(ev("e" + std::to_string(i), "call-x", 10 + i));
    store_->insertEvents(many);  // one transaction of three statements
    many.clear();
    auto other = ev("o1", "call-y", 1);
    other.orgId = orgB;
    store_->insertEvents({other});
    EXPECT_EQ(store_->listEvents(orgA, "call-x", "", 1000).size(), 450u);
    EXPECT_EQ(store_->listEvents(orgA, "", "", 1000).size(), 450u) << "org B's event is not listed";
    EXPECT_EQ(store_->listEvents(orgA, "call-x", "", 5).front().id, "e0");
    auto e0 = *store_->getEvent("e0");
    e0.status = "delivered";
    e0.updatedAt = ts(1);
    store_->updateEvent(e0);
    EXPECT_EQ(store_->listEvents(orgA, "call-x", "delivered", 10).size(), 1u);
    EXPECT_EQ(store_->pruneEvents(ts(2)), 1);
    EXPECT_FALSE(store_->getEvent("e0").has_value());
    EXPECT_EQ(store_->pruneEvents(ts(2)), 0) << "pending events are never pruned";
}

TEST_P(StoreOutboxTest, OldLogsAreDeletedAcrossOrgsAndOtherKindsStay) {
    auto log = [](const std::string& org, const std::string& id, int created) {
        return Resource{.id = id, .orgId = org, .kind = "log", .createdAt = ts(created),
                        .updatedAt = ts(created), .body = "{}", .a1 = "", .a2 = "", .a3 = ""};
    };
    store_->insertResources({log(orgA, "l1", 1), log(orgB, "l2", 2), log(orgA, "l3", 10)});
    store_->insertResource(res(orgA, "a1", 1));  // an assistant as old as the logs
    EXPECT_EQ(store_->deleteResourcesBefore("log", ts(5)), 2);
    EXPECT_FALSE(store_->getResource("log", orgA, "l1"));
    EXPECT_FALSE(store_->getResource("log", orgB, "l2"));
    EXPECT_TRUE(store_->getResource("log", orgA, "l3"));
    EXPECT_TRUE(store_->getResource("assistant", orgA, "a1"));
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreOutboxTest, VOXA_STORE_BACKENDS);

}  // namespace
}  // namespace voxa::store::test
