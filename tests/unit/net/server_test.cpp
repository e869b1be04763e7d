#include "net/server.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include <unistd.h>

namespace voxa::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// A blocking client speaking raw HTTP/1.1, so the test exercises the server's parser.
class Client {
public:
    explicit Client(uint16_t port) : socket_(io_) {
        socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    }
    void send(const std::string& raw) { asio::write(socket_, asio::buffer(raw)); }
    // Reads one response (Content-Length framed). Empty string if the peer closed.
    std::string readResponse() {
        boost::system::error_code ec;
        for (;;) {
            auto headerEnd = buf_.find("\r\n\r\n");
            if (headerEnd != std::string::npos) {
                size_t len = 0;
                auto cl = buf_.find("Content-Length: ");
                if (cl != std::string::npos && cl < headerEnd) len = std::stoul(buf_.substr(cl + 16));
                if (buf_.size() >= headerEnd + 4 + len) {
                    std::string res = buf_.substr(0, headerEnd + 4 + len);
                    buf_.erase(0, headerEnd + 4 + len);
                    return res;
                }
            }
            char tmp[4096];
            size_t n = socket_.read_some(asio::buffer(tmp), ec);
            if (ec) return {};
            buf_.append(tmp, n);
        }
    }

private:
    asio::io_context io_;
    tcp::socket socket_;
    std::string buf_;
};

asio::awaitable<HttpResponse> echo(HttpRequest& req) {
    if (req.path == "/slow") {
        asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(300));
        co_await t.async_wait(asio::use_awaitable);
    }
    if (req.path == "/throw") throw std::runtime_error("boom");
    co_return HttpResponse::json(200, "{\"path\":\"" + req.path + "\",\"bytes\":" +
                                          std::to_string(req.body.size()) + "}");
}

}  // namespace

class ServerTest : public ::testing::Test {
protected:
    void SetUp() override {
        server_ = std::make_unique<HttpServer>(
            ServerOptions{.host = "127.0.0.1", .port = 0, .threads = 2, .bodyLimit = 1024}, echo);
        server_->start();
    }
    void TearDown() override { server_->stop(); }
    std::unique_ptr<HttpServer> server_;
};

