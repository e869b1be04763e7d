// Keep-alive connections for net::fetch (net/http_client.h), and warming them ahead of use.
//
//   // a provider session, when the call starts (one line; the call's first request then
//   // finds TCP and TLS done):
//   net::warm(ctx.executor, settings.url, settings.source);
//
//   net::fetch(...)   // takes an idle connection to the same host if there is one, else
//                     // opens one; gives it back when the response was read to its end
//
// One pool per execution context (each of Voxa's event loops has its own, shared by every
// call on it: a call lives on one loop, so a pooled connection is only ever used from the
// thread that opened it). Inside a pool, connections are kept per host key: scheme, host,
// port, who chose the URL (net::UrlSource: the egress policy was or was not applied when it
// connected) and whether the certificate was verified.
//
// - Reuse: a connection goes back to the pool only when its response was read to the end,
//   the server allowed keep-alive (no `Connection: close`, no body delimited by the close)
//   and nothing unread follows it. A cancelled fetch (CancelToken), a timeout, an error or a
//   body the caller stopped reading closes it instead.
// - Checked before reuse: an idle connection the server has closed (FIN/RST seen by poll)
//   or that holds unexpected bytes (plain HTTP) is dropped, not used.
// - Retried once: a reused connection that fails before any byte of the response (the server
//   closed it as the request went out: the keep-alive race) is replaced by a fresh one and
//   the request sent again when that cannot run it twice: for idempotent methods (GET, HEAD,
//   OPTIONS, TRACE, PUT, DELETE), and for others (POST) only when the kernel says the peer
//   acknowledged none of the request's bytes (TCP_INFO tcpi_bytes_acked unchanged since the
//   write began), so the server never received it. A POST the server received and then
//   dropped is not re-sent: its caller sees the error (a model turn fails over).
// - Bounds (PoolOptions, per host and per pool): at most maxPerHost connections open (busy,
//   idle or connecting); a request beyond waits for one to be freed, up to its connect
//   timeout. At most maxIdlePerHost kept idle (more are closed when their response ends).
//   An idle connection is closed after idleTimeout, and checked about every second for a
//   server close (from a thread of the pool's own that posts the check to the loop: idle
//   connections are not work that keeps io_context::run() from returning).
// - TLS: the session tickets a host's server gave (the last 4) are offered on new
//   connections to it (process-wide, OpenSSL session resumption), which saves the
//   handshake's signature and certificate checks. A TLS 1.3 ticket is used once while
//   another is left (RFC 8446 C.4), the last one again rather than none.
// - Metrics: voxa_http_pool_requests_total{result="hit"|"miss"} (a request found an idle
//   connection or had to open one), voxa_http_pool_connections{state="idle"|"active"},
//   voxa_http_pool_retries_total, voxa_http_pool_warmed_total,
//   voxa_http_pool_tls_handshakes_total{resumed="true"|"false"}.
#pragma once
#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <cstddef>
#include <string_view>

#include "net/egress.h"

namespace voxa::net {

struct PoolOptions {
    /// Connections open to one host (in use, idle or connecting) per event loop.
    size_t maxPerHost = 256;
    /// Idle connections kept per host per event loop.
    size_t maxIdlePerHost = 32;
    /// An idle connection is closed after this long unused. Servers close theirs too (Node's
    /// default is 5 s, nginx 75 s): such a close is noticed before reuse.
    std::chrono::milliseconds idleTimeout{50'000};
    /// Look at an idle connection (poll) before reusing it. Only tests turn this off, to
    /// make the keep-alive race (and the retry that answers it) certain.
    bool checkBeforeReuse = true;
};

/// Process-wide; applies to pools created afterwards and to bounds checked afterwards.
void setPoolOptions(const PoolOptions& options);
PoolOptions poolOptions();

/// Opens (DNS, TCP, TLS) a connection to `url`'s host and leaves it idle in the pool of
/// `executor`'s context, unless one is already idle or being opened there. Returns at once;
/// failures are only logged (debug): the request itself will report them. Invalid URLs are
/// ignored. `verifyTls` must match the requests' HttpClientRequest::verifyTls.
void warm(const boost::asio::any_io_executor& executor, std::string_view url,
          UrlSource source = UrlSource::OrgConfig, bool verifyTls = true);

struct PoolHostStats {
    size_t idle = 0;  // ready for a request
    size_t open = 0;  // idle + in use + connecting
};
/// The pool of `executor`'s context, for `url`'s host (tests, diagnostics).
PoolHostStats poolStats(const boost::asio::any_io_executor& executor, std::string_view url,
                        UrlSource source = UrlSource::OrgConfig, bool verifyTls = true);

}  // namespace voxa::net
