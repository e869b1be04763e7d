// openWebSocket(): wss:// against a local TLS WebSocket server whose certificate is made at
// test time with openssl (verified chain, host name and SNI), and the status of a refused
// upgrade.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>

#include "net/server.h"
#include "net/tls_detail.h"
#include "net/websocket.h"

namespace voxa::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace fs = std::filesystem;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

/// A self-signed certificate for DNS:localhost in a temp dir, removed at the end.
struct TestCert {
    fs::path dir, cert, key;
    bool ok = false;
    explicit TestCert(const std::string& tag = "ca") {
        dir = fs::temp_directory_path() / ("voxa-tls-" + tag + "-" + std::to_string(::getpid()));
        fs::create_directories(dir);
        cert = dir / "cert.pem";
        key = dir / "key.pem";
        std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost "
                          "-addext subjectAltName=DNS:localhost -keyout " + key.string() +
                          " -out " + cert.string() + " >/dev/null 2>&1";
        ok = std::system(cmd.c_str()) == 0 && fs::exists(cert);
    }
    ~TestCert() {
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
};

/// One TLS WebSocket connection: echoes the first message back, then closes. Records the
/// SNI name and whether the TLS handshake succeeded.
class TlsEchoServer {
public:
    explicit TlsEchoServer(const TestCert& c) : ctx_(asio::ssl::context::tls_server), acceptor_(io_) {
        ctx_.use_certificate_chain_file(c.cert.string());
        ctx_.use_private_key_file(c.key.string(), asio::ssl::context::pem);
        tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
        acceptor_.open(ep.protocol());
        acceptor_.bind(ep);
        acceptor_.listen();
        port_ = acceptor_.local_endpoint().port();
        thread_ = std::thread([this] { serve(); });
    }
    ~TlsEchoServer() {
        boost::system::error_code ec;
        acceptor_.close(ec);
        if (thread_.joinable()) thread_.join();
    }
    uint16_t port() const { return port_; }
    std::string sni;
    bool tlsOk = false;
    std::string echoed;

private:
    void serve() {
        boost::system::error_code ec;
        tcp::socket sock(io_);
        acceptor_.accept(sock, ec);
        if (ec) return;
        beast::websocket::stream<beast::ssl_stream<tcp::socket>> ws(std::move(sock), ctx_);
        ws.next_layer().handshake(asio::ssl::stream_base::server, ec);
        if (ec) return;
        tlsOk = true;
        if (const char* name = SSL_get_servername(ws.next_layer().native_handle(), TLSEXT_NAMETYPE_host_name))
            sni = name;
        ws.accept(ec);
        if (ec) return;
        beast::flat_buffer buf;
        ws.read(buf, ec);
        if (ec) return;
        echoed = beast::buffers_to_string(buf.data());
        ws.text(true);
        ws.write(asio::buffer(echoed), ec);
        // Read until the client's close frame (answered by Beast), then drop the socket
        // without waiting for a TLS close_notify.
        ws.next_layer().next_layer().set_option(asio::socket_base::linger(true, 0), ec);
        buf.clear();
        ws.read(buf, ec);
    }
    asio::io_context io_;
    asio::ssl::context ctx_;
    tcp::acceptor acceptor_;
    uint16_t port_ = 0;
    std::thread thread_;
};

struct Outcome {
    WsConnectResult result;  // conn reset once the loop is done
    std::optional<WsMessage> reply;
    std::chrono::steady_clock::time_point sent, read;  // around the echo
};

Outcome connectAndEcho(std::string url, std::string text) {
    asio::io_context io;
    Outcome out;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        out.result = co_await openWebSocket(url, {}, UrlSource::Operator, 5s);
        if (!out.result.ok()) co_return;
        out.sent = std::chrono::steady_clock::now();
        out.result.conn->send(text, false);
        out.reply = co_await out.result.conn->read();
        out.read = std::chrono::steady_clock::now();
        out.result.conn->close();
    }, asio::detached);
    io.run_for(15s);
    out.result.conn.reset();  // it lives on `io`: not beyond it
    return out;
}