TEST_F(ServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
    Client c(server_->port());
    c.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_NE(c.readResponse().find("\"path\":\"/a\""), std::string::npos);
    c.send("POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
    auto r = c.readResponse();
    EXPECT_NE(r.find("HTTP/1.1 200"), std::string::npos);
    EXPECT_NE(r.find("\"bytes\":3"), std::string::npos);
}

TEST_F(ServerTest, OversizedBodyGets413InVapiShape) {
    Client c(server_->port());
    std::string body(2048, 'x');
    c.send("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 2048\r\n\r\n" + body);
    auto r = c.readResponse();
    EXPECT_NE(r.find("HTTP/1.1 413"), std::string::npos);
    EXPECT_NE(r.find("\"statusCode\":413"), std::string::npos);
}

TEST_F(ServerTest, EchoesOrGeneratesRequestId) {
    Client c(server_->port());
    c.send("GET /a HTTP/1.1\r\nHost: x\r\nX-Request-Id: abc-123\r\n\r\n");
    EXPECT_NE(c.readResponse().find("X-Request-Id: abc-123"), std::string::npos);
    c.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_NE(c.readResponse().find("X-Request-Id: "), std::string::npos);
}

TEST_F(ServerTest, AnswersCorsPreflight) {
    Client c(server_->port());
    c.send("OPTIONS /assistant HTTP/1.1\r\nHost: x\r\nOrigin: http://app.example\r\n"
           "Access-Control-Request-Method: POST\r\n"
           "Access-Control-Request-Headers: authorization, content-type\r\n\r\n");
    auto r = c.readResponse();
    EXPECT_NE(r.find("HTTP/1.1 204"), std::string::npos);
    // No public URL configured: keys from any origin, never credentials (server_headers_test).
    EXPECT_NE(r.find("Access-Control-Allow-Origin: *"), std::string::npos);
    EXPECT_EQ(r.find("Access-Control-Allow-Credentials"), std::string::npos);
    EXPECT_NE(r.find("Access-Control-Allow-Headers: authorization, content-type"),
              std::string::npos);
}

TEST_F(ServerTest, HandlerExceptionBecomes500AndServerLives) {
    Client c(server_->port());
    c.send("GET /throw HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_NE(c.readResponse().find("HTTP/1.1 500"), std::string::npos);
    c.send("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_NE(c.readResponse().find("HTTP/1.1 200"), std::string::npos);
}

TEST_F(ServerTest, GarbageClosesOnlyThatConnection) {
    {
        Client bad(server_->port());
        bad.send("\x01\x02 NOT HTTP\r\n\r\n");
        EXPECT_EQ(bad.readResponse(), "");
    }
    Client good(server_->port());
    good.send("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_NE(good.readResponse().find("HTTP/1.1 200"), std::string::npos);
}

TEST_F(ServerTest, StopFinishesInFlightRequests) {
    Client c(server_->port());
    c.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // request is in the handler
    auto stopped = std::async(std::launch::async, [&] { server_->stop(); });
    auto r = c.readResponse();
    stopped.get();
    EXPECT_NE(r.find("HTTP/1.1 200"), std::string::npos);
    EXPECT_NE(r.find("Connection: close"), std::string::npos);
    EXPECT_THROW(Client(server_->port()), boost::system::system_error);  // no longer accepting
}

}  // namespace voxa::net

namespace voxa::net {

// File responses are read off the loop in chunks: the body must still be the file, byte for
// byte, across chunk boundaries, with the handler's headers; the connection stays usable;
// a file that is gone by the time it is sent is a 404.
TEST(ServerFiles, StreamsTheFileExactlyAndKeepsTheConnection) {
    auto dir = std::filesystem::temp_directory_path() / ("voxa-files-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto path = (dir / "big.bin").string();
    std::string content(1024 * 1024 + 3, '\0');  // four 256 KiB chunks and a tail
    for (size_t i = 0; i < content.size(); ++i) content[i] = static_cast<char>((i * 131) >> 3);
    {
        std::ofstream f(path, std::ios::binary);
        f.write(content.data(), static_cast<std::streamsize>(content.size()));
    }
    ServerOptions opts;
    opts.port = 0;
    opts.threads = 1;
    HttpServer server(opts,
                      [path, dir](HttpRequest& req) -> asio::awaitable<HttpResponse> {
                          HttpResponse res;
                          res.contentType = "audio/wav";
                          res.filePath = req.path == "/gone" ? (dir / "nothing.bin").string() : path;
                          res.headers.push_back({"Content-Disposition", "attachment"});
                          co_return res;
                      });
    server.start();
    Client c(server.port());
    for (int round = 0; round < 2; ++round) {
        c.send("GET /file HTTP/1.1\r\nHost: x\r\n\r\n");
        auto res = c.readResponse();
        ASSERT_FALSE(res.empty());
        auto split = res.find("\r\n\r\n");
        auto head = res.substr(0, split);
        EXPECT_NE(head.find("HTTP/1.1 200"), std::string::npos) << head;
        EXPECT_NE(head.find("Content-Length: " + std::to_string(content.size())), std::string::npos) << head;
        EXPECT_NE(head.find("Content-Type: audio/wav"), std::string::npos) << head;
        EXPECT_NE(head.find("Content-Disposition: attachment"), std::string::npos) << head;
        EXPECT_NE(head.find("X-Content-Type-Options: nosniff"), std::string::npos) << head;
        EXPECT_TRUE(res.substr(split + 4) == content) << "the body differs from the file";
    }
    c.send("GET /gone HTTP/1.1\r\nHost: x\r\n\r\n");
    auto gone = c.readResponse();
    EXPECT_NE(gone.find("HTTP/1.1 404"), std::string::npos) << gone;
    server.stop();
    std::filesystem::remove_all(dir);
}

}  // namespace voxa::net
