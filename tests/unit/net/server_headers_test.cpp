// What the server adds to and refuses in every response: CORS by policy, nosniff, and no
// header carrying a control character (response splitting).
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

#include "net/server.h"

namespace voxa::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// One raw request, the whole response (the server closes with Connection: close).
std::string exchange(uint16_t port, const std::string& raw) {
    asio::io_context io;
    tcp::socket s(io);
    s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    asio::write(s, asio::buffer(raw));
    std::string out;
    char buf[4096];
    boost::system::error_code ec;
    for (;;) {
        size_t n = s.read_some(asio::buffer(buf), ec);
        if (ec) break;
        out.append(buf, n);
    }
    return out;
}

std::string headerBlock(const std::string& response) {
    return response.substr(0, response.find("\r\n\r\n") + 2);
}

asio::awaitable<HttpResponse> handler(HttpRequest& req) {
    auto res = HttpResponse::json(200, "{}");
    if (req.path == "/split") {
        res.headers.push_back({"X-Name", "a\r\nSet-Cookie: evil=1"});
        res.headers.push_back({"Bad Name", "x"});
        res.headers.push_back({"X-Fine", "ok"});
        res.contentType = "text/html\nX-Injected: 1";
    }
    if (req.path == "/vary") res.headers.push_back({"Vary", "Accept-Encoding"});
    co_return res;
}

class ServerHeaders : public ::testing::Test {
protected:
    void SetUp() override {
        server_ = std::make_unique<HttpServer>(ServerOptions{.host = "127.0.0.1", .port = 0, .threads = 1},
                                               handler);
        server_->setCorsPolicy(CorsPolicy("*", "http://voxa.test:8080"));
        server_->start();
    }
    void TearDown() override { server_->stop(); }
    std::string get(const std::string& path, const std::string& extra = "") {
        return headerBlock(exchange(server_->port(), "GET " + path + " HTTP/1.1\r\nHost: x\r\n" + extra +
                                                         "Connection: close\r\n\r\n"));
    }
    std::unique_ptr<HttpServer> server_;
};

}  // namespace

TEST_F(ServerHeaders, NosniffOnEveryResponse) {
    EXPECT_NE(get("/a").find("X-Content-Type-Options: nosniff\r\n"), std::string::npos);
}

TEST_F(ServerHeaders, CredentialsOnlyForThePublicOrigin) {
    auto own = get("/a", "Origin: http://voxa.test:8080\r\n");
    EXPECT_NE(own.find("Access-Control-Allow-Origin: http://voxa.test:8080\r\n"), std::string::npos) << own;
    EXPECT_NE(own.find("Access-Control-Allow-Credentials: true\r\n"), std::string::npos) << own;
    for (const char* origin : {"http://voxa.test:9999", "null", "https://evil.example"}) {
        auto other = get("/a", std::string("Origin: ") + origin + "\r\n");
        EXPECT_NE(other.find("Access-Control-Allow-Origin: *\r\n"), std::string::npos) << other;
        EXPECT_EQ(other.find("Access-Control-Allow-Credentials"), std::string::npos) << other;
        EXPECT_NE(other.find("Vary: Origin\r\n"), std::string::npos) << other;
    }
}

TEST_F(ServerHeaders, PreflightFromAnotherOriginHasNoCredentials) {
    auto r = headerBlock(exchange(server_->port(),
        "OPTIONS /assistant HTTP/1.1\r\nHost: x\r\nOrigin: http://voxa.test:9999\r\n"
        "Access-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: authorization\r\n"
        "Connection: close\r\n\r\n"));
    EXPECT_NE(r.find("HTTP/1.1 204"), std::string::npos) << r;
    EXPECT_NE(r.find("Access-Control-Allow-Origin: *\r\n"), std::string::npos) << r;
    EXPECT_NE(r.find("Access-Control-Allow-Headers: authorization\r\n"), std::string::npos) << r;
    EXPECT_EQ(r.find("Access-Control-Allow-Credentials"), std::string::npos) << r;
}

TEST_F(ServerHeaders, VaryFromTheHandlerIsKept) {
    auto r = get("/vary", "Origin: http://elsewhere.test\r\n");
    EXPECT_NE(r.find("Vary: Accept-Encoding, Origin\r\n"), std::string::npos) << r;
}

TEST_F(ServerHeaders, HeadersWithControlsAreDroppedNotSent) {
    auto r = get("/split");
    EXPECT_EQ(r.find("evil"), std::string::npos) << r;
    EXPECT_EQ(r.find("X-Injected"), std::string::npos) << r;
    EXPECT_EQ(r.find("Bad Name"), std::string::npos) << r;
    EXPECT_NE(r.find("X-Fine: ok\r\n"), std::string::npos) << r;
    EXPECT_NE(r.find("Content-Type: application/octet-stream\r\n"), std::string::npos) << r;
}

TEST_F(ServerHeaders, UnprintableRequestIdIsReplaced) {
    auto r = get("/a", "X-Request-Id: zz \xff<script>\r\n");
    EXPECT_EQ(r.find("X-Request-Id: zz"), std::string::npos) << r;
    EXPECT_NE(r.find("X-Request-Id: "), std::string::npos) << r;
    EXPECT_NE(get("/a", "X-Request-Id: req-42\r\n").find("X-Request-Id: req-42\r\n"), std::string::npos);
}

TEST(CorsDefault, WithoutAPolicyKeysWorkFromAnyOriginWithoutCredentials) {
    HttpServer server(ServerOptions{.host = "127.0.0.1", .port = 0, .threads = 1}, handler);
    server.start();
    auto r = headerBlock(exchange(server.port(), "GET / HTTP/1.1\r\nHost: x\r\nOrigin: http://a.test\r\n"
                                                 "Connection: close\r\n\r\n"));
    server.stop();
    EXPECT_NE(r.find("Access-Control-Allow-Origin: *\r\n"), std::string::npos) << r;
    EXPECT_EQ(r.find("Access-Control-Allow-Credentials"), std::string::npos) << r;
}

}  // namespace voxa::net
