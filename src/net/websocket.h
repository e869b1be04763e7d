// WebSocket connections handed out by the HTTP server after an upgrade, free of Beast.
//
//   server.setUpgradeHandler([&](HttpRequest& req) -> std::optional<WsHandler> {
//       if (!isCallTransport(req.path)) return std::nullopt;          // -> 404
//       return [](std::shared_ptr<WsConnection> ws) -> asio::awaitable<void> {
//           while (auto msg = co_await ws->read()) ws->send(msg->data, msg->binary);  // echo
//       };
//   });
//
// Client side (providers' streaming APIs):
//
//   auto r = co_await openWebSocket("wss://api.deepgram.com/v1/listen?model=nova-2",
//                                   {{"Authorization", "Token " + key}}, UrlSource::Operator);
//   if (!r.ok()) log(r.error == WsConnectResult::Error::Rejected ? r.status : 0, r.message);
//   r.conn->send(pcm, /*binary=*/true);
//
// send() never blocks and never interleaves frames: messages are queued and written in
// order by one writer on the connection's event loop. All methods must be called on that
// loop (executor()).
#pragma once
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "net/egress.h"
#include "net/http.h"

namespace voxa::net {

struct WsMessage {
    bool binary = false;
    std::string data;
    /// When read() completed (steady clock): where a provider's latency starts
    /// (net/read_time.h).
    std::chrono::steady_clock::time_point receivedAt{};
};

/// How a connection ended, once read() has returned nullopt: the close frame the peer sent
/// (its code and reason), or 1009 "message too big" when a message was over the read limit
/// (the connection is then failed with that code). code 0: it ended without a close frame
/// (cut, reset, or still open).
struct WsClosed {
    uint16_t code = 0;
    std::string reason;
};

class WsConnection {
public:
    virtual ~WsConnection() = default;
    /// Next message, or nullopt once the peer closed or the connection failed.
    virtual boost::asio::awaitable<std::optional<WsMessage>> read() = 0;
    /// Queues a message. Returns false if the connection is closed or the queue is over
    /// its limit (a slow reader), in which case the message is dropped.
    virtual bool send(std::string data, bool binary) = 0;
    /// Sends a close frame (after the queued messages) and ends the connection.
    virtual void close(uint16_t code = 1000, std::string reason = {}) = 0;
    virtual bool isOpen() const = 0;
    virtual size_t queuedBytes() const = 0;
    /// Why read() returned nullopt (see WsClosed). Providers whose server says why it hangs
    /// up with a close code (AssemblyAI's 1008 not authorized, 3005 server error) read it here.
    virtual WsClosed closed() const = 0;
    /// The largest message read() accepts (default 16 MiB); a larger one fails the
    /// connection with 1009. Clients of a provider's API set their own bound.
    virtual void setReadLimit(size_t bytes) = 0;
    virtual boost::asio::any_io_executor executor() const = 0;
};

using WsHandler = std::function<boost::asio::awaitable<void>(std::shared_ptr<WsConnection>)>;
/// Decides whether an upgrade request is accepted. nullopt -> the request goes to the
/// normal HTTP handler (which answers 404/401...). May suspend (e.g. database lookups).
using UpgradeHandler =
    std::function<boost::asio::awaitable<std::optional<WsHandler>>(HttpRequest&)>;

/// The outcome of a client connect: the connection, or why there is none.
struct WsConnectResult {
    enum class Error {
        None,
        BadUrl,     // not ws:// or wss://, bad port
        Resolve,    // DNS
        Egress,     // no resolved address is allowed (kEgressRefused)
        Connect,    // refused, unreachable, timed out
        Tls,        // handshake or certificate verification failed
        Rejected,   // the server answered the upgrade with an HTTP status (401, 403, ...)
        Handshake   // the WebSocket handshake failed otherwise
    };
    std::shared_ptr<WsConnection> conn;
    Error error = Error::None;
    int status = 0;       // Rejected: the HTTP status
    std::string message;  // human-readable, for logs (Rejected: with the body's start)
    bool ok() const { return conn != nullptr; }
};

/// Client side: connects to ws://host[:port]/path?query or wss:// (TLS with certificate and
/// host-name verification against the system store, SNI). `headers` are added to the
/// upgrade request (e.g. Authorization). Like fetch(), only addresses the egress policy
/// permits are tried unless `source` is Operator. `timeout` bounds DNS + connect + TLS +
/// upgrade together.
boost::asio::awaitable<WsConnectResult> openWebSocket(
    std::string url, std::vector<Header> headers, UrlSource source = UrlSource::OrgConfig,
    std::chrono::milliseconds timeout = std::chrono::seconds(10));

/// openWebSocket() without the reason: nullptr on failure.
boost::asio::awaitable<std::shared_ptr<WsConnection>> connectWebSocket(
    std::string url, std::vector<Header> headers, UrlSource source = UrlSource::OrgConfig);

}  // namespace voxa::net
