#include "fakes/fake_openai.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json.hpp>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include <cctype>
#include <optional>
#include <stdexcept>
#include <thread>

namespace voxa::fakes {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
namespace http = boost::beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using boost::system::error_code;

// ---- RecordedRequest / FakeReply --------------------------------------------------------

std::string_view RecordedRequest::header(std::string_view lowerName) const {
    for (auto& h : headers)
        if (h.name == lowerName) return h.value;
    return {};
}

bool RecordedRequest::hasHeader(std::string_view lowerName) const {
    for (auto& h : headers)
        if (h.name == lowerName) return true;
    return false;
}

json::value RecordedRequest::json() const {
    error_code ec;
    auto v = json::parse(body, ec);
    return ec ? json::value() : v;
}

std::string FakeReply::body() const {
    std::string out;
    for (auto& p : pieces) out += p;
    return out;
}

FakeReply& FakeReply::splitEvery(size_t n) {
    std::string all = body();
    pieces.clear();
    for (size_t i = 0; i < all.size(); i += std::max<size_t>(n, 1))
        pieces.push_back(all.substr(i, n));
    return *this;
}

// ---- Server ----------------------------------------------------------------------------

namespace {

// A throw-away self-signed P-256 certificate for localhost and 127.0.0.1.
void useSelfSignedCertificate(ssl::context& ctx) {
    EVP_PKEY* key = EVP_EC_gen("P-256");
    X509* cert = X509_new();
    if (!key || !cert) throw std::runtime_error("fake: key generation failed");
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -60);
    X509_gmtime_adj(X509_getm_notAfter(cert), 24 * 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, cert, cert, nullptr, nullptr, 0);
    if (X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, NID_subject_alt_name,
                                                  "DNS:localhost,IP:127.0.0.1")) {
        X509_add_ext(cert, ext, -1);
        X509_EXTENSION_free(ext);
    }
    X509_sign(cert, key, EVP_sha256());
    SSL_CTX_use_certificate(ctx.native_handle(), cert);
    SSL_CTX_use_PrivateKey(ctx.native_handle(), key);
    X509_free(cert);
    EVP_PKEY_free(key);
}

struct Conn {
    Conn(tcp::socket s, ssl::context* tls) : socket(std::move(s)) {
        if (tls) stream.emplace(std::move(socket), *tls);
    }
    tcp::socket socket;
    std::optional<ssl::stream<tcp::socket>> stream;

    tcp::socket& lowest() { return stream ? stream->next_layer() : socket; }
};

asio::awaitable<std::tuple<error_code, size_t>> readSome(std::shared_ptr<Conn> c,
                                                         asio::mutable_buffer b) {
    if (c->stream)
        co_return co_await c->stream->async_read_some(b, asio::as_tuple(asio::use_awaitable));
    co_return co_await c->socket.async_read_some(b, asio::as_tuple(asio::use_awaitable));
}

asio::awaitable<error_code> writeAll(std::shared_ptr<Conn> c, std::string data) {
    auto buf = asio::buffer(data);
    if (c->stream) {
        auto [ec, n] =
            co_await asio::async_write(*c->stream, buf, asio::as_tuple(asio::use_awaitable));
        co_return ec;
    }
    auto [ec, n] = co_await asio::async_write(c->socket, buf, asio::as_tuple(asio::use_awaitable));
    co_return ec;
}

asio::awaitable<void> sleepFor(std::chrono::milliseconds d) {
    if (d.count() <= 0) co_return;
    asio::steady_timer t(co_await asio::this_coro::executor, d);
    co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
}

std::string reason(int status) {
    switch (status) {
        case 200: return "OK";
        case 400: return "Bad Request";
        case 401: return "Unauthorized";
        case 404: return "Not Found";
        case 429: return "Too Many Requests";
        case 500: return "Internal Server Error";
        case 503: return "Service Unavailable";
        default: return "Status";
    }
}

std::string hex(size_t n) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%zx", n);
    return buf;
}

}  // namespace

struct FakeOpenAiServer::Impl {
    std::optional<ssl::context> tls;  // outlives io: frames destroyed with io hold streams
    asio::io_context io{1};
    tcp::acceptor acceptor{io};
    std::thread thread;

    mutable std::mutex mutex;
    mutable std::condition_variable changed;
    std::deque<FakeReply> queue;
    Handler handler;
    std::vector<RecordedRequest> requests;
    int aborted = 0;
    bool keepAlive = false;
    std::chrono::milliseconds idleClose{0};
    int accepted = 0;
    int resumed = 0;
    int closed = 0;

