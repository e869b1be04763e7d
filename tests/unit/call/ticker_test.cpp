// The per-loop Ticker: every client is asked every millisecond until it says false, and
// the io_context's end releases the rest.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "call/ticker.h"

namespace voxa::call {
namespace {

struct Counter : Ticker::Client {
    int calls = 0;
    int stopAfter = 0;
    Ticker::Clock::time_point last{};
    bool monotonic = true;
    bool tickIfDue(Ticker::Clock::time_point now) override {
        monotonic = monotonic && now >= last;
        last = now;
        return ++calls < stopAfter;
    }
};

TEST(Ticker, AsksEveryClientUntilItSaysFalse) {
    boost::asio::io_context io;
    auto a = std::make_shared<Counter>();
    auto b = std::make_shared<Counter>();
    a->stopAfter = 5;
    b->stopAfter = 20;
    auto& t = Ticker::of(io.get_executor());
    t.add(a, io.get_executor());
    t.add(b, io.get_executor());
    EXPECT_EQ(&t, &Ticker::of(io.get_executor()));  // one per io_context
    io.run();  // returns once no client is left (the timer is not re-armed)
    EXPECT_EQ(a->calls, 5);
    EXPECT_EQ(b->calls, 20);
    EXPECT_TRUE(a->monotonic && b->monotonic);
    EXPECT_EQ(t.size(), 0u);
    EXPECT_EQ(a.use_count(), 1);  // released
}

TEST(Ticker, DestroyingTheLoopReleasesItsClients) {
    auto c = std::make_shared<Counter>();
    c->stopAfter = 1000000;
    {
        boost::asio::io_context io;
        Ticker::of(io.get_executor()).add(c, io.get_executor());
        io.run_for(std::chrono::milliseconds(20));
        EXPECT_GT(c->calls, 0);
        EXPECT_EQ(c.use_count(), 2);
    }
    EXPECT_EQ(c.use_count(), 1);
}

}  // namespace
}  // namespace voxa::call
