#include "net/http_client.h"
#include "net/client_detail.h"
#include "net/tls_detail.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>

#include "net/headers.h"
#include "net/pool.h"
#include "net/read_time.h"
#include "net/resolver.h"

namespace voxa::net {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;
using Kind = HttpClientResult::ErrorKind;

namespace detail {

// Shared: SSL_CTX is safe to use from several threads once configured, and loading the CA
// store per connection would cost milliseconds. Per-connection settings (SNI, verification
// mode, expected host name) live on the SSL object.
asio::ssl::context& clientTlsContext() {
    static asio::ssl::context ctx = [] {
        asio::ssl::context c(asio::ssl::context::tls_client);
        c.set_default_verify_paths();
        c.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                      asio::ssl::context::no_sslv3);
        enableTlsSessionCache(c.native_handle());  // fetch()'s connections resume (net/pool.h)
        return c;
    }();
    return ctx;
}

}  // namespace detail

void CancelToken::cancel() {
    if (cancelled_) return;
    cancelled_ = true;
    if (hook_) {
        auto hook = std::move(hook_);
        hook_ = nullptr;
        hook();
    }
}

const char* toString(HttpClientResult::ErrorKind kind) {
    switch (kind) {
        case Kind::None: return "none";
        case Kind::BadRequest: return "bad request";
        case Kind::Resolve: return "dns";
        case Kind::Connect: return "connect";
        case Kind::Egress: return "egress";
        case Kind::Tls: return "tls";
        case Kind::Timeout: return "timeout";
        case Kind::Cancelled: return "cancelled";
        case Kind::Io: return "io";
        case Kind::Protocol: return "protocol";
        case Kind::BodyTooLarge: return "body too large";
    }
    return "?";
}

namespace detail {

std::optional<Target> parseTarget(std::string_view text) {
    auto parsed = boost::urls::parse_uri(text);
    if (!parsed) return std::nullopt;
    auto u = *parsed;
    Target t;
    std::string scheme(u.scheme());
    std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (scheme == "https") t.tls = true;
    else if (scheme != "http") return std::nullopt;
    t.host = u.host_address();
    if (t.host.empty()) return std::nullopt;
    t.port = u.has_port() && !u.port().empty() ? std::string(u.port()) : (t.tls ? "443" : "80");
    t.hostHeader = std::string(u.encoded_host());
    if (u.has_port() && !u.port().empty() && t.port != (t.tls ? "443" : "80"))
        t.hostHeader += ":" + t.port;
    t.path = std::string(u.encoded_path());
    if (t.path.empty()) t.path = "/";
    if (u.has_query()) t.path += "?" + std::string(u.encoded_query());
    return t;
}

std::string poolKey(const Target& t, UrlSource source, bool verifyTls) {
    return std::string(t.tls ? "https://" : "http://") + t.host + ":" + t.port +
           (source == UrlSource::Operator ? " operator" : " org") + (verifyTls ? "" : " unverified");
}

Connection::Connection(const asio::any_io_executor& ex, bool tls, std::string poolKey)
    : key(std::move(poolKey)), timer(ex), socket(ex) {
    if (tls) stream.emplace(ex, clientTlsContext());
}

void Connection::abort() {
    aborted = true;
    if (lookup) lookup->cancel();
    error_code ignored;
    lowest().close(ignored);
}

void arm(const std::shared_ptr<Connection>& c, std::chrono::milliseconds phase) {
    auto deadline = Clock::now() + phase;
    if (c->totalDeadline && *c->totalDeadline < deadline) deadline = *c->totalDeadline;
    c->timer.expires_at(deadline);
    c->timer.async_wait([weak = std::weak_ptr<Connection>(c)](error_code ec) {
        auto conn = weak.lock();
        if (ec || !conn || conn->timer.expiry() > Clock::now()) return;
        conn->timedOut = true;
        conn->abort();
    });
}

}  // namespace detail

