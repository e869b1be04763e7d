#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/this_coro.hpp>

#include <charconv>
#include <deque>

#include "net/headers.h"
#include "net/resolver.h"
#include "net/ws_detail.h"

namespace voxa::net::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

constexpr size_t kMaxQueuedBytes = 8 * 1024 * 1024;  // a reader this far behind is dropped

class BeastWsConnection final : public WsConnection,
                                public std::enable_shared_from_this<BeastWsConnection> {
public:
    explicit BeastWsConnection(beast::tcp_stream stream) : ws_(std::move(stream)) {}

    asio::awaitable<bool> accept(beast::http::request<beast::http::string_body> req,
                                 size_t maxMessage) {
        ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
        ws_.read_message_max(maxMessage);
        beast::get_lowest_layer(ws_).expires_never();
        auto [ec] = co_await ws_.async_accept(req, asio::as_tuple(asio::use_awaitable));
        open_ = !ec;
        co_return open_;
    }

    asio::awaitable<bool> handshake(std::string host, std::string target,
                                    std::vector<Header> headers) {
        ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
        ws_.set_option(websocket::stream_base::decorator(
            [headers](websocket::request_type& req) {
                for (auto& h : headers)  // a control character would split the request
                    if (validHeaderName(h.name) && validHeaderValue(h.value)) req.set(h.name, h.value);
            }));
        beast::get_lowest_layer(ws_).expires_never();
        auto [ec] = co_await ws_.async_handshake(host, target, asio::as_tuple(asio::use_awaitable));
        open_ = !ec;
        co_return open_;
    }

    asio::awaitable<std::optional<WsMessage>> read() override {
        if (!open_) co_return std::nullopt;
        buffer_.consume(buffer_.size());
        auto [ec, n] = co_await ws_.async_read(buffer_, asio::as_tuple(asio::use_awaitable));
        if (ec) {
            open_ = false;
            co_return std::nullopt;
        }
        WsMessage m;
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
                            [self = shared_from_this()](boost::system::error_code ec, size_t) {
                                if (ec) self->open_ = false;
                                self->writeNext();
                            });
            return;
        }
        if (open_ && closing_) {
            websocket::close_reason cr(static_cast<websocket::close_code>(closeCode_), closeReason_);
            ws_.async_close(cr, [self = shared_from_this()](boost::system::error_code) {
                self->open_ = false;
                self->writeNext();
            });
            return;
        }
        queue_.clear();
        queued_ = 0;
        writing_ = false;
    }

    websocket::stream<beast::tcp_stream> ws_;
    beast::flat_buffer buffer_;
    std::deque<WsMessage> queue_;
    WsMessage current_;  // the message being written
    size_t queued_ = 0;
    bool open_ = false;
    bool writing_ = false;
    bool closing_ = false;
    uint16_t closeCode_ = 1000;
    std::string closeReason_;
};

}  // namespace voxa::net::detail

namespace voxa::net {

namespace asio = boost::asio;
namespace beast = boost::beast;

asio::awaitable<std::shared_ptr<WsConnection>> connectWebSocket(std::string url,
                                                               std::vector<Header> headers,
                                                               UrlSource source) {
    // ws://host[:port]/path?query
    if (!url.starts_with("ws://")) co_return nullptr;
    std::string rest = url.substr(5);
    size_t slash = rest.find('/');
    std::string hostport = rest.substr(0, slash);
    std::string target = slash == std::string::npos ? "/" : rest.substr(slash);
    std::string host = hostport, port = "80";
    if (auto colon = hostport.rfind(':'); colon != std::string::npos) {
        host = hostport.substr(0, colon);
        port = hostport.substr(colon + 1);
    }
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    uint16_t portNumber = 0;
    auto [pend, pec] = std::from_chars(port.data(), port.data() + port.size(), portNumber);
    if (pec != std::errc() || pend != port.data() + port.size()) co_return nullptr;
    auto ex = co_await asio::this_coro::executor;
    // Asynchronous, with its own timeout (net/resolver.h): a dead name delays only this call.
    auto resolved = co_await resolver()->resolve(host, std::chrono::seconds(10));
    if (resolved.error) co_return nullptr;
    std::vector<asio::ip::tcp::endpoint> allowed;
    auto policy = source == UrlSource::OrgConfig ? egressPolicy() : nullptr;
    for (auto& address : resolved.addresses)
        if (!policy || policy->permits(address)) allowed.emplace_back(address, portNumber);
    if (allowed.empty()) co_return nullptr;
    beast::tcp_stream stream(ex);
    stream.expires_after(std::chrono::seconds(10));
    auto [cec, ep] = co_await stream.async_connect(allowed, asio::as_tuple(asio::use_awaitable));
    if (cec) co_return nullptr;
    // Real-time audio goes in small frames: no Nagle delay behind an unacknowledged one.
    boost::system::error_code ignored;
    stream.socket().set_option(asio::ip::tcp::no_delay(true), ignored);
    auto conn = std::make_shared<detail::BeastWsConnection>(std::move(stream));
    if (!co_await conn->handshake(hostport, target, std::move(headers))) co_return nullptr;
    co_return conn;
}

}  // namespace voxa::net

namespace voxa::net::detail {

asio::awaitable<std::shared_ptr<WsConnection>> acceptWebSocket(
    beast::tcp_stream stream, beast::http::request<beast::http::string_body> req,
    size_t maxMessageBytes) {
    auto conn = std::make_shared<BeastWsConnection>(std::move(stream));
    bool ok = co_await conn->accept(std::move(req), maxMessageBytes);
    if (!ok) co_return nullptr;
    co_return conn;
}

}  // namespace voxa::net::detail
