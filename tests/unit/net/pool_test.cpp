// The keep-alive pool behind fetch() (net/pool.h): reuse, what prevents it, bounds, idle
// close, the retry on a connection the server closed, TLS resumption and warming.
#include "net/pool.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <optional>

#include "fakes/fake_openai.h"
#include "fakes/loopback_egress.h"
#include "net/http_client.h"

namespace voxa::net {
namespace {

namespace asio = boost::asio;
using fakes::FakeOpenAiServer;
using fakes::FakeReply;
using Kind = HttpClientResult::ErrorKind;
using namespace std::chrono_literals;

// Loopback opened, the default pool options put back after each test.
class Pool : public ::testing::Test {
protected:
    ~Pool() override { setPoolOptions(PoolOptions{}); }
    fakes::LoopbackEgress egress_;
};

// One event loop (a "node's loop"): its pool lives as long as it does.
struct Loop {
    asio::io_context io;

    HttpClientResult run(asio::awaitable<HttpClientResult> op) {
        std::optional<HttpClientResult> out;
        asio::co_spawn(io, std::move(op), [&](std::exception_ptr e, HttpClientResult r) {
            if (e) std::rethrow_exception(e);
            out = std::move(r);
        });
        while (!out && io.run_one_for(20s)) {
        }
        io.restart();
        EXPECT_TRUE(out.has_value()) << "fetch did not complete";
        return out ? *out : HttpClientResult{};
    }
    // Runs whatever is ready or becomes ready within `d` (idle connections are not work:
    // the loop is kept running meanwhile).
    void runFor(std::chrono::milliseconds d) {
        {
            auto busy = asio::make_work_guard(io);
            io.run_for(d);
        }  // (its end stops an io_context left with no work: restarted below)
        io.restart();
    }
};

FakeReply text(std::string body, FakeReply::Framing framing = FakeReply::Framing::ContentLength) {
    FakeReply r;
    r.contentType = "text/plain";
    r.framing = framing;
    r.pieces = {std::move(body)};
    return r;
}

HttpClientRequest get(std::string url) {
    HttpClientRequest req;
    req.url = std::move(url);
    return req;
}

HttpClientRequest post(std::string url) {
    HttpClientRequest req;
    req.method = "POST";
    req.url = std::move(url);
    req.body = R"({"stream":true})";
    return req;
}

TEST_F(Pool, ReusesOneConnectionForSuccessiveRequests) {
    FakeOpenAiServer fake({.keepAlive = true});
    fake.enqueue(text("one"));
    fake.enqueue(FakeOpenAiServer::textStream({"two"}));  // chunked
    fake.enqueue(text("three"));
    Loop loop;
    EXPECT_EQ(loop.run(fetch(get(fake.origin()))).body, "one");
    std::string streamed;
    auto r2 = loop.run(fetch(post(fake.baseUrl() + "/chat/completions"),
                             [&](std::string_view b) { streamed += b; }, nullptr));
    ASSERT_TRUE(r2.ok()) << r2.error;
    EXPECT_NE(streamed.find("[DONE]"), std::string::npos);
    EXPECT_EQ(loop.run(fetch(get(fake.origin()))).body, "three");
    EXPECT_EQ(fake.connectionsAccepted(), 1);
    EXPECT_EQ(fake.requests().size(), 3u);
    EXPECT_FALSE(fake.requests()[0].hasHeader("connection"));  // HTTP/1.1: keep-alive
    auto stats = poolStats(loop.io.get_executor(), fake.origin());
    EXPECT_EQ(stats.idle, 1u);
    EXPECT_EQ(stats.open, 1u);
}

TEST_F(Pool, NoReuseAfterConnectionClose) {
    FakeOpenAiServer keepAlive({.keepAlive = true});
    auto closing = text("bye");
    closing.closeAfter = true;  // "Connection: close"
    keepAlive.enqueue(closing);
    keepAlive.enqueue(text("again"));
    FakeOpenAiServer oneShot;  // every answer says Connection: close
    oneShot.enqueue(text("a"));
    oneShot.enqueue(text("b"));
    Loop loop;
    EXPECT_EQ(loop.run(fetch(get(keepAlive.origin()))).body, "bye");
    EXPECT_EQ(loop.run(fetch(get(keepAlive.origin()))).body, "again");
    EXPECT_EQ(keepAlive.connectionsAccepted(), 2);
    EXPECT_EQ(loop.run(fetch(get(oneShot.origin()))).body, "a");
    EXPECT_EQ(loop.run(fetch(get(oneShot.origin()))).body, "b");
    EXPECT_EQ(oneShot.connectionsAccepted(), 2);
    EXPECT_EQ(poolStats(loop.io.get_executor(), oneShot.origin()).open, 0u);
}

TEST_F(Pool, NoReuseAfterABodyLeftUnfinished) {
    FakeOpenAiServer fake({.keepAlive = true});
    FakeReply slow;
    for (int i = 0; i < 20; ++i) slow.pieces.push_back("piece" + std::to_string(i) + ";");
    slow.pieceDelay = 20ms;
    fake.enqueue(slow);
    fake.enqueue(text("fresh"));
    FakeReply closeDelimited = text("until the end", FakeReply::Framing::Close);
    fake.enqueue(closeDelimited);
    fake.enqueue(text("after"));
    Loop loop;
    // Cancelled mid-stream (a barge-in): that connection is closed, not given back.
    auto token = std::make_shared<CancelToken>();
    auto r = loop.run(fetch(post(fake.origin()), [&](std::string_view) { token->cancel(); }, token));
    EXPECT_EQ(r.errorKind, Kind::Cancelled);
    EXPECT_TRUE(fake.waitForAbortedReplies(1, 5s));
    EXPECT_EQ(poolStats(loop.io.get_executor(), fake.origin()).open, 0u);
    EXPECT_EQ(loop.run(fetch(get(fake.origin()))).body, "fresh");
    EXPECT_EQ(fake.connectionsAccepted(), 2);
    // A body delimited by the close cannot leave the connection reusable either.
    EXPECT_EQ(loop.run(fetch(get(fake.origin()))).body, "until the end");
    EXPECT_EQ(loop.run(fetch(get(fake.origin()))).body, "after");
    EXPECT_EQ(fake.connectionsAccepted(), 3);
}

TEST_F(Pool, IdleConnectionsAreClosedAfterTheTimeout) {
    setPoolOptions({.idleTimeout = 150ms});
    FakeOpenAiServer fake({.keepAlive = true});
    fake.enqueue(text("x"));
    Loop loop;
    ASSERT_TRUE(loop.run(fetch(get(fake.origin()))).ok());
    EXPECT_EQ(poolStats(loop.io.get_executor(), fake.origin()).idle, 1u);
    EXPECT_EQ(fake.connectionsClosed(), 0);
    for (int i = 0; i < 50 && poolStats(loop.io.get_executor(), fake.origin()).open > 0; ++i)
        loop.runFor(20ms);
    EXPECT_TRUE(fake.waitForClosedConnections(1, 2s));  // the client closed it
    EXPECT_EQ(poolStats(loop.io.get_executor(), fake.origin()).open, 0u);
}

TEST_F(Pool, AConnectionTheServerClosedIsNotReused) {
    FakeOpenAiServer fake({.keepAlive = true, .idleClose = 50ms});
    fake.enqueue(text("first"));
    fake.enqueue(text("second"));
    Loop loop;
    EXPECT_EQ(loop.run(fetch(post(fake.origin()))).body, "first");
    ASSERT_TRUE(fake.waitForClosedConnections(1, 2s));  // the server's idle timeout
    auto r = loop.run(fetch(post(fake.origin())));
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(r.body, "second");
    EXPECT_EQ(fake.connectionsAccepted(), 2);
    EXPECT_EQ(fake.requests().size(), 2u);
}

TEST_F(Pool, BoundedPerHost) {
    setPoolOptions({.maxPerHost = 2, .maxIdlePerHost = 1});
    FakeOpenAiServer fake({.keepAlive = true});
    FakeReply slow = text("slow");
    slow.headerDelay = 150ms;
    for (int i = 0; i < 5; ++i) fake.enqueue(slow);
    Loop loop;
    int done = 0;
    size_t maxOpen = 0;
    for (int i = 0; i < 5; ++i)
        asio::co_spawn(loop.io, fetch(get(fake.origin())), [&](std::exception_ptr, HttpClientResult r) {
            EXPECT_EQ(r.body, "slow") << r.error;
            ++done;
        });
    while (done < 5 && loop.io.run_one_for(10s))
        maxOpen = std::max(maxOpen, poolStats(loop.io.get_executor(), fake.origin()).open);
    EXPECT_EQ(done, 5);
    EXPECT_EQ(maxOpen, 2u);
    EXPECT_EQ(fake.connectionsAccepted(), 2);  // the other three waited, then reused
    auto stats = poolStats(loop.io.get_executor(), fake.origin());
    EXPECT_EQ(stats.idle, 1u);  // maxIdlePerHost: the second one was closed
    EXPECT_EQ(stats.open, 1u);
}

TEST_F(Pool, AWaitForAFreeConnectionEndsWithTheConnectTimeout) {
    setPoolOptions({.maxPerHost = 1});
    FakeOpenAiServer fake({.keepAlive = true});
    FakeReply hang;
    hang.hang = true;
    fake.enqueue(hang);
    Loop loop;
    std::optional<HttpClientResult> first;
    asio::co_spawn(loop.io, fetch(get(fake.origin())),
                   [&](std::exception_ptr, HttpClientResult r) { first = std::move(r); });
    auto req = get(fake.origin());
    req.connectTimeout = 200ms;
    auto r = loop.run(fetch(req));
    EXPECT_EQ(r.errorKind, Kind::Timeout) << r.error;
    EXPECT_NE(r.error.find("no free connection"), std::string::npos) << r.error;
    EXPECT_EQ(fake.connectionsAccepted(), 1);
}

// A reused connection the server dropped before answering: sent again on a fresh one only
// when the server cannot have acted on it.
TEST_F(Pool, AReusedConnectionDroppedBeforeAnswering) {
    FakeOpenAiServer fake({.keepAlive = true});
    FakeReply dropped;
    dropped.closeSilently = true;  // reads the request, closes without a byte
    fake.enqueue(text("warm-up"));
    fake.enqueue(dropped);
    fake.enqueue(text("retried"));
    fake.enqueue(text("warm-up 2"));
    fake.enqueue(dropped);
    Loop loop;
    // GET is idempotent: sent once more on a fresh connection.
    ASSERT_TRUE(loop.run(fetch(get(fake.origin()))).ok());
    auto r = loop.run(fetch(get(fake.origin())));
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(r.body, "retried");
    EXPECT_EQ(fake.connectionsAccepted(), 2);
    // A POST the server received (its bytes were acknowledged) is not sent twice.
    ASSERT_TRUE(loop.run(fetch(get(fake.origin()))).ok());
    auto p = loop.run(fetch(post(fake.origin())));
    EXPECT_EQ(p.errorKind, Kind::Io) << p.error;
    EXPECT_EQ(p.error, "connection closed before a response");
    EXPECT_EQ(fake.requests().size(), 5u);
    EXPECT_EQ(fake.connectionsAccepted(), 2);
}

// The keep-alive race: the server closed the idle connection, the request went out on it
// anyway (made certain here by skipping the check before reuse). The server's kernel
// acknowledged none of it: the POST goes again on a fresh connection, once.
TEST_F(Pool, APostOnAConnectionTheServerHadClosedIsSentAgain) {
    setPoolOptions({.checkBeforeReuse = false});
    FakeOpenAiServer fake({.keepAlive = true, .idleClose = 30ms});
    fake.enqueue(text("first"));
    fake.enqueue(text("second"));
    Loop loop;
    EXPECT_EQ(loop.run(fetch(post(fake.origin()))).body, "first");
    ASSERT_TRUE(fake.waitForClosedConnections(1, 2s));
    auto r = loop.run(fetch(post(fake.origin())));
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(r.body, "second");
    EXPECT_EQ(fake.connectionsAccepted(), 2);
    ASSERT_EQ(fake.requests().size(), 2u);
    EXPECT_EQ(fake.requests()[1].method, "POST");
}

TEST_F(Pool, TlsConnectionsAreReusedAndSessionsResumed) {
    FakeOpenAiServer keepAlive({.tls = true, .keepAlive = true});
    keepAlive.enqueue(text("s1"));
    keepAlive.enqueue(text("s2"));
    FakeOpenAiServer oneShot({.tls = true});
    oneShot.enqueue(text("t1"));
    oneShot.enqueue(text("t2"));
    Loop loop;
    auto req = [](std::string url) {
        auto r = get(std::move(url));
        r.verifyTls = false;
        return r;
    };
    EXPECT_EQ(loop.run(fetch(req(keepAlive.origin()))).body, "s1");
    EXPECT_EQ(loop.run(fetch(req(keepAlive.origin()))).body, "s2");
    EXPECT_EQ(keepAlive.connectionsAccepted(), 1);
    // A new connection to a host that gave a session ticket resumes it: no full handshake.
    EXPECT_EQ(loop.run(fetch(req(oneShot.origin()))).body, "t1");
    EXPECT_EQ(loop.run(fetch(req(oneShot.origin()))).body, "t2");
    EXPECT_EQ(oneShot.connectionsAccepted(), 2);
    EXPECT_EQ(oneShot.resumedHandshakes(), 1);
}

TEST_F(Pool, WarmingOpensAConnectionBeforeTheFirstRequest) {
    FakeOpenAiServer fake({.tls = true, .keepAlive = true});
    fake.enqueue(text("ready"));
    Loop loop;
    warm(loop.io.get_executor(), fake.baseUrl() + "/chat/completions", UrlSource::OrgConfig,
         /*verifyTls=*/false);
    warm(loop.io.get_executor(), fake.baseUrl() + "/chat/completions", UrlSource::OrgConfig, false);
    for (int i = 0; i < 100 && poolStats(loop.io.get_executor(), fake.origin(), UrlSource::OrgConfig,
                                         false).idle == 0; ++i)
        loop.runFor(20ms);
    EXPECT_EQ(fake.connectionsAccepted(), 1);  // once: the second warm found it opening
    EXPECT_TRUE(fake.requests().empty());
    EXPECT_EQ(poolStats(loop.io.get_executor(), fake.origin(), UrlSource::OrgConfig, false).idle, 1u);
    auto req = post(fake.baseUrl() + "/chat/completions");
    req.verifyTls = false;
    auto r = loop.run(fetch(req));
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(r.body, "ready");
    EXPECT_EQ(fake.connectionsAccepted(), 1);  // the request found it ready
    // A verifying request does not take a connection whose certificate nobody checked.
    EXPECT_EQ(poolStats(loop.io.get_executor(), fake.origin()).open, 0u);
}

TEST_F(Pool, WarmingHoldsToTheEgressPolicy) {
    FakeOpenAiServer fake({.keepAlive = true});
    Loop loop;
    setEgressPolicy(EgressPolicy());  // loopback refused again (the fixture restores it after)
    warm(loop.io.get_executor(), fake.origin(), UrlSource::OrgConfig);
    loop.runFor(200ms);
    EXPECT_EQ(fake.connectionsAccepted(), 0);
    warm(loop.io.get_executor(), fake.origin(), UrlSource::Operator);  // the operator's URL
    loop.runFor(200ms);
    EXPECT_TRUE(fake.waitForConnections(1, 2s));
}

}  // namespace
}  // namespace voxa::net
