#include "net/read_time.h"

#include <gtest/gtest.h>

#include <thread>

namespace voxa::net {
namespace {

using namespace std::chrono_literals;
using time_point = ReadScope::time_point;

TEST(ReadScope, TheInnermostReadOrNow) {
    auto before = std::chrono::steady_clock::now();
    EXPECT_GE(readTime(), before);  // no read being handled: now
    auto first = before - 5s;
    {
        ReadScope a(first);
        EXPECT_EQ(readTime(), first);
        {
            ReadScope unstamped(time_point{});  // a message nobody stamped keeps the enclosing one
            EXPECT_EQ(readTime(), first);
            ReadScope b(first + 1s);
            EXPECT_EQ(readTime(), first + 1s);
        }
        EXPECT_EQ(readTime(), first);
    }
    auto outside = readTime();
    EXPECT_GE(outside, before);
    std::this_thread::sleep_for(1ms);
    EXPECT_GT(readTime(), outside);
}

TEST(ReadScope, EachThreadHasItsOwn) {
    auto long_ago = std::chrono::steady_clock::now() - 10s;
    ReadScope a(long_ago);
    time_point other{};
    std::thread([&] { other = readTime(); }).join();
    EXPECT_GT(other, long_ago + 9s);
    EXPECT_EQ(readTime(), long_ago);
}

}  // namespace
}  // namespace voxa::net
