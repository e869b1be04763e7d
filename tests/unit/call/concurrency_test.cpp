#include "call/concurrency.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

using voxa::call::Concurrency;
using voxa::call::concurrencyLimitOf;

TEST(Concurrency, GrantsUpToTheLimitPerOrg) {
    Concurrency c;
    std::vector<std::shared_ptr<void>> held;
    int before = -1;
    for (int i = 0; i < 3; ++i) {
        auto s = c.tryAcquire("org-a", 3, before);
        ASSERT_TRUE(s);
        EXPECT_EQ(before, i);
        held.push_back(s);
    }
    EXPECT_FALSE(c.tryAcquire("org-a", 3, before));
    EXPECT_EQ(before, 3);
    EXPECT_TRUE(c.tryAcquire("org-b", 3, before)) << "another org has its own slots";
    EXPECT_EQ(c.active("org-a"), 3);
}

TEST(Concurrency, TheLastOwnerGivesTheSlotBack) {
    Concurrency c;
    int before = 0;
    auto s = c.tryAcquire("org", 1, before);
    ASSERT_TRUE(s);
    auto copy = s;  // e.g. the pending entry and the session
    s.reset();
    EXPECT_FALSE(c.tryAcquire("org", 1, before));
    copy.reset();
    EXPECT_EQ(c.active("org"), 0);
    EXPECT_TRUE(c.tryAcquire("org", 1, before));
}

TEST(Concurrency, SlotsOutliveTheTable) {
    std::shared_ptr<void> s;
    {
        Concurrency c;
        int before = 0;
        s = c.tryAcquire("org", 1, before);
    }
    s.reset();  // no use after free (ASan build)
    SUCCEED();
}

TEST(Concurrency, ZeroLimitGrantsNothing) {
    Concurrency c;
    int before = 0;
    EXPECT_FALSE(c.tryAcquire("org", 0, before));
    EXPECT_EQ(c.active("org"), 0);
}

TEST(Concurrency, RacingRequestsNeverPassTheLimit) {
    Concurrency c;
    constexpr int kLimit = 10, kThreads = 8, kTries = 2000;
    std::atomic<int> over{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < kTries; ++i) {
                int before = 0;
                auto s = c.tryAcquire("org", kLimit, before);
                if (s && c.active("org") > kLimit) ++over;
            }
        });
    for (auto& th : threads) th.join();
    EXPECT_EQ(over.load(), 0);
    EXPECT_EQ(c.active("org"), 0);

    // All at once while nothing is released: exactly kLimit grants.
    std::vector<std::shared_ptr<void>> held(kThreads * 4);
    std::atomic<int> granted{0};
    threads.clear();
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 4; ++i) {
                int before = 0;
                if ((held[t * 4 + i] = c.tryAcquire("org", kLimit, before))) ++granted;
            }
        });
    for (auto& th : threads) th.join();
    EXPECT_EQ(granted.load(), kLimit);
}

TEST(Concurrency, LimitOfAnOrgBody) {
    EXPECT_EQ(concurrencyLimitOf(R"({"concurrencyLimit":3})"), 3);
    EXPECT_EQ(concurrencyLimitOf(R"({"concurrencyLimit":2.9})"), 2);
    EXPECT_EQ(concurrencyLimitOf(R"({"name":"x"})"), 10) << "Vapi's default";
    EXPECT_EQ(concurrencyLimitOf(R"({"concurrencyLimit":null})"), 10);
    EXPECT_EQ(concurrencyLimitOf(R"({"concurrencyLimit":"5"})"), 10);
    EXPECT_EQ(concurrencyLimitOf(R"({"concurrencyLimit":-4})"), 0);
    EXPECT_EQ(concurrencyLimitOf(R"({"concurrencyLimit":1e300})"), 2147483647);
    EXPECT_EQ(concurrencyLimitOf(""), 10);
    EXPECT_EQ(concurrencyLimitOf("not json"), 10);
}
