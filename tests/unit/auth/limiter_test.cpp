// The sign-in limiter and the per-address rate limit, on the test's clock.
#include "auth/limiter.h"

#include <gtest/gtest.h>

namespace voxa::auth {
namespace {

constexpr int64_t kT0 = 1'800'000'000'000;

TEST(LoginLimiter, FailuresSlowThePairDownWithGrowingDelaysButNeverLockTheAccount) {
    LoginLimiter lim;
    int64_t t = kT0;
    for (int i = 0; i < 4; ++i) {
        EXPECT_EQ(lim.check("ada@x.io", "1.1.1.1", t).refuseSeconds, 0) << i;
        lim.failed("ada@x.io", "1.1.1.1", t);
    }
    lim.failed("ada@x.io", "1.1.1.1", t);  // the fifth: 1 s before the next try
    auto d = lim.check("ada@x.io", "1.1.1.1", t);
    EXPECT_EQ(d.refuseSeconds, 1);
    EXPECT_EQ(d.waitMs, 0);
    // Another address is not affected: the owner signs in from home.
    EXPECT_EQ(lim.check("ada@x.io", "2.2.2.2", t).refuseSeconds, 0);
    // After the delay the same address may try again; each failure doubles the delay.
    t += 1000;
    EXPECT_EQ(lim.check("ada@x.io", "1.1.1.1", t).refuseSeconds, 0);
    lim.failed("ada@x.io", "1.1.1.1", t);
    EXPECT_EQ(lim.check("ada@x.io", "1.1.1.1", t).refuseSeconds, 2);
    t += 2000;
    lim.failed("ada@x.io", "1.1.1.1", t);
    EXPECT_EQ(lim.check("ada@x.io", "1.1.1.1", t).refuseSeconds, 4);
    // The right password clears the pair.
    lim.succeeded("ada@x.io", "1.1.1.1");
    EXPECT_EQ(lim.check("ada@x.io", "1.1.1.1", t).refuseSeconds, 0);
}

TEST(LoginLimiter, DelaysAreCappedAndForgottenAfterTheWindow) {
    LoginLimiter lim({.maxDelayMs = 60'000, .windowMs = 15 * 60'000});
    int64_t t = kT0;
    for (int i = 0; i < 40; ++i) lim.failed("ada@x.io", "1.1.1.1", t);
    EXPECT_EQ(lim.check("ada@x.io", "1.1.1.1", t).refuseSeconds, 60);
    t += 15 * 60'000 + 1;
    EXPECT_EQ(lim.check("ada@x.io", "1.1.1.1", t).refuseSeconds, 0);
    lim.failed("ada@x.io", "1.1.1.1", t);  // counting starts again
    EXPECT_EQ(lim.check("ada@x.io", "1.1.1.1", t).refuseSeconds, 0);
}

TEST(LoginLimiter, OneAddressSprayingManyEmailsIsRefused) {
    LoginLimiter lim;
    for (int i = 0; i < 20; ++i) lim.failed("user" + std::to_string(i) + "@x.io", "6.6.6.6", kT0);
    EXPECT_EQ(lim.check("fresh@x.io", "6.6.6.6", kT0).refuseSeconds, 1);
    EXPECT_EQ(lim.check("fresh@x.io", "7.7.7.7", kT0).refuseSeconds, 0);
    lim.succeeded("user0@x.io", "6.6.6.6");  // a success does not clear the address's count
    EXPECT_EQ(lim.check("fresh@x.io", "6.6.6.6", kT0).refuseSeconds, 1);
}

TEST(LoginLimiter, ADistributedAttackOnOneEmailHoldsAttemptsInsteadOfRefusingThem) {
    LoginLimiter lim({.maxEmailWaitMs = 8000});
    for (int i = 0; i < 9; ++i) lim.failed("ada@x.io", "10.0.0." + std::to_string(i), kT0);
    EXPECT_EQ(lim.check("ada@x.io", "192.168.1.1", kT0).waitMs, 0);
    lim.failed("ada@x.io", "10.0.1.1", kT0);  // the tenth from all addresses
    auto d = lim.check("ada@x.io", "192.168.1.1", kT0);
    EXPECT_EQ(d.refuseSeconds, 0);  // never refused: the owner gets in after the wait
    EXPECT_EQ(d.waitMs, 1000);
    for (int i = 0; i < 10; ++i) lim.failed("ada@x.io", "10.0.2." + std::to_string(i), kT0);
    EXPECT_EQ(lim.check("ada@x.io", "192.168.1.1", kT0).waitMs, 8000);  // capped
    lim.succeeded("ada@x.io", "192.168.1.1");
    EXPECT_EQ(lim.check("ada@x.io", "192.168.1.1", kT0).waitMs, 0);
}

TEST(LoginLimiter, MemoryStaysBoundedUnderAFloodOfAddresses) {
    LoginLimiter lim({.maxKeys = 100});
    for (int i = 0; i < 1000; ++i) lim.failed("e" + std::to_string(i), "a" + std::to_string(i), kT0);
    // Still works: recent offenders are counted again from here.
    for (int i = 0; i < 5; ++i) lim.failed("ada@x.io", "1.1.1.1", kT0);
    EXPECT_EQ(lim.check("ada@x.io", "1.1.1.1", kT0).refuseSeconds, 1);
}

TEST(RateLimiter, ABurstThenTheRefillRate) {
    RateLimiter rate({.perMinute = 6, .burst = 3});
    int64_t t = kT0;
    for (int i = 0; i < 3; ++i) EXPECT_FALSE(rate.take("1.1.1.1", t)) << i;
    auto wait = rate.take("1.1.1.1", t);
    ASSERT_TRUE(wait);
    EXPECT_EQ(*wait, 10);  // one token per 10 s
    EXPECT_FALSE(rate.take("2.2.2.2", t));  // per key
    t += 10'000;
    EXPECT_FALSE(rate.take("1.1.1.1", t));
    EXPECT_TRUE(rate.take("1.1.1.1", t));
    t += 3600'000;  // refills to the burst, no further
    for (int i = 0; i < 3; ++i) EXPECT_FALSE(rate.take("1.1.1.1", t)) << i;
    EXPECT_TRUE(rate.take("1.1.1.1", t));
}

TEST(RateLimiter, ZeroMeansNoLimitAndKeysAreBounded) {
    RateLimiter off({.perMinute = 0});
    for (int i = 0; i < 1000; ++i) EXPECT_FALSE(off.take("a", kT0));
    RateLimiter rate({.perMinute = 60, .burst = 1, .maxKeys = 10});
    for (int i = 0; i < 100; ++i) EXPECT_FALSE(rate.take("k" + std::to_string(i), kT0));
    EXPECT_TRUE(rate.take("k99", kT0));  // the newest keys are still limited
}

}  // namespace
}  // namespace voxa::auth
