#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/this_coro.hpp>

#include <charconv>
#include <deque>

#include "net/headers.h"
#include "net/resolver.h"
#include "net/tls_detail.h"
#include "net/ws_detail.h"

namespace voxa::net::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

constexpr size_t kMaxQueuedBytes = 8 * 1024 * 1024;  // a reader this far behind is dropped

// Stream: beast::tcp_stream (ws://, and the server side) or ssl_stream over it (wss://).
template <class Stream>
class BeastWsConnection final : public WsConnection,
                                public std::enable_shared_from_this<BeastWsConnection<Stream>> {
public:
    template <class... Args>
    explicit BeastWsConnection(Args&&... args) : ws_(std::forward<Args>(args)...) {}

    websocket::stream<Stream>& stream() { return ws_; }

    asio::awaitable<bool> accept(beast::http::request<beast::http::string_body> req,
                                 size_t maxMessage) {
        ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
        ws_.read_message_max(maxMessage);
        beast::get_lowest_layer(ws_).expires_never();
        auto [ec] = co_await ws_.async_accept(req, asio::as_tuple(asio::use_awaitable));
        open_ = !ec;
        co_return open_;
    }

    /// The client upgrade; `res` gets the server's answer (its status when refused).
    asio::awaitable<boost::system::error_code> handshake(std::string host, std::string target,
                                                         std::vector<Header> headers,
                                                         websocket::response_type& res) {
        ws_.set_option(websocket::stream_base::decorator(
            [headers](websocket::request_type& req) {
                for (auto& h : headers)  // a control character would split the request
                    if (validHeaderName(h.name) && validHeaderValue(h.value)) req.set(h.name, h.value);
            }));
        auto [ec] = co_await ws_.async_handshake(res, host, target, asio::as_tuple(asio::use_awaitable));
        open_ = !ec;
        if (open_) {
            beast::get_lowest_layer(ws_).expires_never();
            ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
        }
        co_return ec;
    }

    asio::awaitable<std::optional<WsMessage>> read() override {
        if (!open_) co_return std::nullopt;
        buffer_.consume(buffer_.size());
        auto [ec, n] = co_await ws_.async_read(buffer_, asio::as_tuple(asio::use_awaitable));
        if (ec) {
            open_ = false;
            if (ec == websocket::error::closed) {
                auto& r = ws_.reason();
                closed_ = {static_cast<uint16_t>(r.code), std::string(r.reason.data(), r.reason.size())};
            } else if (ec == websocket::error::message_too_big) {
                closed_ = {1009, "message too big (over the read limit)"};
            }
            co_return std::nullopt;
        }
        WsMessage m;
        m.receivedAt = std::chrono::steady_clock::now();
        m.binary = ws_.got_binary();
        m.data = beast::buffers_to_string(buffer_.data());
        co_return m;
    }

    bool send(std::string data, bool binary) override {
        if (!open_ || closing_) return false;
        if (queued_ + data.size() > kMaxQueuedBytes) return false;
        queued_ += data.size();
        queue_.push_back({binary, std::move(data)});
        startWriter();
        return true;
    }

    void close(uint16_t code, std::string reason) override {
        if (!open_ || closing_) return;
        closing_ = true;
        closeCode_ = code;
        closeReason_ = std::move(reason);
        startWriter();
    }

    bool isOpen() const override { return open_ && !closing_; }
    size_t queuedBytes() const override { return queued_; }
    WsClosed closed() const override { return closed_; }
    void setReadLimit(size_t bytes) override { ws_.read_message_max(bytes); }
    asio::any_io_executor executor() const override {
        return const_cast<BeastWsConnection*>(this)->ws_.get_executor();
    }

private:
    void startWriter() {
        if (writing_) return;
        writing_ = true;
        writeNext();
    }

    // One write at a time (Beast forbids concurrent writes on a stream), chained through
    // completion handlers: a coroutine per message was a measurable share of a call's CPU.
    void writeNext() {
        if (open_ && !queue_.empty()) {
            current_ = std::move(queue_.front());
            queue_.pop_front();
            queued_ -= current_.data.size();
            ws_.binary(current_.binary);
            ws_.async_write(asio::buffer(current_.data),
                            [self = this->shared_from_this()](boost::system::error_code ec, size_t) {
                                if (ec) self->open_ = false;
                                self->writeNext();
                            });
            return;
        }
        if (open_ && closing_) {
            websocket::close_reason cr(static_cast<websocket::close_code>(closeCode_), closeReason_);
            ws_.async_close(cr, [self = this->shared_from_this()](boost::system::error_code) {
                self->open_ = false;
                self->writeNext();
            });
            return;
        }
        queue_.clear();
        queued_ = 0;
        writing_ = false;
    }

    websocket::stream<Stream> ws_;
    beast::flat_buffer buffer_;
    std::deque<WsMessage> queue_;
    WsMessage current_;  // the message being written
    size_t queued_ = 0;
    bool open_ = false;
    bool writing_ = false;
    bool closing_ = false;
    uint16_t closeCode_ = 1000;
    std::string closeReason_;
    WsClosed closed_;  // how the peer ended it (read() returned nullopt)
};

}  // namespace voxa::net::detail

namespace voxa::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