namespace {

using detail::Connection;
using detail::Target;

bool hasCrLf(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// Where body bytes go: the caller's callback, or result.body.
struct BodySink {
    HttpClientResult* result = nullptr;
    const BodyChunkHandler* onChunk = nullptr;
    const CancelToken* cancel = nullptr;
    bool bufferErrors = true;
    size_t maxBuffered = 0;
    bool streaming = false;  // decided once the status is known
    bool tooLarge = false;

    void start() {
        bool ok2xx = result->status >= 200 && result->status < 300;
        streaming = *onChunk && (ok2xx || !bufferErrors);
    }
    void put(std::string_view bytes, error_code& ec) {
        if (cancel && cancel->cancelled()) {
            ec = asio::error::operation_aborted;
            return;
        }
        if (bytes.empty()) return;
        if (streaming) {
            (*onChunk)(bytes);
            // The callback may have cancelled: stop before the next piece.
            if (cancel && cancel->cancelled()) ec = asio::error::operation_aborted;
            return;
        }
        if (result->body.size() + bytes.size() > maxBuffered) {
            tooLarge = true;
            ec = http::error::body_limit;
            return;
        }
        result->body.append(bytes);
    }
};

// Beast's push parser fed from our own reads: no Beast composed operations are instantiated
// (they dominate compile time), and body bytes reach the sink with no intermediate copy.
class ResponseParser final : public http::basic_parser<false> {
public:
    explicit ResponseParser(BodySink& sink) : sink_(sink) {}

private:
    void on_request_impl(http::verb, boost::beast::string_view, boost::beast::string_view, int,
                         error_code&) override {}
    void on_response_impl(int code, boost::beast::string_view, int, error_code&) override {
        sink_.result->status = code;
    }
    void on_field_impl(http::field, boost::beast::string_view name,
                       boost::beast::string_view value, error_code&) override {
        sink_.result->headers.push_back({lower(name), std::string(value)});
    }
    void on_header_impl(error_code&) override { sink_.start(); }
    void on_body_init_impl(const boost::optional<std::uint64_t>&, error_code&) override {}
    size_t on_body_impl(boost::beast::string_view body, error_code& ec) override {
        sink_.put(body, ec);
        return body.size();
    }
    void on_chunk_header_impl(std::uint64_t, boost::beast::string_view, error_code&) override {}
    size_t on_chunk_body_impl(std::uint64_t, boost::beast::string_view body,
                              error_code& ec) override {
        sink_.put(body, ec);
        return body.size();
    }
    void on_finish_impl(error_code&) override {}

    BodySink& sink_;
};

HttpClientResult failure(Kind kind, std::string message) {
    HttpClientResult r;
    r.errorKind = kind;
    r.error = std::move(message);
    return r;
}

void fail(HttpClientResult& r, Kind kind, std::string message) {
    r.errorKind = kind;
    r.error = std::move(message);
}

std::string ms(std::chrono::milliseconds d) { return std::to_string(d.count()) + " ms"; }

std::string serializeRequest(const HttpClientRequest& req, const Target& t) {
    std::string out;
    out.reserve(256 + req.body.size());
    out += req.method + " " + t.path + " HTTP/1.1\r\nHost: " + t.hostHeader + "\r\n";
    bool userAgent = false;
    for (auto& h : req.headers) {
        auto name = lower(h.name);
        // Framing headers are ours: a caller's copy would contradict what we send.
        if (name == "host" || name == "content-length" || name == "connection" ||
            name == "transfer-encoding")
            continue;
        userAgent = userAgent || name == "user-agent";
        out += h.name + ": " + h.value + "\r\n";
    }
    if (!userAgent) out += "User-Agent: voxa\r\n";
    if (!req.body.empty() || (req.method != "GET" && req.method != "HEAD"))
        out += "Content-Length: " + std::to_string(req.body.size()) + "\r\n";
    out += "\r\n";  // HTTP/1.1: keep-alive unless the server says otherwise (net/pool.h)
    out += req.body;
    return out;
}

using ReadResult = std::tuple<error_code, size_t>;

asio::awaitable<ReadResult> readSome(std::shared_ptr<Connection> c, asio::mutable_buffer buf) {
    if (c->stream)
        co_return co_await c->stream->async_read_some(buf, asio::as_tuple(asio::use_awaitable));
    co_return co_await c->socket.async_read_some(buf, asio::as_tuple(asio::use_awaitable));
}

asio::awaitable<error_code> writeAll(std::shared_ptr<Connection> c, std::string data) {
    auto buf = asio::buffer(data);
    if (c->stream) {
        auto [ec, n] =
            co_await asio::async_write(*c->stream, buf, asio::as_tuple(asio::use_awaitable));
        co_return ec;
    }
    auto [ec, n] = co_await asio::async_write(c->socket, buf, asio::as_tuple(asio::use_awaitable));
    co_return ec;
}

}  // namespace

// Resolve, connect and (for https) handshake (net/client_detail.h).
// Only the resolved addresses the egress policy permits are tried (for org-configured URLs):
// a name that resolves to loopback, or to a public and then a private address, cannot take
// the connection inside. When none is left, the answer is the same whatever the port.
asio::awaitable<HttpClientResult> detail::openConnection(std::shared_ptr<Connection> c, Target t,
                                                         std::chrono::milliseconds timeout,
                                                         bool verifyTls, UrlSource source,
                                                         std::shared_ptr<CancelToken> cancel) {
    auto cancelled = [&] { return cancel && cancel->cancelled(); };
    std::string where = t.host + ":" + t.port;
    uint16_t port = 0;
    auto [pend, pec] = std::from_chars(t.port.data(), t.port.data() + t.port.size(), port);
    if (pec != std::errc() || pend != t.port.data() + t.port.size())
        co_return failure(Kind::BadRequest, "invalid port " + t.port);
    arm(c, timeout);
    // Asynchronous and cancellable (net/resolver.h): the watchdog and the cancel token end
    // the wait through abort(); a slow name delays only the requests that need it.
    c->lookup = resolver()->start(c->timer.get_executor(), t.host);
    auto resolved = co_await c->lookup->wait(timeout);
    c->lookup.reset();
    if (cancelled()) co_return failure(Kind::Cancelled, "cancelled");
    if (c->timedOut || resolved.error == asio::error::timed_out)
        co_return failure(Kind::Timeout, "resolving " + t.host + " timed out after " + ms(timeout));
    if (resolved.error)
        co_return failure(Kind::Resolve, "cannot resolve " + t.host + ": " + resolved.error.message());

    std::vector<tcp::endpoint> allowed;
    auto policy = source == UrlSource::OrgConfig ? egressPolicy() : nullptr;
    for (auto& address : resolved.addresses)
        if (!policy || policy->permits(address)) allowed.emplace_back(address, port);
    if (allowed.empty() && policy) co_return failure(Kind::Egress, kEgressRefused);

    error_code cec = asio::error::host_not_found;
    for (auto& endpoint : allowed) {
        error_code ignored;
        c->lowest().close(ignored);
        c->lowest().open(endpoint.protocol(), ignored);
        auto [ec] = co_await c->lowest().async_connect(endpoint,
                                                       asio::as_tuple(asio::use_awaitable));
        cec = ec;
        if (!ec || cancelled() || c->timedOut) break;
    }
    if (cancelled()) co_return failure(Kind::Cancelled, "cancelled");
    if (c->timedOut)
        co_return failure(Kind::Timeout,
                          "connecting to " + where + " timed out after " + ms(timeout));
    if (cec) co_return failure(Kind::Connect, "cannot connect to " + where + ": " + cec.message());
    error_code ignored;
    c->lowest().set_option(tcp::no_delay(true), ignored);

    if (c->stream) {
        SSL* ssl = c->stream->native_handle();
        error_code addrEc;
        asio::ip::make_address(t.host, addrEc);
        // SNI carries names only (RFC 6066); virtual-hosted TLS endpoints need it.
        if (addrEc && !SSL_set_tlsext_host_name(ssl, t.host.c_str()))
            co_return failure(Kind::Tls, "cannot set TLS server name " + t.host);
        if (verifyTls) {
            c->stream->set_verify_mode(ssl::verify_peer);
            c->stream->set_verify_callback(ssl::host_name_verification(t.host));
        } else {
            c->stream->set_verify_mode(ssl::verify_none);
        }
        offerTlsSession(ssl, c->key);
        auto [hec] = co_await c->stream->async_handshake(ssl::stream_base::client,
                                                         asio::as_tuple(asio::use_awaitable));
        if (cancelled()) co_return failure(Kind::Cancelled, "cancelled");
        if (c->timedOut)
            co_return failure(Kind::Timeout,
                              "TLS handshake with " + where + " timed out after " + ms(timeout));
        if (hec)
            co_return failure(Kind::Tls,
                              "TLS handshake with " + where + " failed: " + hec.message());
        noteTlsHandshake(ssl);
    }
    co_return HttpClientResult{};
}

namespace {

bool idempotent(std::string_view method) {
    return method == "GET" || method == "HEAD" || method == "OPTIONS" || method == "TRACE" ||
           method == "PUT" || method == "DELETE";
}

struct Attempt {
    HttpClientResult result;
    bool retry = false;  // a reused connection failed in a way that allows another try
};

// One try on one connection: a pooled one if `takeIdle` finds it usable, else a new one.
asio::awaitable<Attempt> attempt(const HttpClientRequest& req, const Target& target,
                                 const std::string& wire, BodyChunkHandler& onChunk,
                                 std::shared_ptr<CancelToken> cancel,
                                 std::optional<Clock::time_point> totalDeadline, bool takeIdle) {
    auto ex = co_await asio::this_coro::executor;
    auto cancelled = [&] { return cancel && cancel->cancelled(); };
    std::string key = detail::poolKey(target, req.source, req.verifyTls);
    auto waitUntil = Clock::now() + req.connectTimeout;
    if (totalDeadline && *totalDeadline < waitUntil) waitUntil = *totalDeadline;
    auto slot = co_await detail::acquire(ex, key, waitUntil, cancel, takeIdle);
    if (slot.error == Kind::Cancelled) co_return Attempt{failure(Kind::Cancelled, "cancelled")};
    if (slot.error != Kind::None)
        co_return Attempt{failure(Kind::Timeout, "no free connection to " + target.host + ":" +
                                                     target.port + " within " + ms(req.connectTimeout))};
    detail::Lease& lease = slot.lease;
    if (!lease.conn) lease.conn = std::make_shared<Connection>(ex, target.tls, key);
    auto conn = lease.conn;
    conn->timedOut = false;
    conn->totalDeadline = totalDeadline;
    if (cancel) cancel->setHook([weak = std::weak_ptr<Connection>(conn)] {
        if (auto c = weak.lock()) c->abort();
    });
    // Whatever happens below, the token must not keep pointing at this connection.
    struct Unhook {
        std::shared_ptr<CancelToken> token;
        std::shared_ptr<Connection> conn;
        ~Unhook() {
            if (token) token->setHook(nullptr);
            conn->timer.cancel();
        }
    } unhook{cancel, conn};

    HttpClientResult result;
    if (!lease.reused) {
        result = co_await detail::openConnection(conn, target, req.connectTimeout, req.verifyTls,
                                                 req.source, cancel);
        if (!result.ok()) co_return Attempt{std::move(result)};
    }
    // Another try is safe only on a reused connection (the keep-alive race) when the server
    // cannot have acted on the request: see net/pool.h.
    auto ackedBefore = detail::tcpBytesAcked(conn->lowest().native_handle());
    auto mayRetry = [&] {
        if (!lease.reused || cancelled() || conn->timedOut) return false;
        if (idempotent(req.method)) return true;
        auto ackedNow = detail::tcpBytesAcked(conn->lowest().native_handle());
        return ackedBefore && ackedNow && *ackedNow == *ackedBefore;
    };

    arm(conn, req.readTimeout);
    auto wec = co_await writeAll(conn, wire);
    if (cancelled()) co_return Attempt{failure(Kind::Cancelled, "cancelled")};
    if (conn->timedOut)
        co_return Attempt{failure(Kind::Timeout,
                                  "sending the request timed out after " + ms(req.readTimeout))};
    if (wec) co_return Attempt{failure(Kind::Io, "sending the request failed: " + wec.message()), mayRetry()};

    BodySink sink{&result, &onChunk, cancel.get(), req.bufferErrorBodies, req.maxBufferedBody};
    ResponseParser parser(sink);
    parser.eager(true);
    parser.header_limit(64 * 1024);
    parser.body_limit(boost::none);  // the sink enforces the buffered limit
    if (req.method == "HEAD") parser.skip(true);

    std::string pending;  // bytes read but not yet consumed by the parser
    std::vector<char> scratch(16 * 1024);
    Clock::time_point readAt{};  // of the bytes in `pending`: a streamed body's callback sees it
    while (!parser.is_done()) {
        while (!pending.empty() && !parser.is_done()) {
            error_code pec;
            size_t used;
            {
                ReadScope read(readAt);
                used = parser.put(asio::buffer(pending), pec);
            }
            pending.erase(0, used);
            if (pec == http::error::need_more) break;
            if (cancelled()) co_return Attempt{failure(Kind::Cancelled, "cancelled")};
            if (sink.tooLarge) {
                fail(result, Kind::BodyTooLarge,
                     "response body exceeds " + std::to_string(req.maxBufferedBody) + " bytes");
                co_return Attempt{std::move(result)};
            }
            if (pec) {
                fail(result, Kind::Protocol, "malformed HTTP response: " + pec.message());
                co_return Attempt{std::move(result)};
            }
            if (used == 0) break;
        }
        if (parser.is_done()) break;
        arm(conn, req.readTimeout);
        auto [rec, n] = co_await readSome(conn, asio::buffer(scratch));
        readAt = Clock::now();
        if (cancelled()) co_return Attempt{failure(Kind::Cancelled, "cancelled")};
        if (conn->timedOut) {
            bool total = conn->totalDeadline && Clock::now() >= *conn->totalDeadline;
            fail(result, Kind::Timeout,
                 total ? "request timed out after " + ms(req.totalTimeout)
                       : "no data from the server for " + ms(req.readTimeout));
            co_return Attempt{std::move(result)};
        }
        if (rec == asio::error::eof || rec == ssl::error::stream_truncated) {
            // Peers often skip TLS close_notify; the parser decides if the message is whole.
            // (Beast asserts when put_eof() comes before any byte: a peer that closed
            // without answering.)
            if (!parser.got_some()) {
                fail(result, Kind::Io, "connection closed before a response");
                co_return Attempt{std::move(result), mayRetry()};
            }
            error_code eec;
            parser.put_eof(eec);
            if (cancelled()) co_return Attempt{failure(Kind::Cancelled, "cancelled")};
            if (eec) {
                fail(result, Kind::Io, result.status ? "connection closed mid-response"
                                                     : "connection closed before a response");
                co_return Attempt{std::move(result)};
            }
            break;
        }
        if (rec) {
            fail(result, Kind::Io, "reading the response failed: " + rec.message());
            co_return Attempt{std::move(result), !parser.got_some() && mayRetry()};
        }
        pending.append(scratch.data(), n);
    }
    // Reusable only after a whole response, keep-alive allowed, nothing unread behind it.
    if (parser.is_done() && parser.keep_alive() && pending.empty() && !cancelled() &&
        !conn->aborted) {
        ++conn->exchanges;
        lease.keep();
    }
    co_return Attempt{std::move(result)};
}

asio::awaitable<HttpClientResult> exchange(HttpClientRequest req, BodyChunkHandler onChunk,
                                           std::shared_ptr<CancelToken> cancel) {
    if (cancel && cancel->cancelled()) co_return failure(Kind::Cancelled, "cancelled");
    auto target = detail::parseTarget(req.url);
    if (!target) co_return failure(Kind::BadRequest, "invalid http(s) URL: " + req.url);
    if (req.method.empty() || hasCrLf(req.method) || req.method.find(' ') != std::string::npos)
        co_return failure(Kind::BadRequest, "invalid method");
    for (auto& h : req.headers) {  // org configuration: no header splitting, no controls
        if (!validHeaderName(h.name)) co_return failure(Kind::BadRequest, "invalid header name");
        if (!validHeaderValue(h.value)) co_return failure(Kind::BadRequest, "invalid header " + h.name);
    }
    std::optional<Clock::time_point> totalDeadline;
    if (req.totalTimeout.count() > 0) totalDeadline = Clock::now() + req.totalTimeout;
    std::string wire = serializeRequest(req, *target);
    // A reused connection that failed before any response byte: once more on a new one.
    auto first = co_await attempt(req, *target, wire, onChunk, cancel, totalDeadline, true);
    if (!first.retry) co_return std::move(first.result);
    detail::countRetry();
    auto second = co_await attempt(req, *target, wire, onChunk, cancel, totalDeadline, false);
    co_return std::move(second.result);
}

}  // namespace

asio::awaitable<HttpClientResult> fetch(HttpClientRequest req, BodyChunkHandler onBodyChunk,
                                        std::shared_ptr<CancelToken> cancel) {
    co_return co_await exchange(std::move(req), std::move(onBodyChunk), std::move(cancel));
}

asio::awaitable<HttpClientResult> fetch(HttpClientRequest req,
                                        std::shared_ptr<CancelToken> cancel) {
    co_return co_await exchange(std::move(req), BodyChunkHandler{}, std::move(cancel));
}

}  // namespace voxa::net