    FakeReply nextReply(const RecordedRequest& req) {
        std::lock_guard lock(mutex);
        if (!queue.empty()) {
            FakeReply r = std::move(queue.front());
            queue.pop_front();
            return r;
        }
        if (handler) return handler(req);
        FakeReply r;
        r.status = 404;
        r.contentType = "application/json";
        r.framing = FakeReply::Framing::ContentLength;
        r.pieces = {R"({"error":{"message":"no reply scripted","type":"fake"}})"};
        return r;
    }
    void record(RecordedRequest req) {
        std::lock_guard lock(mutex);
        requests.push_back(std::move(req));
        changed.notify_all();
    }
    void countAborted() {
        std::lock_guard lock(mutex);
        ++aborted;
        changed.notify_all();
    }
    void count(int& n) {
        std::lock_guard lock(mutex);
        ++n;
        changed.notify_all();
    }
};

namespace {

// Reads one request, records it, writes the scripted reply. True: the connection stays
// open for the next request (keep-alive servers); `pending` carries bytes read past it.
asio::awaitable<bool> serveOne(std::shared_ptr<Conn> c, FakeOpenAiServer::Impl* impl,
                               std::string& pending);

// Handshake, then one request (closing after it) or, keep-alive, requests until one side
// closes or the connection stays idle for idleClose.
asio::awaitable<void> serve(std::shared_ptr<Conn> c, FakeOpenAiServer::Impl* impl) {
    impl->count(impl->accepted);
    if (c->stream) {
        auto [ec] = co_await c->stream->async_handshake(ssl::stream_base::server,
                                                        asio::as_tuple(asio::use_awaitable));
        if (ec) {
            impl->count(impl->closed);
            co_return;
        }
        if (SSL_session_reused(c->stream->native_handle())) impl->count(impl->resumed);
    }
    std::string pending;
    while (co_await serveOne(c, impl, pending)) {
    }
    impl->count(impl->closed);  // (not when the server stops with the connection open)
}

asio::awaitable<bool> serveOne(std::shared_ptr<Conn> c, FakeOpenAiServer::Impl* impl,
                               std::string& pending) {
    http::request_parser<http::string_body> parser;
    parser.eager(true);
    parser.body_limit(64 * 1024 * 1024);
    std::vector<char> scratch(16 * 1024);
    // Keep-alive: a connection idle (no byte of a next request) for idleClose is closed.
    std::optional<asio::steady_timer> idle;
    if (impl->keepAlive && impl->idleClose.count() > 0 && pending.empty()) {
        idle.emplace(c->socket.get_executor(), impl->idleClose);
        idle->async_wait([c](error_code ec) {
            if (ec) return;
            error_code ignored;
            c->lowest().close(ignored);
        });
    }
    while (!parser.is_done()) {
        if (!pending.empty()) {
            error_code pec;
            size_t used = parser.put(asio::buffer(pending), pec);
            pending.erase(0, used);
            if (pec && pec != http::error::need_more) co_return false;
            if (parser.is_done()) break;
            if (!pec && used > 0) continue;
        }
        auto [ec, n] = co_await readSome(c, asio::buffer(scratch));
        if (ec) co_return false;
        if (idle) idle->cancel();
        pending.append(scratch.data(), n);
    }
    RecordedRequest req;
    auto& msg = parser.get();
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    for (auto& f : msg) {
        std::string name(f.name_string());
        for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        req.headers.push_back({std::move(name), std::string(f.value())});
    }
    req.body = msg.body();
    FakeReply reply = impl->nextReply(req);
    impl->record(std::move(req));

    if (reply.closeSilently) co_return false;  // the connection closes with no response at all
    if (reply.hang) {
        // Hold the connection open until the client gives up or the server stops.
        char b;
        co_await readSome(c, asio::buffer(&b, 1));
        co_return false;
    }
    co_await sleepFor(reply.headerDelay);
    std::string head = "HTTP/1.1 " + std::to_string(reply.status) + " " + reason(reply.status) +
                       "\r\nContent-Type: " + reply.contentType + "\r\n";
    for (auto& h : reply.headers) head += h.name + ": " + h.value + "\r\n";
    if (reply.framing == FakeReply::Framing::Chunked) head += "Transfer-Encoding: chunked\r\n";
    if (reply.framing == FakeReply::Framing::ContentLength)
        head += "Content-Length: " + std::to_string(reply.body().size()) + "\r\n";
    bool keep = impl->keepAlive && !reply.closeAfter && !reply.truncate &&
                reply.framing != FakeReply::Framing::Close;
    head += keep ? "\r\n" : "Connection: close\r\n\r\n";
    if (co_await writeAll(c, std::move(head))) {
        impl->countAborted();
        co_return false;
    }
    for (auto& piece : reply.pieces) {
        co_await sleepFor(reply.pieceDelay);
        if (piece.empty()) continue;
        std::string out = reply.framing == FakeReply::Framing::Chunked
                              ? hex(piece.size()) + "\r\n" + piece + "\r\n"
                              : piece;
        if (co_await writeAll(c, std::move(out))) {
            impl->countAborted();
            co_return false;
        }
    }
    if (!reply.truncate && reply.framing == FakeReply::Framing::Chunked) {
        if (co_await writeAll(c, "0\r\n\r\n")) {
            impl->countAborted();
            co_return false;
        }
    }
    if (keep) co_return true;
    error_code ignored;
    c->lowest().shutdown(tcp::socket::shutdown_send, ignored);
    // Let the client read to EOF before the socket closes (avoids a reset eating data).
    char b;
    co_await readSome(c, asio::buffer(&b, 1));
    co_return false;
}

asio::awaitable<void> acceptLoop(FakeOpenAiServer::Impl* impl) {
    for (;;) {
        auto [ec, socket] =
            co_await impl->acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
        if (ec) co_return;
        auto conn = std::make_shared<Conn>(std::move(socket), impl->tls ? &*impl->tls : nullptr);
        asio::co_spawn(impl->io, serve(conn, impl), asio::detached);
    }
}

}  // namespace