namespace {

using Error = WsConnectResult::Error;

WsConnectResult failure(Error e, std::string message, int status = 0) {
    WsConnectResult r;
    r.error = e;
    r.message = std::move(message);
    r.status = status;
    return r;
}

/// The start of a refused upgrade's body, printable, for the log.
std::string bodyStart(const std::string& body) {
    std::string out;
    for (char c : body.substr(0, 200)) out += (c >= 0x20 && c < 0x7f) ? c : ' ';
    return out;
}

template <class Stream>
asio::awaitable<WsConnectResult> upgrade(std::shared_ptr<detail::BeastWsConnection<Stream>> conn,
                                         std::string hostport, std::string target,
                                         std::vector<Header> headers, std::string where) {
    websocket::response_type res;
    auto ec = co_await conn->handshake(std::move(hostport), std::move(target), std::move(headers), res);
    if (!ec) {
        WsConnectResult r;
        r.conn = conn;
        co_return r;
    }
    if (ec == websocket::error::upgrade_declined || res.result_int() >= 300) {
        int status = static_cast<int>(res.result_int());
        std::string msg = "HTTP " + std::to_string(status) + " from " + where;
        if (!res.body().empty()) msg += ": " + bodyStart(res.body());
        co_return failure(Error::Rejected, std::move(msg), status);
    }
    if (ec == beast::error::timeout)
        co_return failure(Error::Connect, "WebSocket handshake with " + where + " timed out");
    co_return failure(Error::Handshake, "WebSocket handshake with " + where + " failed: " + ec.message());
}

}  // namespace

asio::awaitable<WsConnectResult> openWebSocket(std::string url, std::vector<Header> headers,
                                               UrlSource source, std::chrono::milliseconds timeout) {
    // ws[s]://host[:port]/path?query
    bool tls = url.starts_with("wss://");
    if (!tls && !url.starts_with("ws://")) co_return failure(Error::BadUrl, "not a ws:// or wss:// URL");
    std::string rest = url.substr(tls ? 6 : 5);
    size_t slash = rest.find_first_of("/?");
    std::string hostport = rest.substr(0, slash);
    std::string target = slash == std::string::npos ? "/" : rest.substr(slash);
    if (target.front() == '?') target = "/" + target;
    std::string host = hostport, port = tls ? "443" : "80";
    if (auto colon = hostport.rfind(':'); colon != std::string::npos && hostport.find(']', colon) == std::string::npos) {
        host = hostport.substr(0, colon);
        port = hostport.substr(colon + 1);
    }
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    uint16_t portNumber = 0;
    auto [pend, pec] = std::from_chars(port.data(), port.data() + port.size(), portNumber);
    if (host.empty() || pec != std::errc() || pend != port.data() + port.size())
        co_return failure(Error::BadUrl, "invalid host or port in a WebSocket URL");
    std::string where = host + ":" + port;
    auto ex = co_await asio::this_coro::executor;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    // Asynchronous, with its own timeout (net/resolver.h): a dead name delays only this call.
    auto resolved = co_await resolver()->resolve(host, timeout);
    if (resolved.error) co_return failure(Error::Resolve, "cannot resolve " + host + ": " + resolved.error.message());
    std::vector<asio::ip::tcp::endpoint> allowed;
    auto policy = source == UrlSource::OrgConfig ? egressPolicy() : nullptr;
    for (auto& address : resolved.addresses)
        if (!policy || policy->permits(address)) allowed.emplace_back(address, portNumber);
    if (allowed.empty()) co_return failure(Error::Egress, kEgressRefused);
    beast::tcp_stream stream(ex);
    stream.expires_at(deadline);
    auto [cec, ep] = co_await stream.async_connect(allowed, asio::as_tuple(asio::use_awaitable));
    if (cec) co_return failure(Error::Connect, "cannot connect to " + where + ": " + cec.message());
    // Real-time audio goes in small frames: no Nagle delay behind an unacknowledged one.
    boost::system::error_code ignored;
    stream.socket().set_option(asio::ip::tcp::no_delay(true), ignored);
    if (!tls) {
        auto conn = std::make_shared<detail::BeastWsConnection<beast::tcp_stream>>(std::move(stream));
        co_return co_await upgrade(conn, hostport, target, std::move(headers), where);
    }
    using TlsStream = beast::ssl_stream<beast::tcp_stream>;
    auto conn = std::make_shared<detail::BeastWsConnection<TlsStream>>(std::move(stream),
                                                                       detail::clientTlsContext());
    auto& ssl = conn->stream().next_layer();
    boost::system::error_code addrEc;
    asio::ip::make_address(host, addrEc);
    // SNI carries names only (RFC 6066); virtual-hosted TLS endpoints need it.
    if (addrEc && !SSL_set_tlsext_host_name(ssl.native_handle(), host.c_str()))
        co_return failure(Error::Tls, "cannot set TLS server name " + host);
    ssl.set_verify_mode(asio::ssl::verify_peer);
    ssl.set_verify_callback(asio::ssl::host_name_verification(host));
    auto [hec] = co_await ssl.async_handshake(asio::ssl::stream_base::client,
                                              asio::as_tuple(asio::use_awaitable));
    if (hec) co_return failure(Error::Tls, "TLS handshake with " + where + " failed: " + hec.message());
    co_return co_await upgrade(conn, hostport, target, std::move(headers), where);
}

asio::awaitable<std::shared_ptr<WsConnection>> connectWebSocket(std::string url,
                                                               std::vector<Header> headers,
                                                               UrlSource source) {
    auto r = co_await openWebSocket(std::move(url), std::move(headers), source);
    co_return r.conn;
}

}  // namespace voxa::net

namespace voxa::net::detail {

asio::awaitable<std::shared_ptr<WsConnection>> acceptWebSocket(
    beast::tcp_stream stream, beast::http::request<beast::http::string_body> req,
    size_t maxMessageBytes) {
    auto conn = std::make_shared<BeastWsConnection<beast::tcp_stream>>(std::move(stream));
    bool ok = co_await conn->accept(std::move(req), maxMessageBytes);
    if (!ok) co_return nullptr;
    co_return conn;
}

}  // namespace voxa::net::detail
