// Internal to src/net: one outbound HTTP/1.1 connection (socket, TLS layer, watchdog), shared
// by fetch() (http_client.cpp) and the connection pool that keeps it between requests
// (pool.cpp). Beast-free, but Asio's SSL headers are heavy: include only from src/net.
#pragma once
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>

#include <openssl/ssl.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "net/egress.h"
#include "net/http_client.h"

namespace voxa::net {
class DnsLookup;
}

namespace voxa::net::detail {

using Clock = std::chrono::steady_clock;

struct Target {
    bool tls = false;
    std::string host;        // for DNS, SNI and certificate checks (no IPv6 brackets)
    std::string port;
    std::string hostHeader;  // as it goes on the wire (brackets, non-default port)
    std::string path;        // origin-form request target
};

std::optional<Target> parseTarget(std::string_view url);

/// What a pooled connection may serve: scheme, host, port, who chose the URL (the egress
/// policy was applied, or not, when it connected) and whether the certificate was verified.
std::string poolKey(const Target& t, UrlSource source, bool verifyTls);

// Socket, TLS layer and watchdog of one connection. Shared with the timer handler and the
// cancel hook (by weak_ptr), both of which close the socket to abort pending operations.
struct Connection {
    Connection(const boost::asio::any_io_executor& ex, bool tls, std::string poolKey);
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // Declared before the TLS stream so it outlives the SSL object, whose ex_data points here
    // (the TLS session cache files the server's tickets under it: pool.cpp).
    const std::string key;
    std::shared_ptr<DnsLookup> lookup;                   // while resolving
    boost::asio::steady_timer timer;
    boost::asio::ip::tcp::socket socket;                 // plain http
    std::optional<boost::asio::ssl::stream<boost::asio::ip::tcp::socket>> stream;  // https
    std::optional<Clock::time_point> totalDeadline;
    bool timedOut = false;
    bool aborted = false;
    int exchanges = 0;          // responses read to their end on this connection
    Clock::time_point idleSince{};

    boost::asio::ip::tcp::socket& lowest() { return stream ? stream->next_layer() : socket; }
    void abort();
};

/// Arms the watchdog for the next phase (capped by the total deadline). A handler that was
/// already queued when it is re-armed sees an expiry in the future and does nothing.
void arm(const std::shared_ptr<Connection>& c, std::chrono::milliseconds phase);

/// Resolve, connect and (for https) handshake, offering the TLS session last filed under the
/// connection's key. Returns an empty (ok) result on success. Only the resolved addresses
/// the egress policy permits are tried (for org-configured URLs).
boost::asio::awaitable<HttpClientResult> openConnection(std::shared_ptr<Connection> c, Target t,
                                                        std::chrono::milliseconds timeout,
                                                        bool verifyTls, UrlSource source,
                                                        std::shared_ptr<CancelToken> cancel);

// ---- The pool (pool.cpp) ------------------------------------------------------------------

class Pool;

/// A slot of a host in the pool of one execution context: an idle connection taken from it
/// (reused) or the right to open a new one (conn null: the holder creates it in `conn`).
/// Destroyed without keep(), it closes the connection and frees the slot.
class Lease {
public:
    Lease() = default;
    Lease(std::shared_ptr<Pool> pool, std::string key, std::shared_ptr<Connection> conn);
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&&) = delete;
    ~Lease();

    /// Back to the idle list: its response was read to the end and keep-alive allowed.
    void keep();
    bool held() const { return pool_ != nullptr; }

    std::shared_ptr<Connection> conn;
    bool reused = false;

private:
    std::shared_ptr<Pool> pool_;
    std::string key_;
};

struct Acquired {
    Lease lease;
    HttpClientResult::ErrorKind error = HttpClientResult::ErrorKind::None;  // Timeout, Cancelled
};

/// A slot for `key` in the pool of `ex`'s context: the most recently used idle connection
/// that is still usable (when takeIdle), else a free slot, else waits until `deadline` for
/// one. `cancel` (may be null) ends the wait.
boost::asio::awaitable<Acquired> acquire(boost::asio::any_io_executor ex, std::string key,
                                         Clock::time_point deadline,
                                         std::shared_ptr<CancelToken> cancel, bool takeIdle);

/// Counts a request that had to retry on a fresh connection.
void countRetry();

/// TLS session resumption: the shared client context files servers' tickets by pool key.
void enableTlsSessionCache(SSL_CTX* ctx);
void offerTlsSession(SSL* ssl, const std::string& key);  // before the handshake
void noteTlsHandshake(SSL* ssl);                         // after it (metrics)

/// Bytes of this TCP connection the peer has acknowledged (Linux TCP_INFO), if known.
std::optional<uint64_t> tcpBytesAcked(int fd);

}  // namespace voxa::net::detail
