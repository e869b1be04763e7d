#include "net/http_client.h"
#include "net/read_time.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <gtest/gtest.h>

#include <optional>
#include <thread>

#include "fakes/fake_openai.h"
#include "fakes/loopback_egress.h"

namespace voxa::net {
namespace {

namespace asio = boost::asio;
using fakes::FakeOpenAiServer;
using fakes::FakeReply;
using Kind = HttpClientResult::ErrorKind;
using namespace std::chrono_literals;

// The fakes listen on loopback, which the egress policy refuses by default: every test here
// opens it (egress_client_test.cpp is about the policy itself).
class HttpClient : public ::testing::Test {
    fakes::LoopbackEgress egress_;
};

// Runs one fetch to completion on a private io_context (the "call's event loop").
struct Loop {
    asio::io_context io;

    HttpClientResult run(asio::awaitable<HttpClientResult> op) {
        std::optional<HttpClientResult> out;
        asio::co_spawn(io, std::move(op), [&](std::exception_ptr e, HttpClientResult r) {
            if (e) std::rethrow_exception(e);
            out = std::move(r);
        });
        io.run_for(20s);
        io.restart();
        EXPECT_TRUE(out.has_value()) << "fetch did not complete";
        return out ? *out : HttpClientResult{};
    }
};

FakeReply plain(int status, std::string body, FakeReply::Framing framing) {
    FakeReply r;
    r.status = status;
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

TEST_F(HttpClient, FetchesAContentLengthBody) {
    FakeOpenAiServer fake;
    fake.enqueue(plain(200, "hello", FakeReply::Framing::ContentLength));
    Loop loop;
    auto r = loop.run(fetch(get(fake.origin() + "/x?y=1")));
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "hello");
    EXPECT_EQ(r.header("content-type"), "text/plain");
    auto reqs = fake.requests();
    ASSERT_EQ(reqs.size(), 1u);
    EXPECT_EQ(reqs[0].method, "GET");
    EXPECT_EQ(reqs[0].target, "/x?y=1");
    EXPECT_EQ(reqs[0].header("host"), "127.0.0.1:" + std::to_string(fake.port()));
}

TEST_F(HttpClient, FetchesCloseDelimitedAndChunkedBodies) {
    FakeOpenAiServer fake;
    fake.enqueue(plain(200, "until-eof", FakeReply::Framing::Close));
    FakeReply chunked;
    chunked.pieces = {"a", "bc", "", "def"};
    fake.enqueue(chunked);
    Loop loop;
    auto r1 = loop.run(fetch(get(fake.origin())));
    ASSERT_TRUE(r1.ok()) << r1.error;
    EXPECT_EQ(r1.body, "until-eof");
    auto r2 = loop.run(fetch(get(fake.origin())));
    ASSERT_TRUE(r2.ok()) << r2.error;
    EXPECT_EQ(r2.body, "abcdef");
}

TEST_F(HttpClient, SendsMethodHeadersAndBody) {
    FakeOpenAiServer fake;
    fake.enqueue(plain(201, "", FakeReply::Framing::ContentLength));
    HttpClientRequest req;
    req.method = "POST";
    req.url = fake.origin() + "/hook";
    req.headers = {{"Content-Type", "application/json"}, {"X-Trace", "t1"},
                   {"Content-Length", "999"}};  // ours wins
    req.body = R"({"k":"v"})";
    Loop loop;
    auto r = loop.run(fetch(std::move(req)));
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(r.status, 201);
    auto rec = fake.requests().at(0);
    EXPECT_EQ(rec.method, "POST");
    EXPECT_EQ(rec.target, "/hook");
    EXPECT_EQ(rec.header("x-trace"), "t1");
    EXPECT_EQ(rec.header("content-type"), "application/json");
    EXPECT_EQ(rec.header("content-length"), "9");
    EXPECT_FALSE(rec.hasHeader("connection"));  // HTTP/1.1 keep-alive (net/pool.h)
    EXPECT_EQ(rec.body, R"({"k":"v"})");
}

TEST_F(HttpClient, StreamsBodyPiecesAsTheyArrive) {
    FakeOpenAiServer fake;
    FakeReply r;
    r.pieces = {"one ", "two ", "three"};
    r.pieceDelay = 30ms;
    fake.enqueue(r);
    Loop loop;
    std::vector<std::string> got;
    auto res = loop.run(fetch(get(fake.origin()), [&](std::string_view b) { got.emplace_back(b); },
                              nullptr));
    ASSERT_TRUE(res.ok()) << res.error;
    EXPECT_TRUE(res.body.empty());
    // With delays between writes each piece arrives in its own read.
    ASSERT_EQ(got.size(), 3u);
    EXPECT_EQ(got[0] + got[1] + got[2], "one two three");
}

// Each callback runs inside a net::ReadScope of the read that brought its bytes: the
// moment it sees stays fixed while it runs, and is not "now" (a provider's latency starts there).
TEST_F(HttpClient, StreamedBodyCallbacksSeeTheMomentTheirBytesWereRead) {
    FakeOpenAiServer fake;
    FakeReply r;
    r.pieces = {"one ", "two"};
    r.pieceDelay = 30ms;
    fake.enqueue(r);
    Loop loop;
    std::vector<ReadScope::time_point> seen;
    bool fixed = true;
    auto res = loop.run(fetch(get(fake.origin()), [&](std::string_view) {
        auto at = readTime();
        std::this_thread::sleep_for(2ms);
        fixed = fixed && readTime() == at;
        seen.push_back(at);
    }, nullptr));
    ASSERT_TRUE(res.ok()) << res.error;
    EXPECT_TRUE(fixed);
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_GE(seen[1] - seen[0], 20ms);  // each piece its own read, 30 ms apart
    auto outside = readTime();  // no scope left behind: now again
    std::this_thread::sleep_for(1ms);
    EXPECT_GT(readTime(), outside);
}

TEST_F(HttpClient, ErrorBodiesAreBufferedNotStreamed) {
    FakeOpenAiServer fake;
    fake.enqueue(FakeOpenAiServer::errorReply(401, "bad key"));
    fake.enqueue(FakeOpenAiServer::errorReply(500, "boom"));
    Loop loop;
    int calls = 0;
    auto r = loop.run(fetch(get(fake.origin()), [&](std::string_view) { ++calls; }, nullptr));
    ASSERT_TRUE(r.ok()) << r.error;  // the exchange worked; the status says no
    EXPECT_FALSE(r.success());
    EXPECT_EQ(r.status, 401);
    EXPECT_NE(r.body.find("bad key"), std::string::npos);
    EXPECT_EQ(calls, 0);

    auto req = get(fake.origin());
    req.bufferErrorBodies = false;
    std::string streamed;
    auto r2 = loop.run(fetch(req, [&](std::string_view b) { streamed += b; }, nullptr));
    EXPECT_EQ(r2.status, 500);
    EXPECT_NE(streamed.find("boom"), std::string::npos);
}

TEST_F(HttpClient, RejectsBadUrlsAndHeaderInjection) {
    Loop loop;
    EXPECT_EQ(loop.run(fetch(get("ftp://example.com/"))).errorKind, Kind::BadRequest);
    EXPECT_EQ(loop.run(fetch(get("not a url"))).errorKind, Kind::BadRequest);
    auto req = get("http://127.0.0.1:1/");
    req.headers = {{"X-A", "v\r\nInjected: yes"}};
    EXPECT_EQ(loop.run(fetch(req)).errorKind, Kind::BadRequest);
    // Org configuration (webhook and tool headers): bare LF, NUL, other controls, bad names.
    for (auto h : std::vector<Header>{{"X-A", "v\nInjected: yes"}, {"X-A", std::string("v\0x", 3)},
                                           {"X-A", "v\x01"}, {"X A", "v"}, {"X-A\r\nB", "v"}, {"", "v"}}) {
        req.headers = {h};
        EXPECT_EQ(loop.run(fetch(req)).errorKind, Kind::BadRequest) << h.name << ": " << h.value;
    }
}

TEST_F(HttpClient, ConnectionRefusedIsAConnectError) {
    uint16_t port;
    {
        FakeOpenAiServer fake;  // grab a free port, then close it
        port = fake.port();
    }
    Loop loop;
    auto r = loop.run(fetch(get("http://127.0.0.1:" + std::to_string(port) + "/")));
    EXPECT_EQ(r.errorKind, Kind::Connect) << r.error;
    EXPECT_NE(r.error.find("127.0.0.1"), std::string::npos);
}

TEST_F(HttpClient, UnknownHostFails) {
    Loop loop;
    auto req = get("http://voxa-test-host.invalid/");
    req.connectTimeout = 3s;
    auto r = loop.run(fetch(req));
    EXPECT_TRUE(r.errorKind == Kind::Resolve || r.errorKind == Kind::Timeout) << r.error;
}

TEST_F(HttpClient, ReadTimeoutWhenTheServerNeverAnswers) {
    FakeOpenAiServer fake;
    FakeReply hang;
    hang.hang = true;
    fake.enqueue(hang);
    auto req = get(fake.origin());
    req.readTimeout = 200ms;
    Loop loop;
    auto start = std::chrono::steady_clock::now();
    auto r = loop.run(fetch(req));
    EXPECT_EQ(r.errorKind, Kind::Timeout) << r.error;
    EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
}

TEST_F(HttpClient, IdleTimeoutIsPerReadButTotalTimeoutCapsTheExchange) {
    FakeOpenAiServer fake;
    FakeReply slow;
    slow.pieces = {"a", "b", "c", "d", "e", "f"};
    slow.pieceDelay = 100ms;
    fake.enqueue(slow);
    fake.enqueue(slow);
    Loop loop;
    auto req = get(fake.origin());
    req.readTimeout = 400ms;  // each gap is shorter: fine
    auto r = loop.run(fetch(req));
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(r.body, "abcdef");

    req.totalTimeout = 250ms;
    auto r2 = loop.run(fetch(req));
    EXPECT_EQ(r2.errorKind, Kind::Timeout);
    EXPECT_NE(r2.error.find("250 ms"), std::string::npos) << r2.error;
}

TEST_F(HttpClient, CancelFromTheBodyCallbackStopsDelivery) {
    FakeOpenAiServer fake;
    FakeReply r;
    for (int i = 0; i < 40; ++i) r.pieces.push_back("piece" + std::to_string(i) + ";");
    r.pieceDelay = 20ms;
    fake.enqueue(r);
    Loop loop;
    auto token = std::make_shared<CancelToken>();
    int calls = 0;
    auto res = loop.run(fetch(get(fake.origin()),
                              [&](std::string_view) {
                                  ++calls;
                                  token->cancel();
                              },
                              token));
    EXPECT_EQ(res.errorKind, Kind::Cancelled);
    EXPECT_EQ(calls, 1);
    EXPECT_TRUE(fake.waitForAbortedReplies(1, 5s));  // the socket really closed
}

TEST_F(HttpClient, CancelFromTheExecutorWhileWaitingForHeaders) {
    FakeOpenAiServer fake;
    FakeReply hang;
    hang.hang = true;
    fake.enqueue(hang);
    Loop loop;
    auto token = std::make_shared<CancelToken>();
    asio::steady_timer t(loop.io, 100ms);
    t.async_wait([&](boost::system::error_code) { token->cancel(); });
    auto start = std::chrono::steady_clock::now();
    auto r = loop.run(fetch(get(fake.origin()), token));
    EXPECT_EQ(r.errorKind, Kind::Cancelled);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
    // A token cancelled before the fetch starts stops it at once.
    EXPECT_EQ(loop.run(fetch(get(fake.origin()), token)).errorKind, Kind::Cancelled);
}

TEST_F(HttpClient, APeerThatClosesWithoutAnsweringIsAnIoError) {
    FakeOpenAiServer fake;
    FakeReply r;
    r.closeSilently = true;
    fake.enqueue(r);
    Loop loop;
    auto res = loop.run(fetch(get(fake.origin())));
    EXPECT_EQ(res.errorKind, Kind::Io) << res.error;
    EXPECT_EQ(res.status, 0);
    EXPECT_EQ(res.error, "connection closed before a response");
}

TEST_F(HttpClient, TruncatedChunkedBodyIsAnError) {
    FakeOpenAiServer fake;
    FakeReply r;
    r.pieces = {"partial"};
    r.truncate = true;
    fake.enqueue(r);
    Loop loop;
    auto res = loop.run(fetch(get(fake.origin())));
    EXPECT_EQ(res.errorKind, Kind::Io) << res.error;
    EXPECT_EQ(res.status, 200);
}

TEST_F(HttpClient, BufferedBodyLimit) {
    FakeOpenAiServer fake;
    fake.enqueue(plain(200, std::string(1000, 'x'), FakeReply::Framing::ContentLength));
    auto req = get(fake.origin());
    req.maxBufferedBody = 100;
    Loop loop;
    EXPECT_EQ(loop.run(fetch(req)).errorKind, Kind::BodyTooLarge);
}

TEST_F(HttpClient, HttpsWithVerificationDisabled) {
    FakeOpenAiServer fake({.tls = true});
    FakeReply r;
    r.pieces = {"secure ", "stream"};
    r.pieceDelay = 10ms;
    fake.enqueue(r);
    auto req = get(fake.origin() + "/tls");
    req.verifyTls = false;
    Loop loop;
    std::string got;
    auto res = loop.run(fetch(req, [&](std::string_view b) { got += b; }, nullptr));
    ASSERT_TRUE(res.ok()) << res.error;
    EXPECT_EQ(got, "secure stream");
    EXPECT_EQ(fake.requests().at(0).target, "/tls");
}

TEST_F(HttpClient, HttpsRejectsAnUntrustedCertificate) {
    FakeOpenAiServer fake({.tls = true});
    fake.enqueue(plain(200, "nope", FakeReply::Framing::ContentLength));
    Loop loop;
    auto res = loop.run(fetch(get("https://localhost:" + std::to_string(fake.port()) + "/")));
    EXPECT_EQ(res.errorKind, Kind::Tls) << res.error;
    EXPECT_NE(res.error.find("certificate"), std::string::npos) << res.error;
    EXPECT_TRUE(fake.requests().empty());
}

}  // namespace
}  // namespace voxa::net
