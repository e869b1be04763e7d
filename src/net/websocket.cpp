#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

#include <deque>

#include "net/ws_detail.h"

namespace voxa::net::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

namespace {

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
        asio::co_spawn(ws_.get_executor(), writer(shared_from_this()), asio::detached);
    }

    // One writer at a time: Beast forbids concurrent writes on a stream.
    static asio::awaitable<void> writer(std::shared_ptr<BeastWsConnection> self) {
        while (self->open_ && !self->queue_.empty()) {
            WsMessage m = std::move(self->queue_.front());
            self->queue_.pop_front();
            self->queued_ -= m.data.size();
            self->ws_.binary(m.binary);
            auto [ec, n] = co_await self->ws_.async_write(asio::buffer(m.data),
                                                          asio::as_tuple(asio::use_awaitable));
            if (ec) self->open_ = false;
        }
        if (self->open_ && self->closing_) {
            websocket::close_reason cr(static_cast<websocket::close_code>(self->closeCode_), self->closeReason_);
            auto [ec] = co_await self->ws_.async_close(cr, asio::as_tuple(asio::use_awaitable));
            self->open_ = false;
        }
        self->queue_.clear();
        self->queued_ = 0;
        self->writing_ = false;
    }

    websocket::stream<beast::tcp_stream> ws_;
    beast::flat_buffer buffer_;
    std::deque<WsMessage> queue_;
    size_t queued_ = 0;
    bool open_ = false;
    bool writing_ = false;
    bool closing_ = false;
    uint16_t closeCode_ = 1000;
    std::string closeReason_;
};

}  // namespace

asio::awaitable<std::shared_ptr<WsConnection>> acceptWebSocket(
    beast::tcp_stream stream, beast::http::request<beast::http::string_body> req,
    size_t maxMessageBytes) {
    auto conn = std::make_shared<BeastWsConnection>(std::move(stream));
    bool ok = co_await conn->accept(std::move(req), maxMessageBytes);
    if (!ok) co_return nullptr;
    co_return conn;
}

}  // namespace voxa::net::detail
