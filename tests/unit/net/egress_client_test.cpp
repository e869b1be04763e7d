// The egress policy as the outbound clients apply it: on the resolved address, before the
// connect, with one error text whatever the port and whether anything listens there.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <optional>

#include "fakes/fake_openai.h"
#include "net/egress.h"
#include "net/http_client.h"
#include "net/server.h"
#include "net/websocket.h"

namespace voxa::net {
namespace {

namespace asio = boost::asio;
using fakes::FakeOpenAiServer;
using fakes::FakeReply;
using Kind = HttpClientResult::ErrorKind;
using namespace std::chrono_literals;

template <class T>
T runOnLoop(asio::awaitable<T> op) {
    asio::io_context io;
    std::optional<T> out;
    asio::co_spawn(io, std::move(op), [&](std::exception_ptr e, T r) {
        if (e) std::rethrow_exception(e);
        out = std::move(r);
    });
    io.run_for(20s);
    EXPECT_TRUE(out.has_value()) << "the operation did not complete";
    return out ? std::move(*out) : T{};
}

HttpClientResult get(std::string url, UrlSource source = UrlSource::OrgConfig) {
    HttpClientRequest req{.url = std::move(url), .source = source};
    req.connectTimeout = 5s;
    return runOnLoop(fetch(std::move(req)));
}

FakeReply ok() {
    FakeReply r;
    r.status = 200;
    r.contentType = "text/plain";
    r.framing = FakeReply::Framing::ContentLength;
    r.pieces = {"internal"};
    return r;
}

// Every test starts from the default policy (no allow list) and leaves it so.
class EgressClient : public ::testing::Test {
protected:
    void SetUp() override { setEgressPolicy(EgressPolicy()); }
    void TearDown() override { setEgressPolicy(EgressPolicy()); }
};

TEST_F(EgressClient, LoopbackWithAListenerIsRefusedWithTheUniformError) {
    FakeOpenAiServer fake;
    for (int i = 0; i < 4; ++i) fake.enqueue(ok());
    std::string port = std::to_string(fake.port());
    for (const std::string& url : {"http://127.0.0.1:" + port + "/", "http://localhost:" + port + "/",
                                  "http://127.1:" + port + "/", "http://2130706433:" + port + "/",
                                  "http://[::ffff:127.0.0.1]:" + port + "/"}) {
        auto r = get(url);
        EXPECT_EQ(r.errorKind, Kind::Egress) << url << ": " << r.error;
        EXPECT_EQ(r.error, kEgressRefused) << url;
        EXPECT_EQ(r.status, 0);
        EXPECT_TRUE(r.body.empty());
    }
    EXPECT_TRUE(fake.requests().empty()) << "a refused destination was reached";
    EXPECT_STREQ(toString(Kind::Egress), "egress");
}

TEST_F(EgressClient, TheErrorIsTheSameForAnOpenAndAClosedPort) {
    uint16_t closed;
    {
        FakeOpenAiServer gone;
        closed = gone.port();
    }
    FakeOpenAiServer open;
    open.enqueue(ok());
    auto a = get("http://127.0.0.1:" + std::to_string(open.port()) + "/");
    auto b = get("http://127.0.0.1:" + std::to_string(closed) + "/");
    EXPECT_EQ(a.errorKind, Kind::Egress);
    EXPECT_EQ(a.errorKind, b.errorKind);
    EXPECT_EQ(a.error, b.error);
    // Nothing is sent anywhere, so no network timeout applies either (10.0.0.1 has no route).
    auto t0 = std::chrono::steady_clock::now();
    for (const char* url : {"http://10.0.0.1:9/", "http://169.254.169.254/latest/meta-data/",
                            "http://192.168.1.1/", "http://100.64.0.1/", "http://[fe80::1]/",
                            "http://0.0.0.0:80/" /* Linux connects that to loopback */}) {
        auto r = get(url);
        EXPECT_EQ(r.errorKind, Kind::Egress) << url << ": " << r.error;
        EXPECT_EQ(r.error, a.error) << url;
    }
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 4s);
}

TEST_F(EgressClient, AnAllowListOpensLoopback) {
    FakeOpenAiServer fake;
    for (int i = 0; i < 2; ++i) fake.enqueue(ok());
    std::string port = std::to_string(fake.port());
    setEgressPolicy(EgressPolicy(parseCidrList("127.0.0.0/8")));
    auto a = get("http://127.0.0.1:" + port + "/a");
    ASSERT_TRUE(a.ok()) << a.error;
    EXPECT_EQ(a.body, "internal");
    // localhost may resolve to ::1 as well: only the permitted 127.0.0.1 is tried.
    auto b = get("http://localhost:" + port + "/b");
    ASSERT_TRUE(b.ok()) << b.error;
    EXPECT_EQ(fake.requests().size(), 2u);
}

TEST_F(EgressClient, OperatorUrlsBypassThePolicy) {
    FakeOpenAiServer fake;
    fake.enqueue(ok());
    auto r = get(fake.origin() + "/", UrlSource::Operator);
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(fake.requests().size(), 1u);
}

TEST_F(EgressClient, TheWebSocketClientIsPolicedToo) {
    std::atomic<int> upgrades{0};
    HttpServer server(ServerOptions{.host = "127.0.0.1", .port = 0, .threads = 1},
                      [](HttpRequest&) -> asio::awaitable<HttpResponse> {
                          co_return HttpResponse::json(404, "{}");
                      });
    server.setUpgradeHandler([&upgrades](HttpRequest&) -> asio::awaitable<std::optional<WsHandler>> {
        ++upgrades;
        co_return WsHandler([](std::shared_ptr<WsConnection> ws) -> asio::awaitable<void> {
            while (co_await ws->read()) {
            }
        });
    });
    server.start();
    std::string url = "ws://127.0.0.1:" + std::to_string(server.port()) + "/ws";
    // The connections live on this loop, so it outlives them.
    asio::io_context io;
    std::shared_ptr<WsConnection> refused, allowed;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        refused = co_await connectWebSocket(url, {});
        allowed = co_await connectWebSocket(url, {}, UrlSource::Operator);
        if (allowed) allowed->close();
    }, asio::detached);
    io.run_for(20s);
    EXPECT_EQ(refused, nullptr);
    ASSERT_NE(allowed, nullptr) << "the operator's URL was not reached";
    EXPECT_EQ(upgrades.load(), 1) << "only the operator's connection may reach the server";
    refused.reset();
    allowed.reset();
    server.stop();
}

}  // namespace
}  // namespace voxa::net
