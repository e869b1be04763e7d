// HttpServer: HTTP/1.1 keep-alive server on Beast + C++20 coroutines, one io_context
// (and one SO_REUSEPORT acceptor) per worker thread.
//
//   voxa::net::HttpServer server({.host = "127.0.0.1", .port = 8080, .threads = 2},
//                                [&](HttpRequest& req) { return api.handle(req); });
//   server.start();          // spawns the worker threads, returns at once
//   ...                      // SIGTERM
//   server.stop();           // stop accepting, finish in-flight requests, join
//
// The server enforces the body limit (413), answers CORS preflights as its CorsPolicy says
// (net/cors.h), sends X-Content-Type-Options: nosniff everywhere, never sends a header with a
// control character in it (net/headers.h), and gives every request an id (X-Request-Id,
// echoed when it is printable ASCII). The handler runs on the connection's event loop
// and must never block.
#pragma once
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "net/cors.h"
#include "net/http.h"
#include "net/websocket.h"

namespace voxa {
class BoundedPool;
}

namespace voxa::net {

struct ServerOptions {
    std::string host = "127.0.0.1";
    uint16_t port = 8080;
    int threads = 0;                        // 0 = one per core
    size_t bodyLimit = 1024 * 1024;         // bytes; larger bodies get 413
    size_t wsMessageLimit = 1024 * 1024;    // largest WebSocket message accepted
    size_t uploadLimit = 100 * 1024 * 1024; // multipart uploads (POST /file)
    std::chrono::seconds idleTimeout{75};   // keep-alive idle timeout
    std::chrono::seconds shutdownGrace{10}; // max wait for in-flight requests on stop()
    CorsPolicy cors;                        // CORS headers (default: keys from any origin)
    int fileThreads = 2;                    // file responses: opens and reads run here
    size_t maxFileReads = 256;              // file opens/reads queued at once; past it, 503
};

/// Called once per finished request (for logs and metrics); runs on the event loop.
struct AccessLogEntry {
    const HttpRequest* request;
    int status;
    size_t bytesOut;
    double seconds;
};
using AccessLog = std::function<void(const AccessLogEntry&)>;

/// Accepts that failed for want of descriptors (EMFILE, ENFILE) or kernel memory (ENOBUFS,
/// ENOMEM), since start, over all servers. Each one backs its accept loop off (50 ms doubling
/// to 1 s) instead of retrying at once; the first of an episode is logged.
struct AcceptErrors {
    uint64_t descriptors = 0;
    uint64_t memory = 0;
};
AcceptErrors acceptErrors();

/// Raises the soft RLIMIT_NOFILE to the hard limit (call once at start, before threads).
/// Every live call holds a handful of descriptors (docs/reliability.md has the figure).
struct DescriptorLimit {
    uint64_t before = 0;  // soft limit found
    uint64_t now = 0;     // soft limit after raising (== before if it could not be raised)
    uint64_t hard = 0;
};
DescriptorLimit raiseDescriptorLimit();

class HttpServer {
public:
    HttpServer(ServerOptions opts, Handler handler, AccessLog log = {});
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    /// Binds the listening sockets (one per worker, SO_REUSEPORT). Throws
    /// std::system_error if the address is taken. Called by start() if needed.
    void bind();
    /// Starts the workers; returns at once.
    void start();
    /// Closes the acceptors: no new connection is accepted, the open ones go on (a drain).
    void stopAccepting();
    /// Graceful stop: closes the acceptors, lets in-flight requests finish (up to
    /// shutdownGrace), then stops the loops and joins the threads.
    void stop();
    /// The CORS policy, once the public URL is known (set before start()).
    void setCorsPolicy(CorsPolicy cors) { opts_.cors = std::move(cors); }
    /// Routes WebSocket upgrade requests (set before start()).
    void setUpgradeHandler(UpgradeHandler h) { upgrade_ = std::move(h); }
    /// The bound port (useful with port 0).
    uint16_t port() const { return boundPort_; }
    /// The event loops, one per worker (other subsystems may schedule work on them).
    std::vector<boost::asio::io_context*> loops();

private:
    struct Worker;
    ServerOptions opts_;
    Handler handler_;
    UpgradeHandler upgrade_;
    AccessLog log_;
    std::unique_ptr<BoundedPool> files_;  // file responses' opens and reads (off the loops)
    std::vector<std::unique_ptr<Worker>> workers_;
    std::atomic<int> inFlight_{0};
    std::atomic<bool> stopping_{false};
    uint16_t boundPort_ = 0;
};

}  // namespace voxa::net
