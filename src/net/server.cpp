#include "net/server.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <utility>
#include <system_error>

#include <fcntl.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/bounded_pool.h"
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
// Files are read (off the loop) and sent in chunks of this size.
constexpr size_t kFileChunk = 256 * 1024;

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
    BoundedPool& files;
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
    auto grant = opts.cors.grant(origin, req.path);
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

// A file being served: its descriptor (opened on the file pool) and size.
struct OpenFile {
    int fd = -1;
    uint64_t size = 0;
    OpenFile() = default;
    OpenFile(OpenFile&& o) noexcept : fd(std::exchange(o.fd, -1)), size(o.size) {}
    OpenFile& operator=(OpenFile&& o) noexcept {
        std::swap(fd, o.fd);
        size = o.size;
        return *this;
    }
    ~OpenFile() {
        if (fd >= 0) ::close(fd);
    }
};

// Streams a file: open and every read run on the file pool, never on the event loop (a
// recording that is not in the page cache would stall every call of the loop). One chunk is
// read while nothing else of this response is in flight, then written: a slow client holds
// one chunk, and a slow disk holds only this response. Returns false if the file cannot be
// opened (nothing was written then); throws if the connection breaks or the file shrinks.
asio::awaitable<std::optional<size_t>> writeFile(beast::tcp_stream& stream, HttpResponse& res,
                                                 const HttpRequest& req, const ServerOptions& opts,
                                                 BoundedPool& files, unsigned version,
                                                 bool keepAlive) {
    // Named, not written inside the co_await: g++ 12 double-frees a capturing lambda that is
    // a temporary in a co_await expression (cpp-stack.md, coroutine pitfall 3).
    auto openFile = [path = res.filePath] {
        OpenFile f;
        f.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        struct stat st {};
        if (f.fd >= 0 && (::fstat(f.fd, &st) != 0 || !S_ISREG(st.st_mode))) {
            ::close(f.fd);
            f.fd = -1;
        }
        if (f.fd >= 0) {
            f.size = static_cast<uint64_t>(st.st_size);
            ::posix_fadvise(f.fd, 0, 0, POSIX_FADV_SEQUENTIAL);
        }
        return f;
    };
    OpenFile file = co_await files.run(openFile);
    if (file.fd < 0) co_return std::nullopt;
    http::response<http::empty_body> msg{static_cast<http::status>(res.status), version};
    applyHeaders(msg.base(), res, req, opts, true);
    msg.keep_alive(keepAlive);
    msg.content_length(file.size);
    http::response_serializer<http::empty_body> header(msg);
    co_await http::async_write_header(stream, header, asio::use_awaitable);
    std::string chunk;
    uint64_t sent = 0;
    while (sent < file.size) {
        size_t want = static_cast<size_t>(std::min<uint64_t>(kFileChunk, file.size - sent));
        chunk.resize(want);
        int fd = file.fd;
        auto offset = static_cast<off_t>(sent);
        char* data = chunk.data();
        auto read = [fd, data, want, offset] {
            ssize_t n;
            do n = ::pread(fd, data, want, offset);
            while (n < 0 && errno == EINTR);
            return n;
        };
        ssize_t got = -1;
        try {
            got = co_await files.run(read);
        } catch (const PoolFull&) {  // the header is out: too late for a 503
            throw std::runtime_error("file pool full mid-response");
        }
        // The file shrank or failed under us: the promised length cannot be kept.
        if (got <= 0) throw std::runtime_error("file read failed mid-response");
        co_await asio::async_write(stream, asio::buffer(chunk.data(), static_cast<size_t>(got)),
                                   asio::use_awaitable);
        sent += static_cast<uint64_t>(got);
    }
    co_return static_cast<size_t>(sent);
}