FakeOpenAiServer::FakeOpenAiServer() : FakeOpenAiServer(Options{}) {}

FakeOpenAiServer::FakeOpenAiServer(Options opts) : impl_(std::make_unique<Impl>()), tls_(opts.tls) {
    impl_->keepAlive = opts.keepAlive;
    impl_->idleClose = opts.idleClose;
    if (tls_) {
        impl_->tls.emplace(ssl::context::tls_server);
        useSelfSignedCertificate(*impl_->tls);
    }
    tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
    impl_->acceptor.open(ep.protocol());
    impl_->acceptor.set_option(asio::socket_base::reuse_address(true));
    impl_->acceptor.bind(ep);
    impl_->acceptor.listen();
    port_ = impl_->acceptor.local_endpoint().port();
    asio::co_spawn(impl_->io, acceptLoop(impl_.get()), asio::detached);
    impl_->thread = std::thread([io = &impl_->io] { io->run(); });
}

FakeOpenAiServer::~FakeOpenAiServer() {
    impl_->io.stop();
    impl_->thread.join();
}

std::string FakeOpenAiServer::origin() const {
    return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_);
}

void FakeOpenAiServer::enqueue(FakeReply reply) {
    std::lock_guard lock(impl_->mutex);
    impl_->queue.push_back(std::move(reply));
}

void FakeOpenAiServer::setHandler(Handler handler) {
    std::lock_guard lock(impl_->mutex);
    impl_->handler = std::move(handler);
}

std::vector<RecordedRequest> FakeOpenAiServer::requests() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->requests;
}

bool FakeOpenAiServer::waitForRequests(size_t n, std::chrono::milliseconds timeout) const {
    std::unique_lock lock(impl_->mutex);
    return impl_->changed.wait_for(lock, timeout, [&] { return impl_->requests.size() >= n; });
}

int FakeOpenAiServer::abortedReplies() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->aborted;
}

bool FakeOpenAiServer::waitForAbortedReplies(int n, std::chrono::milliseconds timeout) const {
    std::unique_lock lock(impl_->mutex);
    return impl_->changed.wait_for(lock, timeout, [&] { return impl_->aborted >= n; });
}

int FakeOpenAiServer::connectionsAccepted() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->accepted;
}

int FakeOpenAiServer::resumedHandshakes() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->resumed;
}

int FakeOpenAiServer::connectionsClosed() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->closed;
}

bool FakeOpenAiServer::waitForConnections(int n, std::chrono::milliseconds timeout) const {
    std::unique_lock lock(impl_->mutex);
    return impl_->changed.wait_for(lock, timeout, [&] { return impl_->accepted >= n; });
}

bool FakeOpenAiServer::waitForClosedConnections(int n, std::chrono::milliseconds timeout) const {
    std::unique_lock lock(impl_->mutex);
    return impl_->changed.wait_for(lock, timeout, [&] { return impl_->closed >= n; });
}

