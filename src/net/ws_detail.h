// Internal to src/net: hands an upgraded Beast stream to the WebSocket implementation.
// Beast types appear here, so only src/net/*.cpp may include this header.
#pragma once
#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <memory>

#include "net/websocket.h"

namespace voxa::net::detail {

/// Completes the WebSocket handshake on `stream` for `req`; nullptr if it failed.
boost::asio::awaitable<std::shared_ptr<WsConnection>> acceptWebSocket(
    boost::beast::tcp_stream stream,
    boost::beast::http::request<boost::beast::http::string_body> req, size_t maxMessageBytes);

}  // namespace voxa::net::detail
