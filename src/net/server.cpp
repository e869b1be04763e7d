#include "net/server.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <system_error>

#include "common/ids.h"
#include "common/url.h"
#include "net/headers.h"
#include "net/ws_detail.h"

namespace voxa::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct HttpServer::Worker {
    asio::io_context io{1};
    std::unique_ptr<tcp::acceptor> acceptor;
    std::thread thread;
};

namespace {

// Request line plus headers; larger ones get 431.
constexpr size_t kHeaderLimit = 64 * 1024;

std::string_view reasonBody(int status) {
    switch (status) {
        case 400: return R"({"message":"Bad Request","error":"Bad Request","statusCode":400})";
        case 413:
            return R"({"message":"request entity too large","error":"Payload Too Large","statusCode":413})";
        case 431:
            return R"({"message":"request header fields too large","error":"Request Header Fields Too Large","statusCode":431})";
        case 500:
            return R"({"message":"Internal server error","error":"Internal Server Error","statusCode":500})";
        default: return "{}";
    }
}

// Everything needed to run one connection; lives in the session coroutine's frame.
struct SessionContext {
    const ServerOptions& opts;
    const Handler& handler;
    const UpgradeHandler& upgrade;
    const AccessLog& log;
    std::atomic<int>& inFlight;
    std::atomic<bool>& stopping;
};

HttpRequest toRequest(const http::request<http::string_body>& msg, const std::string& remote) {
    HttpRequest req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    std::string_view t = req.target;
    auto q = t.find('?');
    req.path = url::percentDecode(t.substr(0, q));
    if (q != std::string_view::npos) req.query = std::string(t.substr(q + 1));
    req.headers.reserve(16);
    for (auto& f : msg) {
        std::string name(f.name_string());
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        req.headers.push_back({std::move(name), std::string(f.value())});
    }
    req.body = msg.body();
    req.remoteAddress = remote;
    auto rid = req.header("x-request-id");
    // Echoed in a header and written to logs: printable ASCII only, or a fresh one.
    bool printable = std::all_of(rid.begin(), rid.end(), [](char c) { return c > 0x20 && c < 0x7f; });
    req.requestId = rid.empty() || rid.size() > 128 || !printable ? randomToken(12) : std::string(rid);
    return req;
}

// The headers every response carries: the request id, nosniff, and CORS for the request's
// Origin as the policy grants it (see net/cors.h).
void applyCommonHeaders(http::response_header<>& h, const HttpRequest& req,
                        const ServerOptions& opts) {
    h.set("X-Request-Id", req.requestId);
    h.set("X-Content-Type-Options", "nosniff");
    auto origin = req.header("origin");
    if (origin.empty()) return;
    // The answer depends on Origin; keep whatever else the handler said varies (gzip).
    auto vary = h[http::field::vary];
    if (vary.empty()) h.set(http::field::vary, "Origin");
    else if (vary.find("Origin") == vary.npos)
        h.set(http::field::vary, std::string(vary.data(), vary.size()) + ", Origin");
    auto grant = opts.cors.grant(origin);
    if (grant.allowOrigin.empty()) return;
    h.set(http::field::access_control_allow_origin, grant.allowOrigin);
    if (grant.credentials) h.set(http::field::access_control_allow_credentials, "true");
    h.set(http::field::access_control_expose_headers, "X-Request-Id");
}

// The handler's headers, checked: one built from input with a CR, LF or other control in it
// would split the response, so it is dropped (and logged) instead of sent.
void applyHeaders(http::response_header<>& h, const HttpResponse& res, const HttpRequest& req,
                  const ServerOptions& opts, bool contentType) {
    if (contentType)
        h.set(http::field::content_type, validHeaderValue(res.contentType)
                                             ? res.contentType
                                             : std::string("application/octet-stream"));
    for (auto& x : res.headers) {
        if (validHeaderName(x.name) && validHeaderValue(x.value)) h.set(x.name, x.value);
        else spdlog::error("dropped an invalid response header (request {})", req.requestId);
    }
    applyCommonHeaders(h, req, opts);
}

// Writes a response; returns bytes of body sent.
asio::awaitable<size_t> writeResponse(beast::tcp_stream& stream, HttpResponse& res,
                                      const HttpRequest& req, const ServerOptions& opts,
                                      unsigned version, bool keepAlive) {
    if (!res.filePath.empty()) {
        http::response<http::file_body> msg;
        beast::error_code ec;
        msg.body().open(res.filePath.c_str(), beast::file_mode::scan, ec);
        if (!ec) {
            msg.result(static_cast<http::status>(res.status));
            msg.version(version);
            applyHeaders(msg.base(), res, req, opts, true);
            msg.keep_alive(keepAlive);
            msg.prepare_payload();
            size_t n = msg.body().size();
            co_await http::async_write(stream, msg, asio::use_awaitable);
            co_return n;
        }
        res = HttpResponse::json(404, R"({"message":"Not Found","error":"Not Found","statusCode":404})");
    }
    http::response<http::string_body> msg{static_cast<http::status>(res.status), version};
    applyHeaders(msg.base(), res, req, opts, !res.body.empty() || res.status != 204);
    msg.keep_alive(keepAlive);
    msg.body() = std::move(res.body);
    msg.prepare_payload();
    size_t n = msg.body().size();
    co_await http::async_write(stream, msg, asio::use_awaitable);
    co_return n;
}

// The client may still be sending what we refused. Closing with unread data would reset
// the connection and could destroy our response in flight, so half-close and drain for a
// moment (a "lingering close").
asio::awaitable<void> lingeringClose(beast::tcp_stream& stream, beast::flat_buffer& buffer) {
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream.expires_after(std::chrono::seconds(2));
    buffer.consume(buffer.size());
    size_t drained = 0;
    char scratch[16384];
    while (drained < 16 * 1024 * 1024) {
        auto [ec, n] = co_await stream.async_read_some(asio::buffer(scratch),
                                                       asio::as_tuple(asio::use_awaitable));
        if (ec) break;
        drained += n;
    }
}

// Answers a request whose header could not be read whole (431) and closes.
asio::awaitable<void> refuse(beast::tcp_stream& stream, beast::flat_buffer& buffer, int status) {
    http::response<http::string_body> msg{static_cast<http::status>(status), 11};
    msg.set(http::field::content_type, "application/json; charset=utf-8");
    msg.set("X-Content-Type-Options", "nosniff");
    msg.keep_alive(false);
    msg.body() = std::string(reasonBody(status));
    msg.prepare_payload();
    stream.expires_after(std::chrono::seconds(10));
    auto [ec, n] = co_await http::async_write(stream, msg, asio::as_tuple(asio::use_awaitable));
    if (!ec) co_await lingeringClose(stream, buffer);
}

asio::awaitable<void> session(tcp::socket socket, SessionContext ctx) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    std::string remote;
    {
        boost::system::error_code ec;
        auto ep = stream.socket().remote_endpoint(ec);
        if (!ec) remote = ep.address().to_string();
    }
    stream.socket().set_option(tcp::no_delay(true));
    for (;;) {
        http::request_parser<http::string_body> parser;
        parser.header_limit(static_cast<std::uint32_t>(kHeaderLimit));
        // Beast would refuse a Content-Length over body_limit while parsing the header, and
        // that error would only drop the connection: the limit, which depends on the route,
        // is set once the header is known, so an oversized body gets a 413 answer.
        parser.body_limit(boost::none);
        stream.expires_after(ctx.opts.idleTimeout);
        auto [ec, hn] = co_await http::async_read_header(stream, buffer, parser,
                                                     asio::as_tuple(asio::use_awaitable));
        if (ec == http::error::header_limit) {  // answer 431, then close
            co_await refuse(stream, buffer, 431);
            break;
        }
        if (ec) break;  // closed, timed out or garbage before a header: just drop
        auto started = std::chrono::steady_clock::now();
        ctx.inFlight.fetch_add(1, std::memory_order_relaxed);
        struct Guard {
            std::atomic<int>* n;
            void release() {
                if (n) n->fetch_sub(1, std::memory_order_relaxed);
                n = nullptr;
            }
            ~Guard() { release(); }
        } guard{&ctx.inFlight};

        auto& hdr = parser.get();
        bool upload = hdr.method() == http::verb::post &&
                      hdr.target().substr(0, 5) == "/file" &&
                      hdr[http::field::content_type].starts_with("multipart/");
        size_t limit = upload ? ctx.opts.uploadLimit : ctx.opts.bodyLimit;
        int earlyStatus = 0;
        // Beast checks Content-Length against body_limit only while parsing the header,
        // so a declared length is checked here; chunked bodies hit body_limit as they come.
        if (auto declared = parser.content_length(); declared && *declared > limit)
            earlyStatus = 413;
        else
            parser.body_limit(limit);
        if (!earlyStatus && !parser.is_done()) {
            stream.expires_after(std::chrono::seconds(60));
            auto [ec2, n] = co_await http::async_read(stream, buffer, parser,
                                                      asio::as_tuple(asio::use_awaitable));
            if (ec2 == http::error::body_limit) earlyStatus = 413;
            else if (ec2) earlyStatus = 400;
        }
        HttpRequest req = toRequest(parser.get(), remote);
        unsigned version = parser.get().version();
        bool keepAlive = parser.get().keep_alive() && earlyStatus == 0;

        if (!earlyStatus && ctx.upgrade && beast::websocket::is_upgrade(parser.get())) {
            std::optional<WsHandler> wsHandler;
            try {
                wsHandler = co_await ctx.upgrade(req);
            } catch (const std::exception& e) {
                spdlog::error("upgrade handler failed: {}", e.what());
            }
            if (wsHandler) {
                guard.release();  // a long-lived connection is not an in-flight request
                auto ws = co_await detail::acceptWebSocket(std::move(stream), parser.release(),
                                                           ctx.opts.wsMessageLimit);
                if (ws) {
                    try {
                        co_await (*wsHandler)(ws);
                    } catch (const std::exception& e) {
                        spdlog::error("websocket handler failed: {}", e.what());
                    }
                    ws->close(1000, "");
                }
                co_return;
            }
        }
        HttpResponse res;
        if (earlyStatus) {
            res = HttpResponse::json(earlyStatus, std::string(reasonBody(earlyStatus)));
        } else if (req.method == "OPTIONS" && !req.header("origin").empty() &&
                   !req.header("access-control-request-method").empty()) {
            res.status = 204;
            res.headers.push_back({"Access-Control-Allow-Methods",
                                   "GET, POST, PUT, PATCH, DELETE, OPTIONS"});
            auto reqHeaders = req.header("access-control-request-headers");
            res.headers.push_back({"Access-Control-Allow-Headers",
                                   reqHeaders.empty() || !validHeaderValue(reqHeaders)
                                       ? "Authorization, Content-Type"
                                       : std::string(reqHeaders)});
            res.headers.push_back({"Access-Control-Max-Age", "86400"});
        } else {
            try {
                res = co_await ctx.handler(req);
            } catch (const std::exception& e) {
                spdlog::error("unhandled error in handler: {} (request {})", e.what(),
                              req.requestId);
                res = HttpResponse::json(500, std::string(reasonBody(500)));
            }
        }
        int status = res.status;
        keepAlive = keepAlive && !ctx.stopping.load();  // draining: finish this one, then close
        stream.expires_after(std::chrono::seconds(60));
        size_t bytes = 0;
        try {
            bytes = co_await writeResponse(stream, res, req, ctx.opts, version, keepAlive);
        } catch (const std::exception&) {
            break;
        }
        if (ctx.log) {
            double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started)
                              .count();
            ctx.log(AccessLogEntry{&req, status, bytes, secs});
        }
        if (earlyStatus) {
            co_await lingeringClose(stream, buffer);
            break;
        }
        if (!keepAlive) break;
    }
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