// ---- Wire-format builders ----------------------------------------------------------------

std::string FakeOpenAiServer::sse(std::string_view data) {
    return "data: " + std::string(data) + "\n\n";
}

namespace {

json::object chunkEnvelope() {
    json::object o;
    o["id"] = "chatcmpl-fake123";
    o["object"] = "chat.completion.chunk";
    o["created"] = 1700000000;
    o["model"] = "gpt-fake";
    o["system_fingerprint"] = "fp_fake";
    return o;
}

}  // namespace

std::string FakeOpenAiServer::chunk(const json::object& delta, std::string_view finishReason) {
    json::object o = chunkEnvelope();
    json::object choice;
    choice["index"] = 0;
    choice["delta"] = delta;
    choice["logprobs"] = nullptr;
    if (finishReason.empty()) choice["finish_reason"] = nullptr;
    else choice["finish_reason"] = finishReason;
    json::array choices;
    choices.push_back(std::move(choice));
    o["choices"] = std::move(choices);
    o["usage"] = nullptr;  // what OpenAI sends on every chunk when include_usage is on
    return json::serialize(o);
}

std::string FakeOpenAiServer::usageChunk(FakeUsage usage) {
    json::object o = chunkEnvelope();
    o["choices"] = json::array();
    json::object u;
    u["prompt_tokens"] = usage.promptTokens;
    u["completion_tokens"] = usage.completionTokens;
    u["total_tokens"] = usage.promptTokens + usage.completionTokens;
    o["usage"] = std::move(u);
    return json::serialize(o);
}

FakeReply FakeOpenAiServer::textStream(std::vector<std::string> deltas, FakeUsage usage,
                                       std::chrono::milliseconds pieceDelay) {
    FakeReply r;
    r.pieceDelay = pieceDelay;
    json::object first;
    first["role"] = "assistant";
    first["content"] = "";
    first["refusal"] = nullptr;
    r.pieces.push_back(sse(chunk(first)));
    for (auto& d : deltas) {
        json::object delta;
        delta["content"] = d;
        r.pieces.push_back(sse(chunk(delta)));
    }
    r.pieces.push_back(sse(chunk(json::object(), "stop")));
    r.pieces.push_back(sse(usageChunk(usage)));
    r.pieces.push_back(sse("[DONE]"));
    return r;
}

FakeReply FakeOpenAiServer::toolCallStream(std::vector<FakeToolCall> calls, size_t fragment,
                                           FakeUsage usage) {
    FakeReply r;
    json::object first;
    first["role"] = "assistant";
    first["content"] = nullptr;
    r.pieces.push_back(sse(chunk(first)));
    fragment = std::max<size_t>(fragment, 1);
    for (size_t i = 0; i < calls.size(); ++i) {
        auto& call = calls[i];
        json::object fn;
        fn["name"] = call.name;
        fn["arguments"] = "";
        json::object tc;
        tc["index"] = static_cast<int64_t>(i);
        tc["id"] = call.id;
        tc["type"] = "function";
        tc["function"] = std::move(fn);
        json::array tcs;
        tcs.push_back(std::move(tc));
        json::object delta;
        delta["tool_calls"] = std::move(tcs);
        r.pieces.push_back(sse(chunk(delta)));
        for (size_t at = 0; at < call.arguments.size(); at += fragment) {
            json::object fn2;
            fn2["arguments"] = call.arguments.substr(at, fragment);
            json::object tc2;
            tc2["index"] = static_cast<int64_t>(i);
            tc2["function"] = std::move(fn2);
            json::array tcs2;
            tcs2.push_back(std::move(tc2));
            json::object delta2;
            delta2["tool_calls"] = std::move(tcs2);
            r.pieces.push_back(sse(chunk(delta2)));
        }
    }
    r.pieces.push_back(sse(chunk(json::object(), "tool_calls")));
    r.pieces.push_back(sse(usageChunk(usage)));
    r.pieces.push_back(sse("[DONE]"));
    return r;
}

FakeReply FakeOpenAiServer::errorReply(int status, std::string message, std::string type,
                                       std::string code) {
    json::object err;
    err["message"] = message;
    err["type"] = type;
    err["param"] = nullptr;
    err["code"] = code;
    json::object o;
    o["error"] = std::move(err);
    FakeReply r;
    r.status = status;
    r.contentType = "application/json; charset=utf-8";
    r.framing = FakeReply::Framing::ContentLength;
    r.pieces = {json::serialize(o)};
    return r;
}

}  // namespace voxa::fakes