TEST(WebSocketClient, WssVerifiesTheCertificateAndSendsSni) {
    TestCert cert;
    if (!cert.ok) GTEST_SKIP() << "openssl could not make a test certificate";
    // The test CA joins the system store of the shared client context.
    detail::clientTlsContext().load_verify_file(cert.cert.string());
    TlsEchoServer server(cert);
    auto out = connectAndEcho("wss://localhost:" + std::to_string(server.port()) + "/v1/listen?x=1", "ping");
    ASSERT_EQ(out.result.error, WsConnectResult::Error::None) << out.result.message;
    ASSERT_TRUE(out.reply.has_value());
    EXPECT_EQ(out.reply->data, "ping");
    EXPECT_FALSE(out.reply->binary);
    // Stamped when read() completed: where a provider's latency starts (net/read_time.h).
    EXPECT_GE(out.reply->receivedAt, out.sent);
    EXPECT_LE(out.reply->receivedAt, out.read);
    EXPECT_EQ(server.sni, "localhost");
}

TEST(WebSocketClient, WssRefusesACertificateForAnotherName) {
    TestCert cert;
    if (!cert.ok) GTEST_SKIP() << "openssl could not make a test certificate";
    detail::clientTlsContext().load_verify_file(cert.cert.string());
    TlsEchoServer server(cert);
    // The certificate names localhost only: 127.0.0.1 does not match it.
    auto out = connectAndEcho("wss://127.0.0.1:" + std::to_string(server.port()) + "/", "ping");
    
    EXPECT_EQ(out.result.error, WsConnectResult::Error::Tls) << out.result.message;
    EXPECT_TRUE(server.echoed.empty());
}

TEST(WebSocketClient, WssRefusesAnUntrustedCertificate) {
    TestCert trusted("trusted");
    TestCert untrusted("untrusted");  // same name, never added to the store
    if (!trusted.ok || !untrusted.ok) GTEST_SKIP() << "openssl could not make a test certificate";
    detail::clientTlsContext().load_verify_file(trusted.cert.string());
    TlsEchoServer server(untrusted);
    auto out = connectAndEcho("wss://localhost:" + std::to_string(server.port()) + "/", "ping");
    EXPECT_EQ(out.result.error, WsConnectResult::Error::Tls) << out.result.message;
}

TEST(WebSocketClient, ARefusedUpgradeGivesItsStatus) {
    HttpServer server(ServerOptions{.host = "127.0.0.1", .port = 0, .threads = 1},
                      [](HttpRequest&) -> asio::awaitable<HttpResponse> {
                          co_return HttpResponse::json(401, R"({"err_code":"INVALID_AUTH"})");
                      });
    server.setUpgradeHandler([](HttpRequest&) -> asio::awaitable<std::optional<WsHandler>> {
        co_return std::nullopt;  // -> the normal handler: 401
    });
    server.start();
    auto out = connectAndEcho("ws://127.0.0.1:" + std::to_string(server.port()) + "/v1/listen", "x");
    EXPECT_EQ(out.result.error, WsConnectResult::Error::Rejected) << out.result.message;
    EXPECT_EQ(out.result.status, 401);
    server.stop();
}

TEST(WebSocketClient, ConnectionRefusedAndBadUrls) {
    auto refused = connectAndEcho("ws://127.0.0.1:1/", "x");
    EXPECT_EQ(refused.result.error, WsConnectResult::Error::Connect) << refused.result.message;
    EXPECT_EQ(connectAndEcho("http://127.0.0.1/", "x").result.error, WsConnectResult::Error::BadUrl);
    EXPECT_EQ(connectAndEcho("ws://127.0.0.1:99999/", "x").result.error, WsConnectResult::Error::BadUrl);
}

}  // namespace
}  // namespace voxa::net