asio::awaitable<void> acceptLoop(tcp::acceptor& acceptor, SessionContext ctx) {
    for (;;) {
        auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
        if (ec) {
            if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
            continue;  // e.g. EMFILE: keep serving the connections we have
        }
        asio::co_spawn(acceptor.get_executor(), session(std::move(socket), ctx), asio::detached);
    }
}

}  // namespace

HttpServer::HttpServer(ServerOptions opts, Handler handler, AccessLog log)
    : opts_(std::move(opts)), handler_(std::move(handler)), log_(std::move(log)) {}

HttpServer::~HttpServer() {
    stop();
    workers_.clear();
}

void HttpServer::bind() {
    if (!workers_.empty()) return;
    int n = opts_.threads > 0 ? opts_.threads
                              : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
    auto address = asio::ip::make_address(opts_.host);
    uint16_t port = opts_.port;
    for (int i = 0; i < n; ++i) {
        auto w = std::make_unique<Worker>();
        w->acceptor = std::make_unique<tcp::acceptor>(w->io);
        tcp::endpoint ep(address, port);
        w->acceptor->open(ep.protocol());
        w->acceptor->set_option(asio::socket_base::reuse_address(true));
        int one = 1;
        ::setsockopt(w->acceptor->native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
        w->acceptor->bind(ep);
        w->acceptor->listen(asio::socket_base::max_listen_connections);
        if (port == 0) port = w->acceptor->local_endpoint().port();  // all workers share it
        workers_.push_back(std::move(w));
    }
    boundPort_ = port;
}

void HttpServer::start() {
    bind();
    for (auto& w : workers_) {
        SessionContext ctx{opts_, handler_, upgrade_, log_, inFlight_, stopping_};
        asio::co_spawn(w->io, acceptLoop(*w->acceptor, ctx), asio::detached);
        w->thread = std::thread([io = &w->io] { io->run(); });
    }
}

void HttpServer::stopAccepting() {
    for (auto& w : workers_) {
        asio::post(w->io, [a = w->acceptor.get()] {
            boost::system::error_code ec;
            a->close(ec);
        });
    }
}

void HttpServer::stop() {
    if (workers_.empty() || stopping_.exchange(true)) return;
    stopAccepting();
    auto deadline = std::chrono::steady_clock::now() + opts_.shutdownGrace;
    while (inFlight_.load() > 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    for (auto& w : workers_) w->io.stop();
    for (auto& w : workers_)
        if (w->thread.joinable()) w->thread.join();
    // The loops stay alive (stopped) until the server is destroyed: work still running on
    // the worker pools (a call's recording being written) posts its completion to them.
}

std::vector<asio::io_context*> HttpServer::loops() {
    std::vector<asio::io_context*> out;
    for (auto& w : workers_) out.push_back(&w->io);
    return out;
}

}  // namespace voxa::net
