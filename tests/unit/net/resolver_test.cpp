// The asynchronous resolver (net/resolver.h) against an in-process UDP DNS server: answers,
// the cache (positive, negative, bounded), per-lookup timeouts that leave other lookups
// alone, cancellation, and one query for concurrent lookups of a name.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "net/resolver.h"

namespace voxa::net {
namespace {

namespace asio = boost::asio;
using udp = asio::ip::udp;
using namespace std::chrono_literals;

// A DNS server on 127.0.0.1: *.good.test A -> 10.1.2.3 (AAAA: no data), *.slow.test never
// answers, anything else NXDOMAIN. Counts the questions per name.
class FakeDns {
public:
    FakeDns() : socket_(io_, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
        receive();
        thread_ = std::thread([this] { io_.run(); });
    }
    ~FakeDns() {
        io_.stop();
        thread_.join();
    }
    std::string server() const { return "127.0.0.1:" + std::to_string(socket_.local_endpoint().port()); }
    int questions(const std::string& name) {
        std::lock_guard lock(mu_);
        return counts_[name];
    }

private:
    void receive() {
        socket_.async_receive_from(asio::buffer(buf_), peer_, [this](auto ec, size_t n) {
            if (!ec) answer(n);
            receive();
        });
    }
    void answer(size_t n) {
        if (n < 17) return;
        std::string name;
        size_t i = 12;
        while (i < n && buf_[i] != 0) {
            if (!name.empty()) name += '.';
            name.append(reinterpret_cast<char*>(&buf_[i + 1]), buf_[i]);
            i += 1 + buf_[i];
        }
        if (i + 5 > n) return;
        int qtype = buf_[i + 1] << 8 | buf_[i + 2];
        {
            std::lock_guard lock(mu_);
            ++counts_[name];
        }
        auto endsWith = [&](std::string_view s) { return name == s.substr(1) || name.ends_with(s); };
        if (endsWith(".slow.test")) return;
        bool good = endsWith(".good.test");
        bool withAnswer = good && qtype == 1;
        std::vector<uint8_t> out(buf_.begin(), buf_.begin() + static_cast<long>(i + 5));
        out[2] = 0x81;
        out[3] = good ? 0x80 : 0x83;  // NXDOMAIN when not good
        out[4] = 0, out[5] = 1;
        out[6] = 0, out[7] = withAnswer ? 1 : 0;
        for (int k = 8; k < 12; ++k) out[k] = 0;
        if (withAnswer) {
            uint8_t rr[] = {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 1, 2, 3};
            out.insert(out.end(), std::begin(rr), std::end(rr));
        }
        socket_.send_to(asio::buffer(out), peer_);
    }

