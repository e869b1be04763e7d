// HttpClient: outbound HTTP/1.1 requests (provider APIs, webhooks) on the caller's executor,
// over plain TCP or TLS, with timeouts, cancellation and an optional streaming body.
//
//   HttpClientRequest req{.method = "POST", .url = "https://api.example.com/v1/x"};
//   req.headers.push_back({"Content-Type", "application/json"});
//   req.body = R"({"a":1})";
//   auto cancel = std::make_shared<CancelToken>();
//   HttpClientResult r = co_await fetch(std::move(req),
//       [&](std::string_view bytes) { parser.feed(bytes); },   // body bytes as they arrive
//       cancel);                                                // cancel->cancel() aborts
//   if (!r.ok()) log(r.error); else if (r.status != 200) log(r.body);  // error bodies buffered
//
//   HttpClientResult whole = co_await fetch(std::move(req2));   // body collected into r.body
//
// Connections are kept alive and reused (net/pool.h: one pool per event loop, per host, TLS
// sessions resumed; net::warm(executor, url, source) opens one ahead of a call's first
// request). No redirects, no compression, no proxy.
// Every resolved address is checked against the egress policy (net/egress.h) before the
// connect, unless the request says the URL is the operator's (source = UrlSource::Operator).
// Beast stays inside http_client.cpp, so this header is cheap to include.
#pragma once
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "net/egress.h"
#include "net/http.h"

namespace voxa::net {

/// Aborts an in-flight fetch. Not thread-safe: call cancel() on the executor the fetch runs
/// on (which is the call's event loop for provider traffic). After cancel() returns, the
/// fetch delivers no more body bytes and completes with ErrorKind::Cancelled.
class CancelToken {
public:
    void cancel();
    bool cancelled() const { return cancelled_; }

    /// Used by fetch(): what to run on cancel() (closes the socket). Replaced per fetch.
    void setHook(std::function<void()> hook) { hook_ = std::move(hook); }

private:
    bool cancelled_ = false;
    std::function<void()> hook_;
};

struct HttpClientRequest {
    std::string method = "GET";
    std::string url;              // http:// or https://, with optional port, path and query
    std::vector<Header> headers;  // sent as given; Host, Content-Length and Connection are added
    std::string body;
    /// DNS + TCP connect + TLS handshake, together.
    std::chrono::milliseconds connectTimeout{10'000};
    /// Longest silence while waiting for the response: before the status line and between
    /// body reads (an idle timeout, so a long-running stream is fine while bytes flow).
    std::chrono::milliseconds readTimeout{30'000};
    /// Whole exchange, 0 = unlimited.
    std::chrono::milliseconds totalTimeout{0};
    /// Verify the server certificate chain and host name (turn off only in tests).
    bool verifyTls = true;
    /// Limit for bodies kept in HttpClientResult::body (non-streaming, or error bodies).
    size_t maxBufferedBody = 16 * 1024 * 1024;
    /// In streaming mode, non-2xx bodies go to result.body instead of the callback, so the
    /// caller can report the server's error message.
    bool bufferErrorBodies = true;
    /// Who chose the URL: OrgConfig (the default) is held to the egress policy on every
    /// resolved address; Operator (command-line flags, the talk CLI) is not.
    UrlSource source = UrlSource::OrgConfig;
};

struct HttpClientResult {
    enum class ErrorKind {
        None,
        BadRequest,
        Resolve,
        Connect,
        Egress,  // no resolved address is allowed by the egress policy (kEgressRefused)
        Tls,
        Timeout,
        Cancelled,
        Io,
        Protocol,
        BodyTooLarge
    };
    ErrorKind errorKind = ErrorKind::None;
    std::string error;             // human-readable; empty when the exchange completed
    int status = 0;                // 0 if no status line was received
    std::vector<Header> headers;   // names lower-cased
    std::string body;              // see HttpClientRequest::bufferErrorBodies

    bool ok() const { return errorKind == ErrorKind::None; }
    bool success() const { return ok() && status >= 200 && status < 300; }
    std::string_view header(std::string_view lowerName) const {
        for (auto& h : headers)
            if (h.name == lowerName) return h.value;
        return {};
    }
};

using BodyChunkHandler = std::function<void(std::string_view)>;

/// Streaming fetch: body bytes (de-chunked) go to `onBodyChunk` as they arrive, on the
/// caller's executor. `cancel` may be null. Never throws for network or HTTP errors.
boost::asio::awaitable<HttpClientResult> fetch(HttpClientRequest req, BodyChunkHandler onBodyChunk,
                                               std::shared_ptr<CancelToken> cancel);

/// Collects the body into the result (up to maxBufferedBody).
boost::asio::awaitable<HttpClientResult> fetch(HttpClientRequest req,
                                               std::shared_ptr<CancelToken> cancel = nullptr);

const char* toString(HttpClientResult::ErrorKind kind);

}  // namespace voxa::net