// Writes a response; returns bytes of body sent.
asio::awaitable<size_t> writeResponse(beast::tcp_stream& stream, HttpResponse& res,
                                      const HttpRequest& req, const ServerOptions& opts,
                                      BoundedPool& files, unsigned version, bool keepAlive) {
    if (!res.filePath.empty()) {
        std::optional<size_t> n;
        try {
            n = co_await writeFile(stream, res, req, opts, files, version, keepAlive);
        } catch (const PoolFull&) {
            res = HttpResponse::json(503, R"({"message":"Too many file downloads at once, try again","error":"Service Unavailable","statusCode":503})");
            res.headers.push_back({"Retry-After", "1"});
        }
        if (n) co_return *n;
        if (res.status != 503)
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
            bytes = co_await writeResponse(stream, res, req, ctx.opts, ctx.files, version, keepAlive);
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

std::atomic<uint64_t> gAcceptDescriptorErrors{0};
std::atomic<uint64_t> gAcceptMemoryErrors{0};

// Out of descriptors or kernel memory: the pending connection stays queued and the listening
// socket stays readable, so retrying at once would spin a core (the one that also paces this
// loop's calls). These errors back off instead; the rest (a peer that gave up before it was
// accepted) are retried at once.
enum class AcceptFailure { None, Transient, Descriptors, Memory };

AcceptFailure classify(const boost::system::error_code& ec) {
    if (!ec) return AcceptFailure::None;
    if (ec.category() != boost::system::system_category()) return AcceptFailure::Transient;
    switch (ec.value()) {
        case EMFILE:
        case ENFILE: return AcceptFailure::Descriptors;
        case ENOBUFS:
        case ENOMEM: return AcceptFailure::Memory;
        default: return AcceptFailure::Transient;
    }
}

asio::awaitable<void> acceptLoop(tcp::acceptor& acceptor, SessionContext ctx) {
    using namespace std::chrono_literals;
    constexpr auto kFirstBackoff = 50ms, kMaxBackoff = 1000ms;
    asio::steady_timer timer(acceptor.get_executor());
    auto backoff = kFirstBackoff;
    uint64_t failures = 0;  // in this episode (since the last successful accept)
    auto episodeStart = std::chrono::steady_clock::now();
    for (;;) {
        auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
        auto failure = classify(ec);
        if (failure == AcceptFailure::Transient) continue;
        if (failure != AcceptFailure::None) {
            (failure == AcceptFailure::Descriptors ? gAcceptDescriptorErrors : gAcceptMemoryErrors)
                .fetch_add(1, std::memory_order_relaxed);
            if (failures++ == 0) {  // once per episode
                episodeStart = std::chrono::steady_clock::now();
                spdlog::warn(R"({{"msg":"cannot accept connections, backing off until it passes","error":"{}"}})",
                             ec.message());
            }
            timer.expires_after(backoff);
            co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
            backoff = std::min<std::chrono::milliseconds>(backoff * 2, kMaxBackoff);
            continue;
        }
        if (failures) {
            // Integer milliseconds: formatting a double here (possibly still at the descriptor
            // limit) made UBSan's vptr check, which needs a pipe, report a false error and exit.
            auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                            episodeStart);
            spdlog::info(R"({{"msg":"accepting connections again","failedAccepts":{},"ms":{}}})", failures,
                         static_cast<long long>(ms.count()));
            failures = 0;
            backoff = kFirstBackoff;
        }
        asio::co_spawn(acceptor.get_executor(), session(std::move(socket), ctx), asio::detached);
    }
}

}  // namespace

HttpServer::HttpServer(ServerOptions opts, Handler handler, AccessLog log)
    : opts_(std::move(opts)),
      handler_(std::move(handler)),
      log_(std::move(log)),
      files_(std::make_unique<BoundedPool>(static_cast<size_t>(std::max(1, opts_.fileThreads)),
                                           opts_.maxFileReads, 0)) {}

HttpServer::~HttpServer() {
    stop();
    files_->join();  // its reads post their completions to the loops: before they go
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
    for (size_t i = 0; i < workers_.size(); ++i) {
        auto& w = workers_[i];
        SessionContext ctx{opts_, handler_, upgrade_, log_, inFlight_, stopping_, *files_};
        asio::co_spawn(w->io, acceptLoop(*w->acceptor, ctx), asio::detached);
        w->thread = std::thread([io = &w->io, name = "voxa-loop-" + std::to_string(i)] {
            ::pthread_setname_np(::pthread_self(), name.substr(0, 15).c_str());  // for top -H
            io->run();
        });
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

AcceptErrors acceptErrors() {
    return {.descriptors = gAcceptDescriptorErrors.load(std::memory_order_relaxed),
            .memory = gAcceptMemoryErrors.load(std::memory_order_relaxed)};
}

DescriptorLimit raiseDescriptorLimit() {
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return {};
    DescriptorLimit out{.before = rl.rlim_cur, .now = rl.rlim_cur, .hard = rl.rlim_max};
    // An unlimited hard limit is not a value setrlimit accepts for descriptors (nr_open is).
    if (rl.rlim_cur < rl.rlim_max && rl.rlim_max != RLIM_INFINITY) {
        rlimit raised = rl;
        raised.rlim_cur = rl.rlim_max;
        if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) out.now = raised.rlim_cur;
    }
    return out;
}

std::vector<asio::io_context*> HttpServer::loops() {
    std::vector<asio::io_context*> out;
    for (auto& w : workers_) out.push_back(&w->io);
    return out;
}

}  // namespace voxa::net