    asio::io_context io_;
    udp::socket socket_;
    udp::endpoint peer_;
    std::array<uint8_t, 1500> buf_{};
    std::thread thread_;
    std::mutex mu_;
    std::map<std::string, int> counts_;
};

template <class T>
T runOnLoop(asio::io_context& io, asio::awaitable<T> op) {
    std::optional<T> out;
    asio::co_spawn(io, std::move(op), [&](std::exception_ptr e, T r) {
        if (e) std::rethrow_exception(e);
        out = std::move(r);
    });
    io.restart();
    io.run_for(10s);
    EXPECT_TRUE(out.has_value()) << "the lookup did not complete";
    return out ? std::move(*out) : T{};
}

class ResolverTest : public ::testing::Test {
protected:
    ResolverOptions options() {
        return {.servers = dns.server(), .attemptTimeout = 5000ms, .tries = 1};
    }
    Resolved resolve(Resolver& r, std::string host, std::chrono::milliseconds timeout = 3s) {
        return runOnLoop(io, r.resolve(std::move(host), timeout));
    }
    FakeDns dns;
    asio::io_context io;
};

using Clock = std::chrono::steady_clock;

TEST_F(ResolverTest, AnswersAndCachesWithinTheTtl) {
    Resolver r(options());
    auto a = resolve(r, "www.good.test");
    ASSERT_FALSE(a.error) << a.error.message();
    ASSERT_EQ(a.addresses.size(), 1u);
    EXPECT_EQ(a.addresses[0].to_string(), "10.1.2.3");
    EXPECT_FALSE(a.cached);
    int asked = dns.questions("www.good.test");
    EXPECT_GE(asked, 1);
    auto b = resolve(r, "WWW.good.test.");  // same name
    ASSERT_FALSE(b.error);
    EXPECT_TRUE(b.cached);
    EXPECT_EQ(dns.questions("www.good.test"), asked) << "the second lookup went to DNS";
}

TEST_F(ResolverTest, NegativeAnswersAreCachedToo) {
    Resolver r(options());
    auto a = resolve(r, "nothing.test");
    EXPECT_EQ(a.error, asio::error::host_not_found) << a.error.message();
    int asked = dns.questions("nothing.test");
    auto b = resolve(r, "nothing.test");
    EXPECT_EQ(b.error, asio::error::host_not_found);
    EXPECT_TRUE(b.cached);
    EXPECT_EQ(dns.questions("nothing.test"), asked);
}

TEST_F(ResolverTest, TheCacheIsBounded) {
    auto opts = options();
    opts.cacheEntries = 2;
    Resolver r(opts);
    for (auto name : {"a.good.test", "b.good.test", "c.good.test"}) ASSERT_FALSE(resolve(r, name).error);
    EXPECT_FALSE(resolve(r, "a.good.test").cached) << "three names fit in a cache of two";
    EXPECT_TRUE(resolve(r, "c.good.test").cached);
}

TEST_F(ResolverTest, ADeadNameTimesOutAloneWhileOthersAreAnswered) {
    Resolver r(options());
    std::optional<Resolved> dead;
    auto started = Clock::now();
    Clock::time_point deadAt{};
    asio::co_spawn(io, r.resolve("x.slow.test", 600ms), [&](std::exception_ptr, Resolved res) {
        dead = res;
        deadAt = Clock::now();
    });
    // Ten other names while the dead one is outstanding: each answered at once.
    std::vector<std::chrono::milliseconds> took;
    auto others = [&]() -> asio::awaitable<void> {
        for (int i = 0; i < 10; ++i) {
            auto t0 = Clock::now();
            auto res = co_await r.resolve("n" + std::to_string(i) + ".good.test", 3s);
            EXPECT_FALSE(res.error) << res.error.message();
            took.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0));
        }
    };
    asio::co_spawn(io, others(), [](std::exception_ptr e) { if (e) std::rethrow_exception(e); });
    io.run_for(5s);
    ASSERT_EQ(took.size(), 10u);
    for (auto d : took) EXPECT_LT(d.count(), 300) << "a lookup waited behind the dead one";
    ASSERT_TRUE(dead);
    EXPECT_EQ(dead->error, asio::error::timed_out);
    auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(deadAt - started).count();
    EXPECT_GE(waited, 550);
    EXPECT_LT(waited, 1500);
    EXPECT_GE(resolverStats().timeouts, 1u);
}

TEST_F(ResolverTest, CancelEndsTheWaitAtOnce) {
    Resolver r(options());
    auto lookup = r.start(io.get_executor(), "y.slow.test");
    asio::steady_timer timer(io, 100ms);
    timer.async_wait([&](auto) { lookup->cancel(); });
    auto t0 = Clock::now();
    auto res = runOnLoop(io, lookup->wait(5s));
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
    EXPECT_EQ(res.error, asio::error::operation_aborted);
    EXPECT_LT(took, 1000);
}

TEST_F(ResolverTest, ConcurrentLookupsOfOneNameShareOneQuery) {
    Resolver r(options());
    std::vector<std::shared_ptr<DnsLookup>> lookups;
    for (int i = 0; i < 5; ++i) lookups.push_back(r.start(io.get_executor(), "z.slow.test"));
    std::this_thread::sleep_for(300ms);  // the queries go out from the resolver's thread
    // A and AAAA, once each, for five waiters.
    EXPECT_EQ(dns.questions("z.slow.test"), 2);
}

TEST_F(ResolverTest, LiteralsAndLocalhostNeverReachDns) {
    Resolver r(options());
    auto v4 = resolve(r, "192.0.2.7");
    ASSERT_EQ(v4.addresses.size(), 1u);
    EXPECT_EQ(v4.addresses[0].to_string(), "192.0.2.7");
    auto v6 = resolve(r, "::1");
    ASSERT_EQ(v6.addresses.size(), 1u);
    EXPECT_TRUE(v6.addresses[0].is_loopback());
    // The numeric spellings getaddrinfo accepted (inet_aton's) stay addresses.
    for (auto spelling : {"127.1", "2130706433", "0x7f000001"}) {
        auto legacy = resolve(r, spelling);
        ASSERT_EQ(legacy.addresses.size(), 1u) << spelling;
        EXPECT_EQ(legacy.addresses[0].to_string(), "127.0.0.1") << spelling;
    }
    auto local = resolve(r, "api.localhost");
    ASSERT_EQ(local.addresses.size(), 2u);
    EXPECT_TRUE(local.addresses[0].is_loopback() && local.addresses[1].is_loopback());
    EXPECT_EQ(dns.questions("api.localhost"), 0);
}

TEST_F(ResolverTest, BadServerListIsRefused) {
    EXPECT_THROW(Resolver({.servers = "not an address"}), std::runtime_error);
}

}  // namespace
}  // namespace voxa::net
